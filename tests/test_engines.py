"""The vectorised JAX engine agrees with the independent SciPy reference."""

from __future__ import annotations

import numpy as np
import pytest

import hpatwin
from hpatwin.engine import PulseTrain, Schedule

CASES = [
    ("hpa_core", {"days": 1.0, "dt": 0.25, "output_every": 30.0, "pulses": False}),
    ("karin2020", {"days": 2.0, "dt": 0.5, "output_every": 60.0}),
    ("gupta2007", {"duration": 30.0, "dt": 0.001, "output_every": 1.0}),
    ("sriram2012", {"duration": 100.0, "dt": 0.005, "output_every": 2.0}),
    ("bangsgaard2017", {"days": 2.0, "dt": 0.25, "output_every": 30.0}),
]


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(b).max(axis=0, keepdims=True), 1e-12)
    return float(np.max(np.abs(a - b) / scale))


@pytest.mark.parametrize(("model", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_jax_matches_scipy(model: str, kwargs: dict[str, object]) -> None:
    jax_result = hpatwin.simulate(model, engine="jax", **kwargs)  # type: ignore[arg-type]
    scipy_result = hpatwin.simulate(model, engine="scipy", **kwargs)  # type: ignore[arg-type]
    for name in hpatwin.get_model(model).state_names:
        err = _relative_error(jax_result[name].values, scipy_result[name].values)
        assert err < 1e-6, f"{model}.{name}: relative error {err:.2e}"


def test_engines_agree_with_pulses_and_schedules_on_a_batch() -> None:
    inputs = {
        "ultradian_pulse": PulseTrain(100.0, 20.0, 0.2, 0.3, 0.4, bin_min=10.0, seed=3),
        "stress_input": Schedule.of([(0.0, 1.0), (600.0, 1.8)]),
    }
    kwargs = {
        "days": 1.0,
        "dt": 0.25,
        "output_every": 10.0,
        "inputs": inputs,
        "parameters": {"crh_half_life_min": [4.0, 6.0]},
    }
    a = hpatwin.simulate("hpa_core", engine="jax", **kwargs)  # type: ignore[arg-type]
    b = hpatwin.simulate("hpa_core", engine="scipy", **kwargs)  # type: ignore[arg-type]
    assert a.sizes["patient"] == 2
    for name in ("crh", "acth", "cortisol"):
        assert _relative_error(a[name].values, b[name].values) < 1e-5


def test_result_is_labelled_with_units(healthy_deterministic) -> None:  # type: ignore[no-untyped-def]
    ds = healthy_deterministic
    assert ds["plasma_cortisol_nmol_l"].attrs["units"] == "nmol/L"
    assert ds["acth_pg_ml"].attrs["units"] == "pg/mL"
    assert ds["time"].attrs["units"] == "min"
    assert float(ds["time_day"].values[-1]) == 2.0
    assert ds.attrs["model"] == "hpa_core"
