"""Compilation to model inputs: the contract with the model, checked example by example."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from hpatwin.engine.inputs import Schedule
from hpatwin.treatments import (
    DRUG_KEYS,
    TREATMENT_INPUTS,
    PatientFactors,
    TreatmentPlan,
    compile_plan,
    frequency_shares,
    low_frequency_share,
)
from hpatwin.treatments.plan import PlanError


def integral(schedule: Schedule, start: float, end: float) -> float:
    """∫ schedule dt over [start, end) for a piecewise-constant schedule (default 0)."""
    total = 0.0
    changes = [*list(schedule.changes), (math.inf, 0.0)]
    for (t0, value), (t1, _) in itertools.pairwise(changes):
        lo, hi = max(t0, start), min(t1, end)
        if hi > lo:
            total += value * (hi - lo)
    return total


def ea(day: int, start: str = "09:00", **extra: Any) -> dict[str, Any]:
    session: dict[str, Any] = {
        "day": day,
        "start": start,
        "frequency": "2/100",
        "intensity_ma": 2.0,
        "tolerance_ma": 4.0,
        "points": ["GV20", "EX-HN3"],
    }
    session.update(extra)
    return session


def test_input_names_are_the_contract() -> None:
    assert TREATMENT_INPUTS == (
        "ea_low_frequency_drive",
        "ea_high_frequency_drive",
        "ea_alternating",
        "needling_nonspecific",
        "manual_acupuncture",
        "sham_needling",
        "trigger_point_needling",
        "trigger_point_region_cervical",
        "trigger_point_region_periscapular",
        "trigger_point_region_lumbar",
        "cbt_session",
        "duloxetine_dose_rate_mg_per_min",
        "venlafaxine_dose_rate_mg_per_min",
        "escitalopram_dose_rate_mg_per_min",
        "oxycodone_dose_rate_mg_per_min",
        "naproxen_dose_rate_mg_per_min",
    )
    compiled = compile_plan(TreatmentPlan.parse({}), days=1)
    assert set(compiled.inputs) == set(TREATMENT_INPUTS)
    assert all(s.changes == ((0.0, 0.0),) for s in compiled.inputs.values())
    assert compiled.parameters == {}


@pytest.mark.parametrize(
    ("frequency", "low", "high", "alternating"),
    [
        ("2", 0.5, 0.0, 0.0),
        (2.5, 0.5, 0.0, 0.0),
        ("100", 0.0, 0.5, 0.0),
        ("2/100", 0.25, 0.25, 1.0),
    ],
)
def test_ea_drives_by_frequency(
    frequency: Any, low: float, high: float, alternating: float
) -> None:
    plan = TreatmentPlan.parse({"ea_sessions": [ea(0, frequency=frequency)]})  # rel. intensity 0.5
    inputs = compile_plan(plan, days=1).inputs
    at = 9 * 60 + 15
    assert inputs["ea_low_frequency_drive"].value_at(at) == pytest.approx(low)
    assert inputs["ea_high_frequency_drive"].value_at(at) == pytest.approx(high)
    assert inputs["ea_alternating"].value_at(at) == alternating
    assert inputs["needling_nonspecific"].value_at(at) == 1.0
    for name in ("ea_low_frequency_drive", "needling_nonspecific", "ea_alternating"):
        assert inputs[name].value_at(9 * 60 + 30) == 0.0  # off at the session end
        assert inputs[name].value_at(9 * 60 - 1) == 0.0
    assert inputs["sham_needling"].value_at(at) == 0.0


def test_low_frequency_share_is_smooth_and_monotone() -> None:
    frequencies = [0.5 * 1.05**k for k in range(120)]  # 0.5 Hz … ~170 Hz
    shares = [low_frequency_share(f) for f in frequencies]
    assert all(a >= b for a, b in itertools.pairwise(shares))
    assert low_frequency_share(4.0) == 1.0 and low_frequency_share(80.0) == 0.0
    # continuous at both ends
    assert low_frequency_share(4.0001) == pytest.approx(1.0, abs=1e-6)
    assert low_frequency_share(79.999) == pytest.approx(0.0, abs=1e-6)
    assert low_frequency_share(math.sqrt(4 * 80)) == pytest.approx(0.5)
    assert frequency_shares((2.0, 100.0)) == (0.5, 0.5, True)
    low, high, alternating = frequency_shares((2.0, 15.0))
    assert alternating and low + high == pytest.approx(1.0) and 0.5 < low < 1.0


def test_relative_intensity_at_the_cap_compiles() -> None:
    plan = TreatmentPlan.parse(
        {"ea_sessions": [ea(0, frequency=2, intensity_ma=6, tolerance_ma=4)]}
    )
    compiled = compile_plan(plan, days=1)
    assert compiled.inputs["ea_low_frequency_drive"].value_at(550) == 1.5


def test_intensity_far_above_tolerance_is_refused_not_noted() -> None:
    """Issue #17: intensity 19x the tolerance threshold got only a note."""
    with pytest.raises(PlanError, match=r"19× the tolerance threshold"):
        TreatmentPlan.parse({"ea_sessions": [ea(0, frequency=2, intensity_ma=19, tolerance_ma=1)]})


def test_sham_manual_dry_needling_and_cbt_inputs() -> None:
    plan = TreatmentPlan.parse(
        {
            "sham_sessions": [{"day": 0, "start": "08:00"}],
            "manual_acupuncture_sessions": [{"day": 0, "start": "10:00", "points": ["ST36"]}],
            "dry_needling_sessions": [
                {"day": 0, "start": "12:00", "region": "cervical", "muscle": "upper_trapezius"},
                {
                    "day": 0,
                    "start": "13:00",
                    "region": "lumbar",
                    "muscle": "quadratus_lumborum",
                    "duration_min": 20,
                },
            ],
            "cbt_sessions": [{"day": 0, "start": "16:00"}],
        }
    )
    inputs = compile_plan(plan, days=1).inputs

    def on(name: str) -> list[float]:
        return [inputs[name].value_at(t) for t in (485, 605, 725, 785, 965)]

    assert on("needling_nonspecific") == [1, 1, 1, 1, 0]
    assert on("sham_needling") == [1, 0, 0, 0, 0]
    assert on("manual_acupuncture") == [0, 1, 0, 0, 0]
    assert on("trigger_point_needling") == [0, 0, 1, 1, 0]
    assert on("trigger_point_region_cervical") == [0, 0, 1, 0, 0]
    assert on("trigger_point_region_lumbar") == [0, 0, 0, 1, 0]
    assert on("trigger_point_region_periscapular") == [0, 0, 0, 0, 0]
    assert on("cbt_session") == [0, 0, 0, 0, 1]
    assert on("ea_low_frequency_drive") == [0, 0, 0, 0, 0]
    assert inputs["cbt_session"].changes == ((0.0, 0.0), (960.0, 1.0), (1010.0, 0.0))
    assert inputs["trigger_point_needling"].changes[-2:] == ((780.0, 1.0), (800.0, 0.0))


def test_back_to_back_sessions_merge_into_one_change() -> None:
    plan = TreatmentPlan.parse({"ea_sessions": [ea(0, "09:00"), ea(0, "09:30", frequency="2")]})
    inputs = compile_plan(plan, days=1).inputs
    assert inputs["needling_nonspecific"].changes == ((0.0, 0.0), (540.0, 1.0), (600.0, 0.0))
    assert inputs["ea_alternating"].changes == ((0.0, 0.0), (540.0, 1.0), (570.0, 0.0))
    assert inputs["ea_low_frequency_drive"].changes == (
        (0.0, 0.0),
        (540.0, 0.25),
        (570.0, 0.5),
        (600.0, 0.0),
    )


def test_dose_blocks_and_parameters() -> None:
    plan = TreatmentPlan.parse(
        {
            "drugs": [
                {"name": "Effexor XR", "dose_mg": 75, "times": ["07:58"]},
                {"name": "naproxen", "dose_mg": 500, "times": ["08:00", "20:00"], "end_day": 2},
            ]
        }
    )
    compiled = compile_plan(plan, days=3)
    venlafaxine = compiled.inputs["venlafaxine_dose_rate_mg_per_min"]
    assert venlafaxine.changes[:3] == ((0.0, 0.0), (480.0, 7.5), (490.0, 0.0))
    naproxen = compiled.inputs["naproxen_dose_rate_mg_per_min"]
    assert [t for t, v in naproxen.changes if v > 0] == [480.0, 1200.0, 1920.0, 2640.0]
    assert compiled.planned_total_mg == {"venlafaxine": 225.0, "naproxen": 2000.0}
    assert compiled.daily_doses_mg["naproxen"] == {0: 1000.0, 1: 1000.0}
    assert integral(naproxen, 0, compiled.horizon_min) == pytest.approx(2000.0)
    assert compiled.parameters == {
        "venlafaxine_clearance_factor": 1.0,
        "naproxen_clearance_factor": 1.0,
    }
    assert any("07:58 moved to 08:00" in note for note in compiled.notes)


def test_patient_factors_set_clearance_parameters() -> None:
    plan = TreatmentPlan.parse(
        {"drugs": [{"name": key, "dose_mg": 10, "times": ["08:00"]} for key in DRUG_KEYS]}
    )
    patient = PatientFactors(
        age_years=70, sex="female", hepatic="moderate", creatinine_clearance_ml_min=20
    )
    compiled = compile_plan(plan, days=1, patient=patient)
    # 0.15 (Child-Pugh B) × 0.5 (CrCl < 30) × 0.8 (≥ 65 y): above the 0.05 bound, kept
    assert compiled.parameters["duloxetine_clearance_factor"] == pytest.approx(0.06)
    assert compiled.parameters["venlafaxine_clearance_factor"] == pytest.approx(0.5 * 0.5 * 0.86)
    for key in DRUG_KEYS:
        assert compiled.parameters[f"{key}_clearance_factor"] == pytest.approx(
            max(0.05, patient.clearance_factor(key))
        )


def test_clearance_factor_is_clipped_to_the_parameter_bounds_with_a_note() -> None:
    plan = TreatmentPlan.parse(
        {"drugs": [{"name": "duloxetine", "dose_mg": 30, "times": ["08:00"]}]}
    )
    patient = PatientFactors(
        age_years=80, sex="male", hepatic="severe", creatinine_clearance_ml_min=20
    )
    compiled = compile_plan(plan, days=1, patient=patient)
    assert compiled.parameters == {"duloxetine_clearance_factor": 0.05}
    assert any("0.0375 clipped to the parameter bound 0.05" in n for n in compiled.notes)


def test_titration_produces_the_planned_daily_doses() -> None:
    plan = TreatmentPlan.parse(
        {
            "drugs": [
                {
                    "name": "Cymbalta",
                    "dose_mg": 30,
                    "times": ["08:00"],
                    "titration": [{"day": 7, "dose_mg": 60}],
                }
            ]
        }
    )
    compiled = compile_plan(plan, days=14)
    rate = compiled.inputs["duloxetine_dose_rate_mg_per_min"]
    per_day = [integral(rate, d * 1440, (d + 1) * 1440) for d in range(14)]
    assert per_day == pytest.approx([30.0] * 7 + [60.0] * 7)
    assert list(compiled.daily_doses_mg["duloxetine"].values()) == pytest.approx(per_day)


def test_taper_produces_the_planned_daily_doses() -> None:
    # oxycodone 30 mg twice daily, −10 % of the original dose every 7 days from day 7
    plan = TreatmentPlan.parse(
        {
            "drugs": [
                {
                    "name": "oxycodone",
                    "dose_mg": 30,
                    "times": ["08:00", "20:00"],
                    "taper": {"start_day": 7, "percent": 10, "every_days": 7},
                }
            ]
        }
    )
    compiled = compile_plan(plan, days=7 * 12)
    rate = compiled.inputs["oxycodone_dose_rate_mg_per_min"]
    weekly = [integral(rate, w * 7 * 1440, (w + 1) * 7 * 1440) / 7 for w in range(12)]
    expected = [60.0] + [60.0 * (1 - 0.1 * k) for k in range(1, 10)] + [0.0, 0.0]
    assert weekly == pytest.approx(expected)
    assert compiled.planned_total_mg["oxycodone"] == pytest.approx(7 * sum(expected))


def test_horizon_cuts_and_drops_sessions() -> None:
    plan = TreatmentPlan.parse(
        {
            "ea_sessions": [ea(0, "23:50"), ea(2)],
            "drugs": [{"name": "Lexapro", "dose_mg": 10, "times": ["08:00"]}],
        }
    )
    compiled = compile_plan(plan, days=1)
    assert compiled.inputs["needling_nonspecific"].changes == ((0.0, 0.0), (1430.0, 1.0))
    assert any("cut at the horizon" in note for note in compiled.notes)
    assert any("1 session(s) at or after the horizon" in note for note in compiled.notes)
    assert compiled.planned_total_mg == {"escitalopram": 10.0}


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "days: 0 must be a finite number > 0"),
        (-2, "days: -2 must be"),
        (math.nan, "days: nan must be"),
        (math.inf, "days: inf must be"),
        (1 / 1440, "is not a whole number of 10-minute steps"),
        ("two", "days: 'two' is not a number"),
    ],
)
def test_bad_horizon(days: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_plan(TreatmentPlan.parse({}), days=days)


def test_plan_data_and_patient_type_are_checked() -> None:
    compiled = compile_plan({"cbt_sessions": [{"day": 0, "start": "10:00"}]}, days=0.5)
    assert compiled.horizon_min == 720
    with pytest.raises(ValueError, match="patient: expected PatientFactors"):
        compile_plan({}, days=1, patient={"age_years": 40})  # type: ignore[arg-type]


def test_pregnant_patient_gets_point_cautions() -> None:
    plan = TreatmentPlan.parse(
        {
            "ea_sessions": [
                ea(0, points=["LI4", "SP6", "GV20", "EX-HN3"], electrode_pairs=[["GV20", "EX-HN3"]])
            ]
        }
    )
    patient = PatientFactors(age_years=30, sex="female", pregnancy_trimester=2)
    notes = compile_plan(plan, days=1, patient=patient).notes
    cautions = [n for n in notes if n.startswith("caution:")]
    assert len(cautions) == 2 and "LI4" in cautions[0] and "SP6" in cautions[1]
    assert not [n for n in compile_plan(plan, days=1).notes if n.startswith("caution:")]
