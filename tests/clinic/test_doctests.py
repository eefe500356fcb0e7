"""Every public example in the clinic and records modules runs as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "hpatwin.clinic",
    "hpatwin.clinic.instruments",
    "hpatwin.clinic.outcomes",
    "hpatwin.clinic.cortisol",
    "hpatwin.clinic.hrv",
    "hpatwin.clinic.autonomic",
    "hpatwin.records",
    "hpatwin.io.atomic",
    "hpatwin.records.fhir",
    "hpatwin.records.csv_io",
    "hpatwin.cli.score_cmd",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
