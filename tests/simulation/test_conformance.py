"""The conformance suite passes for every built-in model and catches a broken plug-in."""

from __future__ import annotations

import pytest
import sympy

from hpatwin.model import ModelBuilder, model_names
from hpatwin.parameters import Evidence
from hpatwin.simulation import check_model


@pytest.mark.parametrize("name", model_names())
def test_every_built_in_model_conforms(name: str) -> None:
    report = check_model(name)
    assert report.passed, report.failures()
    assert len(report.checks) == 5


def _plugin(rate_of: str = "ok") -> ModelBuilder:
    b = ModelBuilder("plugin", "a plug-in decay model", citation="test")
    k = b.parameter("k", 0.1, "1/min", "decay rate", "test value", Evidence.ASSUMPTION,
                    rationale="a test needs a number")
    x = b.state("x", "nmol/L", "amount", 1.0)
    rates = {"ok": -k * x, "nan": -k * x * sympy.nan}
    b.rate(x, rates[rate_of])
    return b


def test_a_conforming_plug_in_passes() -> None:
    assert check_model(_plugin().build()).passed


def test_a_broken_plug_in_fails_naming_the_checks() -> None:
    report = check_model(_plugin("nan").build())
    assert not report.passed
    failed = {failure.split(":")[0] for failure in report.failures()}
    assert "right-hand side is finite at the defaults" in failed


def test_an_unsourced_assumption_fails() -> None:
    b = _plugin()
    b.parameter("unexplained", 1.0, "1", "no rationale", "guess", Evidence.ASSUMPTION,
                rationale="x")
    model = b.build()
    bare = model.parameter("unexplained")
    object.__setattr__(bare, "rationale", "")  # bypass construction-time checks on purpose
    report = check_model(model)
    assert "parameters are sourced: unexplained" in report.failures()
