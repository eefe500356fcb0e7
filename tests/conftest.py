"""Shared fixtures: cached simulations reused by several science tests."""

from __future__ import annotations

import functools
import os

import pytest
import xarray as xr

import hpatwin

# scripts that regenerate recorded oracle data (they need optional extras such as NeuroKit2)
collect_ignore_glob = ["*/data/*.py"]

#: Environment variable that also turns the slow tests on (CI sets it via scripts/test.sh).
RUN_SLOW_ENV = "HPATWIN_RUN_SLOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run tests marked slow (over ~30 s); scripts/test.sh and CI do",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow") or os.environ.get(RUN_SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (scripts/test.sh does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@functools.cache
def _healthy_week(seed: int, n_patients: int) -> xr.Dataset:
    return hpatwin.simulate(
        "hpa_core", days=7, phenotype="healthy", seed=seed, n_patients=n_patients
    )


@pytest.fixture(scope="session")
def healthy_week() -> xr.Dataset:
    """Seven pulsatile days of ten healthy default patients (seed 1)."""
    return _healthy_week(1, 10)


@pytest.fixture(scope="session")
def healthy_deterministic() -> xr.Dataset:
    """Two days of the healthy default in the deterministic configuration (no pulses)."""
    return hpatwin.simulate("hpa_core", days=2, phenotype="healthy", pulses=False)
