"""A planner protocol converts to a treatment plan that simulates, for every example assessment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hpatwin
from hpatwin.clinic.planner import build_plan, load_assessment
from hpatwin.clinic.planner.assessment import MedicationEntry
from hpatwin.data.drugs import HepaticImpairment
from hpatwin.treatments import compile_plan, from_protocol
from hpatwin.treatments.from_protocol import (
    PAIRING_SEGMENTS,
    Conversion,
    ConversionError,
    ConversionOptions,
    assessment_patient_factors,
    assessment_to_treatment_plan,
    plan_to_document,
    protocol_to_treatment_plan,
)
from hpatwin.treatments.plan import TreatmentPlan

ROOT = Path(__file__).resolve().parents[2]
ASSESSMENTS = sorted((ROOT / "examples" / "assessments").glob("*.yaml"))
SIM_DAYS = 21

BASE: dict[str, Any] = {"age_years": 45, "sex": "female", "phq9_item9": 0}
DEPRESSIVE = {**BASE, "phq9_total": 18, "pain_nrs": 2, "pain_duration_months": 6}
ACUTE_PAIN = {**BASE, "phq9_total": 2, "pain_nrs": 8, "pain_duration_months": 0.5}


def convert(path: Path) -> Conversion:
    return assessment_to_treatment_plan(load_assessment(path))


def test_there_are_example_assessments() -> None:
    assert len(ASSESSMENTS) >= 5


@pytest.mark.parametrize("path", ASSESSMENTS, ids=lambda p: p.stem)
def test_every_example_converts_with_a_report(path: Path) -> None:
    conversion = convert(path)
    plan = conversion.plan
    assert plan.ea_sessions or plan.manual_acupuncture_sessions
    assert conversion.patient is not None
    assert conversion.report.converted
    assert {a.name for a in conversion.report.assumptions} >= {"session_clock", "course_weeks"}
    # the plan format round-trips through plain data
    assert TreatmentPlan.parse(plan_to_document(plan)) == plan
    # every medication of the assessment is either simulated or listed as not simulated
    entered = load_assessment(path).medications
    simulated = [line for line in conversion.report.converted if " → drugs[" in line]
    assert len(simulated) + len(conversion.report.not_simulated) == len(entered)
    assert len(plan.drugs) == len(simulated)


@pytest.mark.parametrize("path", ASSESSMENTS, ids=lambda p: p.stem)
def test_electrode_pairs_stay_within_one_segment_and_never_cross(path: Path) -> None:
    protocol = build_plan(load_assessment(path))
    conversion = protocol_to_treatment_plan(protocol)
    region = {p.code: p.region for p in protocol.points} | {"EX-HN3": "head"}
    for session in conversion.plan.ea_sessions:
        for first, second in session.pairs():
            assert first != second
            assert PAIRING_SEGMENTS[region[first]] == PAIRING_SEGMENTS[region[second]]
            assert "chest" not in (region[first], region[second])


def test_withheld_ea_gives_no_ea_input_but_needling_without_current() -> None:
    conversion = convert(ROOT / "examples/assessments/pacemaker_neck_shoulder.yaml")
    plan = conversion.plan
    assert plan.ea_sessions == () and plan.ea_schedules == ()
    assert len(plan.manual_acupuncture_sessions) == 24
    inputs = compile_plan(plan, days=SIM_DAYS).inputs
    for name in ("ea_low_frequency_drive", "ea_high_frequency_drive", "ea_alternating"):
        assert inputs[name].changes == ((0.0, 0.0),), name
    assert len(inputs["manual_acupuncture"].changes) > 1
    assert any("device-no-ea" in d.reason for d in conversion.report.dropped)


def test_withheld_needling_gives_no_sessions() -> None:
    protocol = build_plan(DEPRESSIVE)
    withheld = protocol.model_copy(update={"needling_withheld_by": ("some-rule",)})
    conversion = protocol_to_treatment_plan(withheld)
    assert not conversion.plan.ea_sessions and not conversion.plan.manual_acupuncture_sessions
    assert [d.field for d in conversion.report.dropped] == ["needling_withheld_by"]


def _shares(conversion: Conversion) -> tuple[float, float]:
    session = conversion.plan.ea_sessions[0]
    inputs = compile_plan(conversion.plan, days=2).inputs
    during = session.day * 1440 + 9 * 60 + 10
    return (
        inputs["ea_low_frequency_drive"].value_at(during),
        inputs["ea_high_frequency_drive"].value_at(during),
    )


def test_two_hz_depressive_plan_has_a_larger_low_frequency_share_than_100_hz_pain() -> None:
    depressive = protocol_to_treatment_plan(build_plan(DEPRESSIVE))
    pain = protocol_to_treatment_plan(build_plan(ACUTE_PAIN))
    assert depressive.plan.ea_sessions[0].frequency == "2"
    assert pain.plan.ea_sessions[0].frequency == "100"
    low_d, high_d = _shares(depressive)
    low_p, high_p = _shares(pain)
    assert low_d / (low_d + high_d) > low_p / (low_p + high_p)
    assert (low_d, high_p) == pytest.approx((2 / 3, 2 / 3), abs=0.01)


def test_an_unknown_point_is_an_error_naming_the_field_when_strict() -> None:
    data = build_plan(DEPRESSIVE).to_dict()
    data["points"][1]["code"] = "XX99"
    with pytest.raises(ConversionError) as err:
        protocol_to_treatment_plan(data, options=ConversionOptions(strict_points=True))
    assert err.value.field == "points[1].code"
    assert "points[1].code: unknown point code 'XX99'" in str(err.value)
    lenient = protocol_to_treatment_plan(data)
    assert [(d.field, d.item) for d in lenient.report.dropped] == [("points[1].code", "XX99")]


def test_bad_protocol_fields_are_named() -> None:
    data = build_plan(DEPRESSIVE).to_dict()
    data["frequency"]["frequency"] = "fast"
    with pytest.raises(ConversionError, match=r"frequency\.frequency: 'fast' is not a frequency"):
        protocol_to_treatment_plan(data)
    with pytest.raises(ConversionError, match="summary"):
        protocol_to_treatment_plan({k: v for k, v in data.items() if k != "summary"})
    with pytest.raises(ConversionError, match=r"options\.session_min"):
        protocol_to_treatment_plan(
            build_plan(DEPRESSIVE), options=ConversionOptions(session_min=25)
        )
    with pytest.raises(ConversionError, match="session_clock: '9am' is not a clock time"):
        protocol_to_treatment_plan(build_plan(DEPRESSIVE), session_clock="9am")
    with pytest.raises(ConversionError, match="intensity_ma"):
        protocol_to_treatment_plan(build_plan(DEPRESSIVE), intensity_ma=-1.0)
    with pytest.raises(ConversionError, match=r"\(top\)"):
        protocol_to_treatment_plan([1, 2])  # type: ignore[arg-type]


def test_schedule_options_and_defaults() -> None:
    protocol = build_plan(DEPRESSIVE)
    default = protocol_to_treatment_plan(protocol)
    days = [s.day for s in default.plan.ea_sessions]
    assert days[:6] == [0, 2, 4, 7, 9, 11] and len(days) == 24
    twelve = protocol_to_treatment_plan(
        protocol,
        start_day=3,
        session_clock="10:30",
        intensity_ma=1.5,
        tolerance_ma=2.5,
        options=ConversionOptions(course_weeks=12, session_min=20, cbt=False),
    )
    sessions = twelve.plan.ea_sessions
    assert len(sessions) == 8 * 3 + 4 * 2
    assert sessions[0].day == 3 and sessions[-1].day == 3 + 11 * 7 + 3
    assert {(s.start, s.duration_min, s.intensity_ma, s.tolerance_ma) for s in sessions} == {
        ("10:30", 20, 1.5, 2.5)
    }
    assert not twelve.plan.cbt_sessions
    names = {a.name for a in twelve.report.assumptions}
    assert not names & {"session_clock", "course_weeks", "session_min", "intensity_ma"}


def test_cbt_follows_the_planners_psychotherapy_recommendation() -> None:
    with_cbt = protocol_to_treatment_plan(build_plan(DEPRESSIVE))
    assert len(with_cbt.plan.cbt_sessions) == 8
    no_depression = protocol_to_treatment_plan(build_plan(ACUTE_PAIN))
    assert not no_depression.plan.cbt_sessions


def test_medications_simulated_or_reported() -> None:
    conversion = assessment_to_treatment_plan(
        {
            **DEPRESSIVE,
            "medications": [
                "Cymbalta 60 mg once daily",
                "naproxen 500 mg b.i.d.",
                "oxycodone 10 mg every 8 hours",
                "oxycodone 5 mg p.r.n.",
                "escitalopram 10 mg",
                "venlafaxine 75 mg whenever",
                "tramadol 50 mg",
                "duloxetine 200 mg once daily",
            ],
        }
    )
    drugs = [(d.name, d.dose_mg, d.times) for d in conversion.plan.drugs]
    assert drugs == [
        ("duloxetine", 60.0, ("08:00",)),
        ("naproxen", 500.0, ("08:00", "20:00")),
        ("oxycodone", 10.0, ("08:00", "14:00", "20:00")),
        ("escitalopram", 10.0, ("08:00",)),
    ]
    reasons = {d.field: d.reason for d in conversion.report.not_simulated}
    assert set(reasons) == {
        "medications[3]",
        "medications[5]",
        "medications[6]",
        "medications[7]",
    }
    assert "as needed" in reasons["medications[3]"]
    assert "not understood" in reasons["medications[5]"]
    assert "no PK" in reasons["medications[6]"]
    assert "label maximum" in reasons["medications[7]"]
    assert "medications[4].frequency" in {a.name for a in conversion.report.assumptions}


def test_medications_can_be_given_to_the_protocol_conversion() -> None:
    protocol = build_plan({**DEPRESSIVE, "medications": ["Effexor XR 150 mg"]})
    from_summary = protocol_to_treatment_plan(protocol)
    assert [(d.name, d.times) for d in from_summary.plan.drugs] == [("venlafaxine", ("08:00",))]
    given = protocol_to_treatment_plan(
        protocol,
        medications=[MedicationEntry(name="Effexor XR", dose_mg=75, frequency="twice daily")],
    )
    assert [(d.dose_mg, d.times) for d in given.plan.drugs] == [(75.0, ("08:00", "20:00"))]


def test_patient_factors_from_the_assessment() -> None:
    pregnant = assessment_patient_factors(
        load_assessment(ROOT / "examples/assessments/pregnant_24w_duloxetine_low_back.yaml")
    )
    assert (pregnant.sex, pregnant.pregnancy_trimester) == ("female", 2)
    older = convert(ROOT / "examples/assessments/older_seven_drugs_crcl25_nsaid.yaml")
    assert older.patient is not None
    assert (older.patient.age_years, older.patient.creatinine_clearance_ml_min) == (78.0, 25.0)
    params = older.drug_parameters(days=SIM_DAYS)
    assert params["duloxetine_clearance_factor"] < 1.0
    cirrhosis = assessment_to_treatment_plan(
        {**DEPRESSIVE, "sex": "other", "liver_status": "cirrhosis"}
    )
    assert cirrhosis.patient is not None
    assert cirrhosis.patient.hepatic is HepaticImpairment.MODERATE
    assumed = {a.name for a in cirrhosis.report.assumptions}
    assert {"patient.hepatic", "patient.sex", "patient.creatinine_clearance_ml_min"} <= assumed
    with pytest.raises(ConversionError, match=r"assessment: age_years: .*adults only"):
        assessment_patient_factors({**DEPRESSIVE, "age_years": 15})


@pytest.mark.slow
@pytest.mark.parametrize("path", ASSESSMENTS, ids=lambda p: p.stem)
def test_every_example_simulates_on_the_twin(path: Path) -> None:
    conversion = convert(path)
    ds = hpatwin.simulate(
        model="twin",
        plan=conversion.plan,
        phenotype="comorbid",
        days=SIM_DAYS,
        dt=5,
        parameters=conversion.drug_parameters(SIM_DAYS),
    )
    for name, variable in ds.data_vars.items():
        if np.issubdtype(variable.dtype, np.number):
            assert np.isfinite(variable.values).all(), name


def test_a_pair_the_plan_validator_rejects_is_dropped_and_the_rest_kept() -> None:
    builder = from_protocol._Builder()
    ea = {
        "start": "09:00",
        "duration_min": 30,
        "frequency": "2",
        "intensity_ma": 2.0,
        "tolerance_ma": 3.0,
        "points": ["GV20", "EX-HN3", "PC6"],
        "electrode_pairs": [["GV20", "EX-HN3"], ["PC6", "LI4"]],
    }
    kept = from_protocol._validated_pairs(ea, builder)
    assert kept["electrode_pairs"] == [["GV20", "EX-HN3"]]
    assert [(d.field, d.item) for d in builder.dropped] == [("electrode_pairs[1]", "PC6–LI4")]
    assert "not among the session's points" in builder.dropped[0].reason
    only_bad = {**ea, "electrode_pairs": [["PC6", "LI4"]]}
    assert from_protocol._validated_pairs(only_bad, from_protocol._Builder()) == {}


def test_the_package_exports_the_conversion() -> None:
    assert hpatwin.treatments.protocol_to_treatment_plan is protocol_to_treatment_plan
