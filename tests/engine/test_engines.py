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


# --- cohort-speed features: scalars for batch-constant values, recorded variables, devices ---

_VARIED_RUN = {
    "days": 1.0,
    "dt": 5.0,
    "output_every": 60.0,
    "n_patients": 128,
    "parameters": {"cortisol_half_life_min": np.linspace(50.0, 90.0, 128)},
    "seed": 4,
}


def test_recorded_variables_equal_the_full_dataset() -> None:
    """Readouts computed inside the engine equal those computed afterwards from all states."""
    wanted = ["salivary_cortisol_nmol_l", "acth", "acth_pg_ml"]
    full = hpatwin.simulate("hpa_core", **_VARIED_RUN)  # type: ignore[arg-type]
    recorded = hpatwin.simulate("hpa_core", variables=wanted, **_VARIED_RUN)  # type: ignore[arg-type]
    assert sorted(recorded.data_vars) == sorted(wanted)
    for name in wanted:
        assert recorded[name].attrs["units"] == full[name].attrs["units"]
        np.testing.assert_allclose(recorded[name].values, full[name].values, rtol=1e-9)


def test_unknown_recorded_variable_is_named() -> None:
    with pytest.raises(ValueError, match=r"variables: unknown name.*cortisol_nmol"):
        hpatwin.simulate("hpa_core", days=1, variables=["cortisol_nmol"])
    with pytest.raises(ValueError, match=r"variables: unknown name.*cortisol_nmol"):
        hpatwin.simulate("hpa_core", days=1, engine="scipy", variables=["cortisol_nmol"])


def test_batch_constant_values_as_scalars_match_per_patient_arrays() -> None:
    """A value given once for the batch (sent as a scalar) equals the same value per patient."""
    n = 16
    as_scalar = hpatwin.simulate(
        "hpa_core", days=1, dt=5.0, n_patients=n, parameters={"gr_expression_capacity": 0.5}
    )
    as_array = hpatwin.simulate(
        "hpa_core", days=1, dt=5.0, n_patients=n, parameters={"gr_expression_capacity": [0.5] * n}
    )
    np.testing.assert_allclose(
        as_scalar["cortisol"].values, as_array["cortisol"].values, rtol=1e-12
    )


def test_results_do_not_depend_on_batch_width_or_device_split() -> None:
    """Each patient's column is bit-identical in a batch of 128 (split across CPU devices when
    there are several) and in a batch of 16 (one device)."""
    from hpatwin.engine.jax_engine import cpu_device_count

    wide = hpatwin.simulate("hpa_core", dtype="float32", **_VARIED_RUN)  # type: ignore[arg-type]
    narrow_kwargs = {**_VARIED_RUN, "n_patients": 16}
    narrow_kwargs["parameters"] = {"cortisol_half_life_min": np.linspace(50.0, 90.0, 128)[:16]}
    narrow = hpatwin.simulate("hpa_core", dtype="float32", **narrow_kwargs)  # type: ignore[arg-type]
    assert cpu_device_count() >= 1
    np.testing.assert_array_equal(wide["cortisol"].values[:, :16], narrow["cortisol"].values)
