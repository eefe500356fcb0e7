"""Bad specs, addresses and folders are rejected before any work, and nothing is written."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.treatments.trial_resolver import resolve_trial_plan
from hpatwin.trials import TrialSpecError, load_trial_spec, prepare_trial, run_trial
from hpatwin.trials.arms import (
    Treatment,
    clear_plan_resolver,
    get_plan_resolver,
    register_plan_resolver,
)
from hpatwin.trials.execution import check_scheduler_address
from tests.trials.conftest import HPA_SPEC, REPO_ROOT, SYNTHETIC_SPEC, make_spec, write_spec

EXAMPLES = REPO_ROOT / "examples" / "trials"


def _invalid(tmp_path: Path, message: str, **changes: Any) -> None:
    """Writing a bad spec, the CLI fails with ``message`` and leaves no output folder."""
    spec = write_spec(tmp_path / "bad.yaml", HPA_SPEC, **changes)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["trial", str(spec), "--out", str(out), "--no-progress"])
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert not out.exists()


def test_unknown_builtin_arm(tmp_path: Path) -> None:
    _invalid(tmp_path, "unknown arm 'placebo'", arms=["usual_care", "placebo"])


def test_unknown_control_arm(tmp_path: Path) -> None:
    _invalid(tmp_path, "control_arm: unknown arm 'sham'", control_arm="sham")


def test_negative_size(tmp_path: Path) -> None:
    population = {**HPA_SPEC["population"], "size": -4}
    _invalid(tmp_path, "population.size: -4 must be ≥ 1", population=population)


def test_unknown_endpoint(tmp_path: Path) -> None:
    _invalid(tmp_path, "unknown endpoint 'qol_change'", endpoints=["qol_change"])


def test_endpoint_needing_a_missing_readout(tmp_path: Path) -> None:
    _invalid(
        tmp_path,
        "endpoints.phq9_change: needs readout 'phq9_expected' (readouts.phq9), which model "
        "hpa_core lacks",
        endpoints=["phq9_change"],
    )


def test_visit_beyond_duration(tmp_path: Path) -> None:
    _invalid(tmp_path, "visits_days: day 2 needs the whole of day 2", visits_days=[0, 2])


def test_unknown_input_and_out_of_range_value(tmp_path: Path) -> None:
    arms = ["usual_care", {"name": "x", "inputs": {"stres_input": 1.0}}]
    _invalid(tmp_path, "arms.x.inputs: unknown input 'stres_input'", arms=arms)
    arms = ["usual_care", {"name": "x", "inputs": {"stress_input": [[1, -2.0]]}}]
    _invalid(tmp_path, "input stress_input: -2.0 is outside the allowed range", arms=arms)


def test_schedule_off_the_time_grid(tmp_path: Path) -> None:
    arms = ["usual_care", {"name": "x", "inputs": {"stress_input": [[0.0001, 1.5]]}}]
    _invalid(tmp_path, "must be a positive whole multiple of dt", arms=arms)


def test_plan_arms_use_the_treatments_resolver_unless_replaced() -> None:
    clear_plan_resolver()
    assert get_plan_resolver() is resolve_trial_plan
    register_plan_resolver(lambda path, model, patients, days: Treatment())
    assert get_plan_resolver() is not resolve_trial_plan
    clear_plan_resolver()
    assert get_plan_resolver() is resolve_trial_plan


def test_plan_arm_with_a_registered_resolver(tmp_path: Path) -> None:
    from hpatwin.engine.inputs import Schedule

    seen: list[int] = []

    def resolver(path: Path, model: Any, patients: Any, duration_days: int) -> Treatment:
        assert path.name == "relief.yaml" and model.name == "hpa_core"
        assert duration_days == HPA_SPEC["duration_days"]
        seen.append(len(patients))
        half_life = 60.0 + patients["patient_id"].to_numpy(dtype=float)
        return Treatment(
            inputs={"stress_input": Schedule.of([(1440, 1.2)])},
            parameters={"cortisol_half_life_min": half_life},
        )

    (tmp_path / "relief.yaml").write_text("kind: stress management\n")
    register_plan_resolver(resolver)
    try:
        spec = make_spec(
            HPA_SPEC,
            arms=["usual_care", {"name": "relief", "plan": "relief.yaml"}],
            base_dir=str(tmp_path),
        )
        prepared = prepare_trial(spec)
        missing = make_spec(
            HPA_SPEC,
            arms=["usual_care", {"name": "relief", "plan": "nowhere.yaml"}],
            base_dir=str(tmp_path),
        )
        with pytest.raises(
            TrialSpecError, match=r"arms\.relief\.plan: plan file .*nowhere\.yaml does not exist"
        ):
            prepare_trial(missing)
    finally:
        clear_plan_resolver()
    relief = prepared.patients[prepared.patients["arm"] == "relief"]
    assert seen == [len(relief)]
    overrides = relief["treatment:cortisol_half_life_min"].to_numpy()
    assert list(overrides) == [60.0 + i for i in relief["patient_id"]]
    assert (
        prepared.patients.loc[
            prepared.patients["arm"] == "usual_care", "treatment:cortisol_half_life_min"
        ]
        .isna()
        .all()
    )
    assert prepared.arms["relief"].inputs["stress_input"].changes == ((1440.0, 1.2),)


def test_bad_scheduler_addresses(tmp_path: Path) -> None:
    spec = make_spec(HPA_SPEC)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="is not a scheduler address"):
        run_trial(spec, out, scheduler="localhost:8786", progress=False)
    with pytest.raises(ValueError, match="port 99999"):
        check_scheduler_address("tcp://host:99999")
    with pytest.raises(
        ValueError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        run_trial(spec, out, scheduler="tcp://127.0.0.1:9", progress=False, connect_timeout_s=2)
    assert not out.exists()
    result = CliRunner().invoke(
        main,
        [
            "trial",
            str(write_spec(tmp_path / "s.yaml", HPA_SPEC)),
            "--out",
            str(out),
            "--scheduler",
            "http://x:1",
        ],
    )
    assert result.exit_code != 0 and "is not a scheduler address" in result.output
    assert not out.exists()


def test_structural_errors_are_listed_together(tmp_path: Path) -> None:
    data = copy.deepcopy(SYNTHETIC_SPEC)
    data["population"]["phenotypes"] = {"synthetic_depressed": 0.7, "synthetic_comorbid": 0.7}
    data["population"]["size"] = 0
    data["duration_days"] = 0
    with pytest.raises(TrialSpecError) as caught:
        load_trial_spec(write_spec(tmp_path / "s.yaml", data))
    text = str(caught.value)
    assert "population.phenotypes: phenotype fractions must sum to 1 (they sum to 1.4)" in text
    assert "population.size: 0 must be ≥ 1" in text
    assert "duration_days: Input should be greater than or equal to 1 (got 0)" in text
    # cross-field checks run once the fields themselves are valid
    data = copy.deepcopy(SYNTHETIC_SPEC)
    data["randomisation"] = {"block_size": 3}
    with pytest.raises(TrialSpecError, match="block_size: 3 must be a multiple of the sum"):
        load_trial_spec(write_spec(tmp_path / "s.yaml", data))


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(TrialSpecError, match="durations_days: unknown field"):
        load_trial_spec(write_spec(tmp_path / "s.yaml", HPA_SPEC, durations_days=3))


def test_example_specs(tmp_path: Path) -> None:
    today = load_trial_spec(EXAMPLES / "stress_reduction_hpa.yaml")
    prepared = prepare_trial(today)
    assert prepared.n_patients == today.population.size
    for name in ("ea_comorbid_full_model.yaml", "snri_ea_cbt_twin.yaml"):
        spec = load_trial_spec(EXAMPLES / name)
        twin = prepare_trial(spec)
        assert twin.model.name == "twin" and twin.n_patients == spec.population.size
        plans = [arm.plan for arm in twin.arms.values() if arm.plan is not None]
        assert plans and all(Path(plan).is_file() for plan in plans)


def test_model_level_checks_before_work(tmp_path: Path) -> None:
    cases = [
        (
            HPA_SPEC,
            {"endpoints": [{"name": "cortisol_0800", "at_day": 2}]},
            "at_day: 2 is not a follow-up visit",
        ),
        (SYNTHETIC_SPEC, {"simulation": {"warmup": "steady_state"}}, "lacks the HPA-core states"),
        (
            HPA_SPEC,
            {"output": {"trace_variables": ["cortisol", "nonsense"]}},
            "'nonsense' is neither a state",
        ),
        (
            HPA_SPEC,
            {"population": {"size": 4, "variability": {"ultradian_pulse_interval_min": 0.1}}},
            "ultradian_pulse_interval_min must be the same for every patient",
        ),
        (HPA_SPEC, {"model": "no_such_model"}, "model: unknown model 'no_such_model'"),
        (
            HPA_SPEC,
            {"model": "tests.trials.nowhere:build"},
            "cannot import module 'tests.trials.nowhere'",
        ),
        (
            HPA_SPEC,
            {"endpoints": [{"name": "slope_normalisation", "threshold": -1}]},
            "must be > 0 nmol/L",
        ),
        (
            HPA_SPEC,
            {"endpoints": [{"name": "cortisol_0800", "threshold": 3}]},
            "cortisol_0800 takes no threshold",
        ),
        (
            HPA_SPEC,
            {"arms": ["usual_care", {"name": "x", "parameters": {"cortisol_half_life_min": -5}}]},
            "parameter cortisol_half_life_min: -5",
        ),
        (
            HPA_SPEC,
            {"simulation": {"warmup": "onset"}},
            "simulation.warmup: model hpa_core has no onset values",
        ),
        (SYNTHETIC_SPEC, {"simulation": {"warmup": "onset"}}, "lacks the HPA-core states"),
        (
            HPA_SPEC,
            {"population": {"size": 4, "injury": {"yearly_probability": 0.4}}},
            "population.injury: model hpa_core has no injury parameters",
        ),
    ]
    for base, changes, message in cases:
        _invalid_in(tmp_path, base, message, **changes)


def _invalid_in(tmp_path: Path, base: dict[str, Any], message: str, **changes: Any) -> None:
    out = tmp_path / "never"
    with pytest.raises(TrialSpecError) as caught:
        run_trial(write_spec(tmp_path / "case.yaml", base, **changes), out, progress=False)
    assert message in str(caught.value), str(caught.value)
    assert not out.exists()


def test_injury_and_warmup_options_are_checked_field_by_field(tmp_path: Path) -> None:
    population = {"size": 4, "injury": {"yearly_probability": 1.5, "median_healing_days": 0}}
    with pytest.raises(TrialSpecError) as caught:
        load_trial_spec(write_spec(tmp_path / "s.yaml", HPA_SPEC, population=population))
    text = str(caught.value)
    assert "s.yaml" in text
    assert "population.injury.yearly_probability: Input should be less than or equal to 1" in text
    assert "population.injury.median_healing_days: Input should be greater than 0" in text
    with pytest.raises(TrialSpecError, match=r"simulation\.warmup: Input should be"):
        load_trial_spec(
            write_spec(tmp_path / "w.yaml", HPA_SPEC, simulation={"warmup": "sometime"})
        )
