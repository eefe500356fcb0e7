"""Bad input gets a clear error naming the field."""

from __future__ import annotations

import math

import pytest

import hpatwin
from hpatwin.engine import Schedule


@pytest.mark.parametrize("days", [0, -1, math.nan, math.inf])
def test_duration_must_be_positive(days: float) -> None:
    with pytest.raises(ValueError, match="days"):
        hpatwin.simulate("hpa_core", days=days)


def test_unknown_phenotype_lists_known() -> None:
    with pytest.raises(ValueError, match=r"phenotype: unknown phenotype 'zombie'.*healthy"):
        hpatwin.simulate("hpa_core", days=1, phenotype="zombie")


@pytest.mark.parametrize("value", [math.nan, -1.0, math.inf])
def test_bad_parameter_value_names_parameter_and_range(value: float) -> None:
    with pytest.raises(ValueError, match=r"parameter acth_half_life_min: .* allowed range"):
        hpatwin.simulate("hpa_core", days=1, parameters={"acth_half_life_min": value})


def test_unknown_parameter_name() -> None:
    with pytest.raises(ValueError, match=r"unknown name.*cortisol_halflife"):
        hpatwin.simulate("hpa_core", days=1, parameters={"cortisol_halflife": 60})


def test_unknown_model_and_input() -> None:
    with pytest.raises(ValueError, match="model: unknown model"):
        hpatwin.simulate("nope", days=1)
    with pytest.raises(ValueError, match="input: unknown input"):
        hpatwin.simulate("karin2020", days=1, inputs={"noise": 1.0})


def test_schedule_validation() -> None:
    with pytest.raises(ValueError, match="increase strictly"):
        Schedule.of([(10, 1.0), (5, 2.0)])
    with pytest.raises(ValueError, match="finite"):
        Schedule.of([(0, math.nan)])
    with pytest.raises(ValueError, match="input stress_input"):
        hpatwin.simulate("karin2020", days=1, inputs={"stress_input": Schedule.of([(0, -2.0)])})


def test_output_grid_must_fit_the_step() -> None:
    with pytest.raises(ValueError, match="output_every"):
        hpatwin.simulate("karin2020", days=1, dt=1.0, output_every=2.5)


def test_assumption_needs_rationale() -> None:
    with pytest.raises(ValueError, match="rationale"):
        hpatwin.Parameter("x", 1.0, "1", "d", "src", hpatwin.Evidence.ASSUMPTION, "m")
