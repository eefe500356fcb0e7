"""Resting states: treatment compartments that provably stay at rest are dropped from a run.

Without a dose a drug compartment stays at zero, and without stimulation the opioid
peptides stay at baseline, whatever the rest of the model does. The model proves it
symbolically (``OdeModel.resting_states``) and the JAX engine then integrates only the
moving states with those terms removed (about 1.5x faster on an untreated twin warm-up).
"""

from __future__ import annotations

import numpy as np
import pytest

import hpatwin
import hpatwin.engine.jax_engine as jax_engine
from hpatwin.engine.api import steady_state
from hpatwin.engine.prepared import prepare_run
from hpatwin.model import get_model
from tests.trials.conftest import REPO_ROOT

PLANS = REPO_ROOT / "examples" / "plans"
TREATMENT_INPUTS = ("ea_low_frequency_drive", "ea_high_frequency_drive")


def test_without_treatment_the_treatment_states_rest() -> None:
    twin = get_model("twin")
    resting = set(twin.resting_states(twin.input_names))
    assert {"duloxetine_plasma_mg_l", "oxycodone_gut_mg", "beta_endorphin", "cck"} <= resting
    assert {"ea_course", "dex_plasma_ng_ml", "crh_exogenous", "cbt_skills"} <= resting
    # the HPA axis, the layer and anything with a tonic drive keep moving
    moving = {"crh", "cortisol", "depression_severity", "sympathetic_tone", "trigger_point_load"}
    assert not resting & moving


def test_stimulation_inputs_wake_the_peptides() -> None:
    twin = get_model("twin")
    fixed = [name for name in twin.input_names if name not in TREATMENT_INPUTS]
    resting = set(twin.resting_states(fixed))
    assert not resting & {"beta_endorphin", "enkephalin", "dynorphin", "cck", "ea_course"}
    assert "duloxetine_plasma_mg_l" in resting


def test_only_candidates_at_their_default_can_rest() -> None:
    twin = get_model("twin")
    candidates = [n for n in twin.state_names if n != "duloxetine_gut_mg"]
    resting = set(twin.resting_states(twin.input_names, candidates))
    # the gut compartment may hold a dose, so plasma (fed by it) can no longer rest
    assert "duloxetine_gut_mg" not in resting
    assert "duloxetine_plasma_mg_l" not in resting
    assert "venlafaxine_plasma_mg_l" in resting


def test_unknown_names_are_rejected() -> None:
    twin = get_model("twin")
    with pytest.raises(ValueError, match="resting_states: unknown input"):
        twin.resting_states(["no_such_input"])
    with pytest.raises(ValueError, match="backend: 'fortran'"):
        twin.resting_rhs(twin.input_names, backend="fortran")


def test_the_engine_drops_resting_states_only_when_all_patients_rest() -> None:
    twin = get_model("twin")
    run = prepare_run(twin, 120.0, dt=5.0, output_every=60.0, n_patients=2)
    uniform = tuple(sorted(run.constant_inputs))
    resting = jax_engine._resting(run, uniform)
    assert resting is not None and "ea_course" in resting[1]
    moved = prepare_run(
        twin,
        120.0,
        dt=5.0,
        output_every=60.0,
        n_patients=2,
        initial_state={"ea_course": [0.0, 0.2]},
    )
    resting = jax_engine._resting(moved, uniform)
    assert resting is not None and "ea_course" not in resting[1]


@pytest.mark.parametrize("plan", [None, "ea_2_100hz_low_back_12w.yaml", "ea_plus_duloxetine.yaml"])
def test_dropping_resting_states_changes_nothing_but_rounding(
    plan: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin = get_model("twin")
    parameters = {"tissue_nociception": np.array([0.8, 1.5, 2.5, 3.0])}
    start = steady_state(twin, parameters, n_patients=4, dt=5.0, settle_days=5.0)

    def run() -> dict[str, np.ndarray]:
        ds = hpatwin.simulate(
            twin,
            days=3,
            parameters=parameters,
            initial_state=start,
            plan=None if plan is None else str(PLANS / plan),
            dt=5.0,
            output_every=60.0,
            seed=1,
        )
        return {name: ds[name].values for name in ds.data_vars}

    reduced = run()
    monkeypatch.setattr(jax_engine, "_resting", lambda run, uniform: None)
    full = run()
    for name, values in full.items():
        scale = max(float(np.max(np.abs(values))), 1e-12)
        assert np.max(np.abs(reduced[name] - values)) <= 1e-12 * scale, name
