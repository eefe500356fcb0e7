"""The JAX engine's integrators and the fast forms of the model's equations.

* ``exponential_rk4`` (ETDRK4 on each state's linear decay rate) is exact for linear decay
  with constant forcing at any step, stable where classical RK4 diverges, and close to the
  fine-step reference at the steps it is meant for;
* Hill powers become ``exp(n·log(max(x, 0)))`` for JAX: the same values as ``pow`` for
  ``x ≥ 0`` (XLA's CPU ``pow`` is scalar and ~3.7× slower);
* pulse trains added to the grid in one ``bincount`` equal a column-by-column fill;
* bad integrator names and unstable warm-ups give one-line errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import hpatwin
import hpatwin.engine.jax_engine as jax_engine
from hpatwin.engine.api import steady_state
from hpatwin.engine.inputs import PulseTrain
from hpatwin.engine.jax_engine import run_jax
from hpatwin.engine.prepared import prepare_run
from hpatwin.errors import InputError
from hpatwin.model import get_model
from hpatwin.model.definition import ModelBuilder, OdeModel, _for_backend
from hpatwin.parameters import Evidence


def _forced_decay(half_life_min: float) -> OdeModel:
    """``dx/dt = production − ln2/half-life · x``: the exact solution is known."""
    b = ModelBuilder("forced_decay", "Forced first-order decay", citation="textbook")
    half_life = b.parameter(
        "half_life_min", half_life_min, "min", "half-life", "textbook", Evidence.ASSUMPTION,
        rationale="test model",
    )
    production = b.parameter(
        "production_per_min", 2.0, "1/min", "production", "textbook", Evidence.ASSUMPTION,
        rationale="test model",
    )
    x = b.state("amount", "1", "amount", initial=0.0)
    b.rate(x, production - sympy.log(2) / half_life * x)
    return b.build()


def test_linear_decay_rates_are_the_states_own_parameter_only_rates() -> None:
    hpa = get_model("hpa_core")
    rates = hpa.linear_decay_rates()
    half_life = hpa.parameter("crh_half_life_min").value
    value = float(rates["crh"].subs(hpa.symbol("crh_half_life_min"), half_life))
    assert value == pytest.approx(-math.log(2) / half_life)
    twin = get_model("twin")
    # a turnover whose own rate depends on CRH is not a parameter-only decay
    assert "pituitary_mass" not in twin.linear_decay_rates()
    assert "cortisol" in twin.linear_decay_rates()


@pytest.mark.parametrize("dt", [1.0, 10.0, 60.0])
def test_exponential_rk4_is_exact_for_forced_linear_decay(dt: float) -> None:
    model = _forced_decay(half_life_min=4.0)  # a step of 60 min is 15 half-lives
    run = prepare_run(model, 120.0, dt=dt, output_every=60.0, integrator="exponential_rk4")
    states = run_jax(run)[:, 0, 0]
    rate = math.log(2) / 4.0
    exact = 2.0 / rate * (1 - np.exp(-rate * run.output_times()))
    np.testing.assert_allclose(states, exact, rtol=1e-9, atol=1e-12)
    if dt == 60.0:  # classical RK4 cannot take that step at all
        rk4 = run_jax(prepare_run(model, 120.0, dt=dt, output_every=60.0))[:, 0, 0]
        assert abs(rk4[-1] - exact[-1]) > 10 * exact[-1]


def test_exponential_rk4_takes_steps_rk4_cannot_and_stays_close() -> None:
    reference = hpatwin.simulate(
        "hpa_core", days=3, dt=0.25, pulses=False, output_every=60
    )["salivary_cortisol_nmol_l"].values[:, 0]
    with pytest.raises(ValueError, match="warm-up is unstable at a 20-min step"):
        hpatwin.simulate("hpa_core", days=3, dt=20.0, pulses=False, output_every=60)
    for dt, tolerance in ((10.0, 0.05), (20.0, 0.5)):  # nmol/L, measured 0.026 and 0.32
        exponential = hpatwin.simulate(
            "hpa_core", days=3, dt=dt, pulses=False, output_every=60,
            integrator="exponential_rk4",
        )["salivary_cortisol_nmol_l"].values[:, 0]
        assert np.abs(exponential - reference).max() < tolerance


def test_exponential_rk4_matches_rk4_at_small_steps_on_the_twin() -> None:
    kwargs = dict(days=1, dt=1.0, output_every=60.0, pulses=False, seed=2, n_patients=8)
    plain = hpatwin.simulate("twin", **kwargs)
    exponential = hpatwin.simulate("twin", integrator="exponential_rk4", **kwargs)
    for name in ("phq9_expected", "salivary_cortisol_nmol_l", "crh"):
        np.testing.assert_allclose(exponential[name].values, plain[name].values, rtol=2e-5)
    assert "exponential_rk4" in str(exponential.attrs["engine_settings"])


def test_bad_integrators_are_refused() -> None:
    with pytest.raises(ValueError, match="integrator: 'euler' is not one of rk4, exponential_rk4"):
        prepare_run(get_model("hpa_core"), 60.0, integrator="euler")
    with pytest.raises(InputError, match="integrator"):
        hpatwin.simulate("hpa_core", days=1, engine="scipy", integrator="exponential_rk4")
    with pytest.raises(InputError, match="integrator"):
        hpatwin.simulate("hpa_core", days=1, integrator="euler")


def test_an_unstable_warm_up_says_so() -> None:
    model = get_model("hpa_core")
    with pytest.raises(ValueError, match="warm-up is unstable at a 30-min step"):
        steady_state(model, {}, dt=30.0, fast_days=5.0, settle_days=5.0)
    settled = steady_state(
        model, {}, dt=30.0, fast_days=5.0, settle_days=5.0, integrator="exponential_rk4"
    )
    assert all(np.isfinite(value).all() for value in settled.values())


def test_jax_powers_equal_numpy_powers_for_non_negative_bases() -> None:
    twin = get_model("twin")
    rng = np.random.default_rng(5)
    states = [np.abs(s.initial) * rng.uniform(0.5, 1.5, 64) + 1e-3 for s in twin.states]
    params = [np.full(64, p.value) for p in twin.parameters]
    inputs = [np.full(64, i.default) for i in twin.inputs]
    jax_engine.configure_jax()
    fast = twin.compiled("jax").rhs(0.0, states, params, inputs)
    plain = twin.compiled("numpy").rhs(0.0, states, params, inputs)
    for a, b in zip(fast, plain, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-15)


def test_a_negative_base_counts_as_zero_in_the_jax_form() -> None:
    x, n = sympy.symbols("x n")
    fast = sympy.lambdify([x, n], _for_backend(x**n, "jax"), modules="jax")
    assert float(fast(-0.01, 3.0)) == 0.0
    assert float(fast(2.0, 3.0)) == pytest.approx(8.0)
    assert _for_backend(x**n, "numpy") == x**n
    assert _for_backend(x**2 + sympy.sqrt(x), "jax") == x**2 + sympy.sqrt(x)


def test_vector_width_respects_the_users_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_prefer_vector_width=256")
    assert jax_engine._configure_vector_width() == "user"
    monkeypatch.setenv("XLA_FLAGS", "")
    monkeypatch.setattr(jax_engine, "_cpu_flags", lambda: {"avx2"})
    assert jax_engine._configure_vector_width() == "default"
    monkeypatch.setattr(jax_engine, "_cpu_flags", lambda: {"avx2", "avx512f"})
    assert jax_engine._configure_vector_width() == "512"
    assert "--xla_cpu_prefer_vector_width=512" in jax_engine.os.environ["XLA_FLAGS"]


def _column_by_column(train: PulseTrain, ids: np.ndarray, n_bins: int) -> np.ndarray:
    """The plain fill: each patient's pulses added to its own column."""
    out = np.full((n_bins, len(ids)), train.basal_fraction)
    height = (1 - train.basal_fraction) * train.mean_interval_min / train.pulse_duration_min
    duration_bins = max(1, round(train.pulse_duration_min / train.bin_min))
    for column, patient in enumerate(ids):
        onsets, amplitudes = train._pulses(int(patient), n_bins * train.bin_min)
        first = (onsets // train.bin_min).astype(np.int64)
        for offset in range(duration_bins):
            bins = first + offset
            keep = bins < n_bins
            np.add.at(out[:, column], bins[keep], height * amplitudes[keep])
    return out


@settings(max_examples=25, deadline=None)
@given(
    interval=st.floats(40.0, 200.0),
    duration_fraction=st.floats(0.05, 1.0),
    basal=st.floats(0.0, 1.0),
    bin_min=st.sampled_from([5.0, 10.0, 15.0]),
    n_bins=st.integers(1, 400),
    first_id=st.integers(0, 10_000),
    n_patients=st.integers(1, 6),
    seed=st.integers(0, 2**31),
)
def test_pulse_grid_equals_the_column_by_column_fill(
    interval: float,
    duration_fraction: float,
    basal: float,
    bin_min: float,
    n_bins: int,
    first_id: int,
    n_patients: int,
    seed: int,
) -> None:
    train = PulseTrain(interval, interval * duration_fraction, basal, 0.5, 0.4, bin_min, seed)
    ids = np.arange(first_id, first_id + n_patients)
    np.testing.assert_allclose(
        train.sample(ids, n_bins), _column_by_column(train, ids, n_bins), rtol=1e-12, atol=1e-12
    )


def test_pulse_grids_come_in_the_run_precision() -> None:
    train = PulseTrain(160.0, 20.0, 0.3, 0.5, 0.4, bin_min=10.0, seed=4)
    ids = np.arange(30, 60)
    single = train.sample(ids, 1008, dtype="float32")
    double = train.sample(ids, 1008)
    assert single.dtype == np.float32 and double.dtype == np.float64
    np.testing.assert_allclose(single, double.astype(np.float32), rtol=2e-7)
    run = prepare_run(
        get_model("hpa_core"), 1440.0, dt=10.0, output_every=60.0, n_patients=4,
        inputs={"ultradian_pulse": train}, series_dtype="float32",
    )
    assert next(iter(run.series_inputs.values())).dtype == np.float32
    # the JAX engine asks for its own precision through the scenario
    ds = hpatwin.simulate("hpa_core", days=1, dt=10.0, dtype="float32", seed=4, n_patients=4)
    assert np.isfinite(ds["salivary_cortisol_nmol_l"].values).all()
