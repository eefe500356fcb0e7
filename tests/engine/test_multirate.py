"""Multirate stepping: slow-state declarations, ``slow_dt`` validation and accuracy.

The twin's slow states (monoamines, BDNF, sensitisation, sleep, mood, gland masses, GR
sensitivity) may step every ``slow_dt`` minutes while hormones, peptides, drugs and
sympathetic tone keep the fast step. Accuracy is checked against the single-rate run
from the same starting state (docs/engine.md gives the 12-week figures).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

import hpatwin
from hpatwin.cli import main
from hpatwin.engine.api import steady_state
from hpatwin.engine.prepared import prepare_run
from hpatwin.model import get_model
from hpatwin.model.definition import ModelBuilder
from hpatwin.parameters import Evidence
from tests.trials.conftest import REPO_ROOT, write_spec

PLAN = REPO_ROOT / "examples" / "plans" / "ea_2_100hz_low_back_12w.yaml"


def _builder() -> tuple[ModelBuilder, sympy.Symbol, sympy.Symbol, sympy.Symbol]:
    b = ModelBuilder("toy", "two timescales", citation="test")
    k = b.parameter("k_per_min", 0.1, "1/min", "fast rate", "test", Evidence.ASSUMPTION, "test")
    u = b.input("drive", "1", "external drive", 1.0)
    fast = b.state("fast", "1", "fast state", 0.0)
    slow = b.state("slow", "1", "slow state", 0.0)
    return b, fast, slow, k * u


def test_a_slow_state_may_not_read_an_input_directly() -> None:
    b, fast, slow, drive = _builder()
    b.rate(fast, drive - fast)
    b.rate(slow, drive / 1440 - slow / 1440)
    b.mark_slow(slow)
    with pytest.raises(ValueError, match="slow state slow reads input\\(s\\) drive directly"):
        b.build()


def test_mark_slow_rejects_unknown_states() -> None:
    b, _, _, _ = _builder()
    with pytest.raises(ValueError, match="mark_slow: unknown state"):
        b.mark_slow(sympy.Symbol("nowhere", real=True))


def test_the_twin_declares_its_slow_states() -> None:
    twin = get_model("twin")
    slow = set(twin.slow_state_names)
    assert {"depression_severity", "gr_sensitivity", "pituitary_mass", "sleep_quality"} <= slow
    # everything that moves within a session or a pulse stays fast
    assert not slow & {"crh", "acth", "cortisol", "beta_endorphin", "sympathetic_tone", "cck"}
    assert not slow & {n for n in twin.state_names if n.endswith(("_mg", "_mg_l", "_ng_ml"))}
    assert get_model("hpa_core").slow_state_names == (
        "pituitary_mass",
        "adrenal_mass",
        "gr_sensitivity",
    )


@pytest.mark.parametrize(
    ("slow_dt", "message"),
    [
        (25.0, "must be an even multiple of dt = 5 that divides output_every = 60"),
        (40.0, "must be an even multiple of dt = 5 that divides output_every = 60"),
        (7.0, "must be a positive whole multiple of dt = 5"),
        (-30.0, "must be positive"),
        (float("nan"), "must be positive"),
    ],
)
def test_bad_slow_dt_is_rejected(slow_dt: float, message: str) -> None:
    with pytest.raises(ValueError, match=f"slow_dt: .*{message}"):
        prepare_run(get_model("twin"), 1440.0, dt=5.0, output_every=60.0, slow_dt=slow_dt)


def test_slow_dt_needs_the_jax_engine() -> None:
    with pytest.raises(ValueError, match="slow_dt: multirate stepping needs the JAX engine"):
        hpatwin.simulate("hpa_core", days=1, engine="scipy", slow_dt=30.0)


def test_slow_dt_equal_to_dt_is_the_single_rate_run() -> None:
    run = prepare_run(get_model("twin"), 120.0, dt=5.0, output_every=60.0, slow_dt=5.0)
    assert run.slow_steps == 1


@pytest.fixture(scope="module")
def twin_runs() -> dict[str, dict[str, np.ndarray]]:
    """12 varied comorbid patients × 14 days of 2/100 Hz EA, float64, from one steady state."""
    model = get_model("twin")
    rng = np.random.default_rng(4)
    parameters = {
        "tissue_nociception": 1.4 * np.exp(0.4 * rng.standard_normal(12)),
        "depression_vulnerability": 1.0 + 0.5 * rng.standard_normal(12),
    }
    start = steady_state(model, parameters, n_patients=12, dt=5.0, settle_days=5.0)
    variables = ["phq9_expected", "pain_nrs_expected", "salivary_cortisol_nmol_l", "gr_sensitivity"]
    runs = {}
    for label, slow_dt in (("single", None), ("multirate", 30.0)):
        ds = hpatwin.simulate(
            model,
            days=14,
            parameters=parameters,
            initial_state=start,
            plan=str(PLAN),
            dt=5.0,
            output_every=60.0,
            seed=2,
            variables=variables,
            slow_dt=slow_dt,
        )
        runs[label] = {v: ds[v].values for v in variables}
    return runs


def test_multirate_stays_close_to_the_single_rate_run(
    twin_runs: dict[str, dict[str, np.ndarray]],
) -> None:
    single, multi = twin_runs["single"], twin_runs["multirate"]
    # measured over 28 days on 64 patients: PHQ-9 0.024, NRS 0.008, cortisol 0.6 % of range
    assert np.max(np.abs(multi["phq9_expected"] - single["phq9_expected"])) < 0.1
    assert np.max(np.abs(multi["pain_nrs_expected"] - single["pain_nrs_expected"])) < 0.05
    cortisol = single["salivary_cortisol_nmol_l"]
    spread = np.ptp(cortisol)
    assert np.max(np.abs(multi["salivary_cortisol_nmol_l"] - cortisol)) < 0.03 * spread
    # the slow states really moved under treatment, so the comparison is not vacuous
    assert np.max(np.abs(single["phq9_expected"][-1] - single["phq9_expected"][0])) > 0.3


def test_multirate_is_not_the_single_rate_program(
    twin_runs: dict[str, dict[str, np.ndarray]],
) -> None:
    # a different scheme gives (slightly) different numbers: the option is really applied
    assert not np.array_equal(
        twin_runs["multirate"]["gr_sensitivity"], twin_runs["single"]["gr_sensitivity"]
    )


def test_trial_with_a_bad_slow_step_fails_before_work(tmp_path: Path) -> None:
    from tests.trials.test_twin_plans import TWIN_SPEC

    data = copy.deepcopy(TWIN_SPEC)
    data["simulation"] = {"slow_step_min": 25}
    spec = write_spec(tmp_path / "bad.yaml", data)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["trial", str(spec), "--out", str(out), "--no-progress"])
    assert result.exit_code != 0
    assert "slow_dt: 25 must be a positive whole multiple of dt = 10" in result.output
    assert not (out / "patients.parquet").exists()


@pytest.mark.parametrize("acceleration", [0.5, float("inf")])
def test_warmup_acceleration_must_be_at_least_one(acceleration: float) -> None:
    with pytest.raises(ValueError, match=r"acceleration: .* must be a finite number ≥ 1"):
        steady_state(get_model("hpa_core"), {}, acceleration=acceleration)
