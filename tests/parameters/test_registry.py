"""The parameter registry: every number sourced, bounded, listable and exportable."""

from __future__ import annotations

import csv
import io
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpatwin.data.drugs import DRUG_KEYS
from hpatwin.parameters import Evidence, Parameter, ParameterRegistry, drug_pk_parameters


def _parameter(**changes: object) -> Parameter:
    values: dict[str, object] = {
        "name": "cortisol_half_life_min",
        "value": 66.0,
        "unit": "min",
        "description": "half-life of plasma cortisol",
        "source": "Weitzman et al. 1971",
        "evidence": Evidence.MEASURED,
        "model": "core",
        "lower": 10.0,
        "upper": 200.0,
    }
    values.update(changes)
    return Parameter(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "not an identifier"}, "not a valid identifier"),
        ({"source": " "}, "a source is required"),
        ({"evidence": Evidence.ASSUMPTION}, "an assumption must state its rationale"),
        ({"value": 500.0}, r"500 is outside the allowed range \[10, 200\] min"),
        ({"value": math.nan}, "is not finite"),
    ],
)
def test_a_parameter_refuses_what_it_cannot_stand_behind(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _parameter(**changes)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_with_value_keeps_the_range(value: float) -> None:
    parameter = _parameter()
    if 10.0 <= value <= 200.0:
        assert parameter.with_value(value).value == value
    else:
        with pytest.raises(ValueError, match="outside the allowed range"):
            parameter.with_value(value)


def test_select_filters_by_model_and_evidence_and_names_unknown_models() -> None:
    registry = ParameterRegistry()
    measured = _parameter()
    assumed = _parameter(name="k", evidence=Evidence.ASSUMPTION, rationale="order of magnitude")
    registry.add_model("whole", [measured, assumed])
    assert [p.name for p in registry.select(model="whole", evidence="assumption")] == ["k"]
    assert registry.model_names() == ["core", "whole"]
    with pytest.raises(ValueError, match="unknown model 'nope'; known: core, whole"):
        registry.select(model="nope")


def test_a_conflicting_duplicate_is_refused_and_a_shared_component_is_not() -> None:
    registry = ParameterRegistry()
    registry.add(_parameter())
    registry.add(_parameter())  # the same component shared by two models
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(_parameter(value=70.0))


def test_csv_export_round_trips_every_column() -> None:
    registry = ParameterRegistry()
    registry.add(_parameter())
    rows = list(csv.DictReader(io.StringIO(registry.to_csv())))
    assert rows[0]["name"] == "cortisol_half_life_min" and rows[0]["evidence"] == "measured"
    assert float(rows[0]["value"]) == 66.0


def test_drug_pk_parameters_come_from_the_one_drug_catalogue() -> None:
    parameters = {p.name: p for p in drug_pk_parameters()}
    for key in DRUG_KEYS:
        for suffix in ("absorption_half_life_min", "elimination_half_life_h", "volume_l"):
            assert parameters[f"{key}_{suffix}"].source.strip()
        assert parameters[f"{key}_clearance_factor"].value == 1.0
