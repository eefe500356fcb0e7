"""Treatment calibration through ``hpatwin trial`` (hpatwin.cohorts.treatment_calibration).

Fast tests: the calibration spec files parse and pass the trial runner's checks, the harness
reads figures off a patient table and writes them (JSON + markdown), bad input exits 2.

Slow tests (``--run-slow``): the four calibration trials at 150 randomised patients per arm
(the specs' seeds; about 2 minutes on the 2-core machine), one test per target. The documented
300-per-arm figures are in docs/treatments.md; at 150 per arm the standard error of an effect
size is about 0.12 SD and of the PHQ-9 difference about 0.6 points, so each range is widened by
the stated margin.
"""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hpatwin.cohorts.treatment_calibration import (
    CALIBRATION_SPECS,
    Target,
    calibration_spec,
    compare,
    main,
    median_improvement,
    plan_session_days,
    run_calibrations,
    write_figures,
)
from hpatwin.treatments import load_plan
from hpatwin.trials import prepare_trial

REPO_ROOT = Path(__file__).resolve().parents[2]
SPECS_DIR = REPO_ROOT / "examples" / "trials"
SLOW_PER_ARM = 150
#: margins at SLOW_PER_ARM (about one standard error)
ES_MARGIN = 0.12
PHQ9_MARGIN = 0.6


@pytest.mark.parametrize("name", sorted(CALIBRATION_SPECS))
def test_calibration_specs_parse_and_prepare(name: str) -> None:
    spec = calibration_spec(SPECS_DIR / CALIBRATION_SPECS[name], 300)
    assert spec.population.size == 300 * len(spec.arms)
    assert spec.observation.noise  # calibrated on observed scores
    prepared = prepare_trial(spec)
    assert prepared.n_patients == spec.population.size


def test_frequency_arms_are_equal_but_for_the_frequency() -> None:
    spec = calibration_spec(SPECS_DIR / CALIBRATION_SPECS["frequency_comparison"], None)
    days = {arm.name: plan_session_days(spec, arm.name) for arm in spec.arms if arm.plan}
    assert len(set(map(tuple, days.values()))) == 1  # same sessions, same days, every arm
    assert len(days["ea_2hz"]) == 24 and days["ea_2hz"][0] == 1 and days["ea_2hz"][-1] < 84


def test_acudep_arm_is_weekly_manual_acupuncture() -> None:
    # ACUDep (MacPherson 2013): traditional, hand-stimulated acupuncture (no current), up to 12
    # weekly sessions offered, a mean of 10 attended; the sham arm shares its days
    spec = calibration_spec(SPECS_DIR / CALIBRATION_SPECS["macpherson_depression"], None)
    days = plan_session_days(spec, "acupuncture")
    assert days == list(range(1, 64 + 1, 7)) and days == plan_session_days(spec, "sham")
    path = spec.arm("acupuncture").plan
    assert path is not None and spec.base_dir is not None
    plan = load_plan(spec.base_dir / path)
    assert {block.kind for block in plan.session_blocks()} == {"manual_acupuncture"}
    assert spec.screening.phq9_min == 10
    assert spec.visits_days[-1] == 91  # 3 months


def test_time_course_visits_follow_one_more_session_each() -> None:
    spec = calibration_spec(SPECS_DIR / CALIBRATION_SPECS["time_course"], None)
    sessions = plan_session_days(spec, "ea_2_100hz")
    given = [sum(1 for s in sessions if s <= d) for d in spec.visits_days[1:9]]
    assert given == [1, 2, 3, 4, 5, 6, 7, 8]


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    base = rng.normal(15, 3, 300)
    arm = np.repeat(["usual_care", "ea"], 150)
    follow = base - 3 * (arm == "ea") + rng.normal(0, 2, 300)
    return pd.DataFrame({"arm": arm, "enrolled": True, "phq9@day0": base, "phq9@day28": follow})


def test_figures_from_a_patient_table() -> None:
    table = _table()
    result = compare(table, "ea", "usual_care", "phq9", 28)
    assert -3.6 < result.difference < -2.4 and result.effect_size > 0
    assert (
        median_improvement(table, "ea", [28])[0] > median_improvement(table, "usual_care", [28])[0]
    )
    screened_out = table.assign(enrolled=np.arange(300) % 2 == 0)
    assert compare(screened_out, "ea", "usual_care", "phq9", 28).n_arm == 75


def test_harness_writes_its_figures(tmp_path: Path) -> None:
    figures: dict[str, Any] = {
        "vickers_pain": {"targets": [Target("ES vs sham", 0.2, 0.1, 0.35, "SD")]},
        "frequency_comparison": {"targets": [Target("ordering", 1.0, 1, 1, "", "4 / 3 / 5")]},
    }
    write_figures(tmp_path, figures, 300)
    data = json.loads((tmp_path / "calibration.json").read_text())
    assert data["per_arm"] == 300
    assert data["calibrations"]["vickers_pain"]["targets"][0]["passed"] is True
    text = (tmp_path / "calibration.md").read_text()
    assert "| vickers_pain | ES vs sham | 0.1 to 0.35 SD | **0.2** | pass |" in text
    assert "| holds | yes (4 / 3 / 5) | pass |" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "nonsense"], "unknown calibration nonsense"),
        (["--per-arm", "0"], "--per-arm: 0 must be ≥ 1"),
        (["--specs-dir", "/nonexistent"], "calibration_vickers_pain.yaml"),
    ],
)
def test_bad_input_exits_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and message in err and "Traceback" not in err


# ----------------------------------------------------------------------------- slow
@functools.cache
def _figures() -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="hpatwin-calibration-"))
    return run_calibrations(
        out, specs_dir=SPECS_DIR, per_arm=SLOW_PER_ARM, progress=False, log=lambda _: None
    )


def _value(name: str, index: int) -> float:
    target = _figures()[name]["targets"][index]
    return float(target.value)


@pytest.mark.slow
def test_pain_effect_vs_sham_matches_vickers() -> None:
    # Vickers 2012/2018: about 0.2 SD vs sham (target 0.1-0.35)
    assert 0.1 - ES_MARGIN <= _value("vickers_pain", 0) <= 0.35 + ES_MARGIN


@pytest.mark.slow
def test_pain_effect_vs_usual_care_matches_vickers() -> None:
    # about 0.5 SD vs no acupuncture (target 0.35-0.7)
    assert 0.35 - ES_MARGIN <= _value("vickers_pain", 1) <= 0.7 + ES_MARGIN


@pytest.mark.slow
def test_phq9_difference_vs_usual_care_matches_acudep() -> None:
    # MacPherson 2013: manual (traditional Chinese medicine) acupuncture, a mean of 10 weekly
    # sessions: -2.46 (95 % CI -3.72 to -1.21) vs usual care at 3 months (target -3.5 to -1.5)
    assert -3.5 - PHQ9_MARGIN <= _value("macpherson_depression", 0) <= -1.5 + PHQ9_MARGIN


@pytest.mark.slow
def test_sham_stays_close_to_usual_care_on_phq9() -> None:
    assert _value("macpherson_depression", 1) <= 0.3 + ES_MARGIN


@pytest.mark.slow
def test_phq9_improvement_reaches_20_percent_between_sessions_4_and_6() -> None:
    assert 4 <= _value("time_course", 0) <= 6
    assert _value("time_course", 1) >= 0.02  # cumulative to week 12


@pytest.mark.slow
def test_frequencies_keep_the_article_ordering_against_sham() -> None:
    arms = _figures()["frequency_comparison"]["arms"]
    # the ordering is a property of the mechanism: read it on the model's values at the visits
    # (latent columns), where 150 per arm resolve it; on observed scores the 2 Hz vs 2/100 Hz gap
    # (0.2 PHQ-9 points at 300 per arm) is within one standard error
    mood = {arm: -row["latent_phq9_difference_vs_sham"] for arm, row in arms.items()}
    pain = {arm: -row["latent_pain_nrs_difference_vs_sham"] for arm, row in arms.items()}
    # antidepressant: 2/100 Hz ≥ 2 Hz > 100 Hz
    assert mood["ea_2_100hz"] >= mood["ea_2hz"] > mood["ea_100hz"] > 0
    # analgesia: 2/100 Hz (strong and long-lasting) at least as strong as either frequency
    assert pain["ea_2_100hz"] >= max(pain["ea_2hz"], pain["ea_100hz"]) > 0
