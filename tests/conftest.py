"""Shared fixtures: cached simulations reused by several science tests."""

from __future__ import annotations

import functools

import pytest
import xarray as xr

import hpatwin

# scripts that regenerate recorded oracle data (they need optional extras such as NeuroKit2)
collect_ignore_glob = ["*/data/*.py"]


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
