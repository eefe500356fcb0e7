"""Twin trials with plan arms: the treatments resolver, per-patient exposure, effects, determinism.

The twin's JIT compilation dominates these tests, so they share shapes: every run is 14 days at
the twin's 5-minute step with batches padded to 8 patients.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import hpatwin
from hpatwin.cli import main
from hpatwin.treatments import clearance_factor
from hpatwin.trials import TrialSpecError, get_plan_resolver, prepare_trial, run_trial
from hpatwin.trials.chunk import time_step_min
from hpatwin.trials.models import resolve_model
from hpatwin.trials.runner import TrialResult
from tests.trials.conftest import REPO_ROOT, make_spec, write_spec

PLANS = REPO_ROOT / "examples" / "plans"

TWIN_SPEC: dict[str, Any] = {
    "name": "twin-ea-mini",
    "model": "twin",
    "seed": 1,
    "population": {"size": 16, "phenotypes": {"comorbid": 1.0}},
    "arms": ["usual_care", {"name": "ea", "plan": str(PLANS / "ea_2_100hz_low_back_12w.yaml")}],
    "duration_days": 14,
    "visits_days": [0, 13],
    "endpoints": ["phq9_change", "pain_nrs_change", "cortisol_0800_change", "rmssd_change"],
    "statistics": {"bootstrap_samples": 200},
    "chunk_size": 8,
    "output": {"traces_per_arm": 1, "report": False},
    # mechanistic checks on the model's values: no observation noise, no enrolment exacerbation
    "observation": {"noise": False},
    "natural_course": False,
}


def _patients(result: TrialResult) -> pd.DataFrame:
    return result.patients().sort_values("patient_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def twin_reference(tmp_path_factory: pytest.TempPathFactory) -> TrialResult:
    """The tiny EA trial on the twin, run through the CLI (two chunks of 8 patients)."""
    folder = tmp_path_factory.mktemp("twin")
    spec = write_spec(folder / "ea.yaml", TWIN_SPEC)
    out = folder / "out"
    result = CliRunner().invoke(main, ["trial", str(spec), "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    return TrialResult(
        out, pd.read_csv(out / "endpoints.csv"), pd.read_csv(out / "effects.csv"), 1, 0
    )


def test_the_treatments_package_registers_the_resolver() -> None:
    from hpatwin.treatments import resolve_trial_plan

    assert get_plan_resolver() is resolve_trial_plan


def test_twin_defaults_step_and_variability() -> None:
    spec = make_spec(TWIN_SPEC)
    prepared = prepare_trial(spec)
    assert time_step_min(spec, prepared.model) == 10.0
    patients = prepared.patients
    # no variability in the spec: the twin's calibrated defaults vary these parameters
    for name in ("tissue_nociception", "depression_vulnerability", "resting_rmssd_ms"):
        assert patients[f"param:{name}"].nunique() == len(patients), name
    given = prepare_trial(
        make_spec(
            TWIN_SPEC,
            population={
                "size": 16,
                "phenotypes": {"comorbid": 1.0},
                "variability": {"cortisol_half_life_min": 0.1},
            },
        )
    ).patients
    assert (
        "param:tissue_nociception" not in given or given["param:tissue_nociception"].nunique() == 1
    )
    # a plan without drugs gives one schedule per input and no parameters
    ea = prepared.arms["ea"]
    assert ea.plan is not None and ea.plan.endswith("ea_2_100hz_low_back_12w.yaml")
    assert ea.inputs["ea_low_frequency_drive"].changes[1] == (540.0, pytest.approx(2 / 3 * 0.5))
    assert not [c for c in patients.columns if c.startswith("treatment:")]


def test_ea_improves_depression_and_pain_on_the_twin(twin_reference: TrialResult) -> None:
    patients = _patients(twin_reference)
    assert len(patients) == 16 and set(patients["arm"]) == {"usual_care", "ea"}
    means = patients.groupby("arm")[["endpoint:phq9_change", "endpoint:pain_nrs_change"]].mean()
    assert abs(means.loc["usual_care", "endpoint:phq9_change"]) < 0.1
    assert (
        means.loc["ea", "endpoint:phq9_change"]
        < means.loc["usual_care", "endpoint:phq9_change"] - 0.2
    )
    assert (
        means.loc["ea", "endpoint:pain_nrs_change"]
        < means.loc["usual_care", "endpoint:pain_nrs_change"] - 0.1
    )
    effects = twin_reference.effects.set_index("endpoint")
    assert effects.loc["phq9_change", "arm"] == "ea"
    assert effects.loc["phq9_change", "ci_high"] < 0
    assert effects.loc["pain_nrs_change", "ci_high"] < 0
    assert (twin_reference.out_dir / "traces.nc").exists()


def test_twin_trial_is_the_same_for_any_chunk_size(
    twin_reference: TrialResult, tmp_path: Path
) -> None:
    small = run_trial(make_spec(TWIN_SPEC, chunk_size=3), tmp_path / "c3", progress=False)
    assert small.executed_chunks == 6
    pd.testing.assert_frame_equal(_patients(small), _patients(twin_reference), check_exact=True)


def test_twin_trial_with_multirate_slow_step_stays_close(
    twin_reference: TrialResult, tmp_path: Path
) -> None:
    data = copy.deepcopy(TWIN_SPEC)
    data["simulation"] = {"slow_step_min": 20}
    fast = run_trial(make_spec(data), tmp_path / "multirate", progress=False)
    multi, single = _patients(fast), _patients(twin_reference)
    assert (multi["patient_id"] == single["patient_id"]).all()
    for column, tolerance in (
        ("endpoint:phq9_change", 0.1),
        ("endpoint:pain_nrs_change", 0.05),
        ("endpoint:cortisol_0800_change", 1.0),
    ):
        assert np.max(np.abs(multi[column] - single[column])) < tolerance, column
    # the slow step was really used: the table differs in the last digits
    assert not multi["endpoint:phq9_change"].equals(single["endpoint:phq9_change"])


def _drug_patients() -> pd.DataFrame:
    hepatic = ["none", "moderate", "none", "mild", "none", "none", "none", "none"]
    renal = ["none", "none", "severe", "none", "none", "none", "none", "none"]
    return pd.DataFrame(
        {
            "patient_id": np.arange(8),
            "phenotype": ["comorbid"] * 8,
            "age_years": [40.0] * 8,
            "sex": ["female", "male"] * 4,
            "pregnant": [False] * 8,
            "pregnancy_trimester": [0] * 8,
            "hepatic_impairment": hepatic,
            "renal_impairment": renal,
        }
    )


def test_hepatic_and_renal_impairment_raise_drug_exposure() -> None:
    resolver = get_plan_resolver()
    assert resolver is not None
    twin = resolve_model("twin")
    patients = _drug_patients()
    treatment = resolver(PLANS / "duloxetine_30_to_60.yaml", twin, patients, 14)
    factors = np.asarray(treatment.parameters["duloxetine_clearance_factor"])
    # the catalogue's duloxetine modifiers: Child-Pugh B 0.15, Child-Pugh A 0.4, CrCl < 30 mL/min 0.5
    moderate, mild = (clearance_factor("duloxetine", hepatic=h) for h in ("moderate", "mild"))
    severe_renal = clearance_factor("duloxetine", creatinine_clearance_ml_min=20)
    assert (moderate, mild, severe_renal) == (0.15, 0.4, 0.5)
    assert factors.tolist() == [1.0, moderate, severe_renal, mild, 1.0, 1.0, 1.0, 1.0]
    unimpaired = patients.assign(hepatic_impairment="none", renal_impairment="none")
    assert resolver(PLANS / "duloxetine_30_to_60.yaml", twin, unimpaired, 14).parameters == {
        "duloxetine_clearance_factor": 1.0
    }
    # in the model the lower clearance shows as a higher plasma level for the same doses
    state = {s.name: np.full(8, s.initial) for s in twin.states}
    run = hpatwin.simulate(
        twin,
        days=14,
        parameters={"duloxetine_clearance_factor": factors},
        inputs=dict(treatment.inputs),
        initial_state=state,
        n_patients=8,
        dt=5.0,
        output_every=60.0,
        pulses=False,
    )
    exposure = run["duloxetine_plasma_mg_l"].sel(time=slice(7 * 1440, None)).mean("time").values
    assert exposure[1] > 4 * exposure[0]  # ~1/0.15 = 6.7-fold at steady state
    assert exposure[0] < exposure[3] < exposure[1] and exposure[2] > 1.5 * exposure[0]


def test_drug_arm_gets_per_patient_clearance_in_the_trial_table(tmp_path: Path) -> None:
    data = copy.deepcopy(TWIN_SPEC)
    data["population"]["factors"] = {"hepatic_impairment": {"none": 0.5, "moderate": 0.5}}
    data["arms"] = ["usual_care", {"name": "snri", "plan": "duloxetine_30_to_60.yaml"}]
    spec = make_spec(data, base_dir=str(PLANS))
    patients = prepare_trial(spec).patients
    snri = patients[patients["arm"] == "snri"]
    column = snri["treatment:duloxetine_clearance_factor"]
    assert (column[snri["hepatic_impairment"] == "moderate"] == 0.15).all()
    assert (column[snri["hepatic_impairment"] == "none"] < 1.01).all()
    assert patients.loc[patients["arm"] == "usual_care", column.name].isna().all()


def _cli_fails(tmp_path: Path, spec: dict[str, Any], *messages: str) -> None:
    path = write_spec(tmp_path / "bad.yaml", spec)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["trial", str(path), "--out", str(out), "--no-progress"])
    assert result.exit_code != 0
    for message in messages:
        assert message in result.output, result.output
    assert not out.exists()


def test_plan_arm_on_a_model_without_treatment_inputs_fails_before_work(tmp_path: Path) -> None:
    data = copy.deepcopy(TWIN_SPEC)
    data.update(
        model="hpa_core",
        population={"size": 4, "phenotypes": {"chronic_stress": 1.0}},
        endpoints=["cortisol_0800_change"],
    )
    data["arms"] = ["usual_care", {"name": "ea", "plan": str(PLANS / "ea_2hz.yaml")}]
    _cli_fails(
        tmp_path,
        data,
        "arms.ea.plan: ",
        "ea_schedules[0] drives input 'ea_low_frequency_drive', which model hpa_core lacks",
    )


def test_invalid_plan_fails_before_work_naming_arm_and_entry(tmp_path: Path) -> None:
    (tmp_path / "bad_plan.yaml").write_text(
        "ea_sessions:\n  - {day: 0, start: '09:00', frequency: 2, intensity_ma: -1,\n"
        "     tolerance_ma: 3, points: [GV20, EX-HN3], electrode_pairs: [[GV20, EX-HN3]]}\n"
        "drugs:\n  - {name: NoSuchDrug, dose_mg: 10, times: ['08:00']}\n",
        encoding="utf-8",
    )
    data = copy.deepcopy(TWIN_SPEC)
    data["arms"] = ["usual_care", {"name": "bad", "plan": "bad_plan.yaml"}]
    _cli_fails(
        tmp_path,
        data,
        "arms.bad.plan: ",
        "ea_sessions[0].intensity_ma: Input should be greater than 0",
        "drugs[0].name: unknown drug 'NoSuchDrug'",
    )


def test_drug_arm_with_minors_is_rejected(tmp_path: Path) -> None:
    data = copy.deepcopy(TWIN_SPEC)
    data["population"]["age"] = {"mean_years": 14, "sd_years": 1, "min_years": 12, "max_years": 16}
    data["arms"] = ["usual_care", {"name": "snri", "plan": "duloxetine_30_to_60.yaml"}]
    with pytest.raises(TrialSpecError, match=r"arms\.snri\.plan: .*PK covers adults only"):
        prepare_trial(make_spec(data, base_dir=str(PLANS)))
