"""Every docstring example in the planner package and its CLI command runs."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "hpatwin.clinic.planner",
    "hpatwin.clinic.planner.knowledge",
    "hpatwin.clinic.planner.assessment",
    "hpatwin.clinic.planner.freetext",
    "hpatwin.clinic.planner.safety",
    "hpatwin.clinic.planner.plan",
    "hpatwin.clinic.planner.render",
    "hpatwin.clinic.planner.__main__",
    "hpatwin.cli.plan_cmd",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0, f"{name} has no examples"
    assert failures == 0
