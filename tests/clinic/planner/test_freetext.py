"""Issue #17: the one free-text parser refuses ambiguity; each reproduction has a test."""

from __future__ import annotations

import pytest

from hpatwin.clinic.planner import build_plan
from hpatwin.clinic.planner.assessment import (
    AssessmentError,
    ConditionEntry,
    MedicationEntry,
    parse_assessment,
    resolve_assessment,
)
from hpatwin.clinic.planner.freetext import (
    FreeTextError,
    clean_text,
    control_status,
    parse_frequency,
    parse_medication_text,
)
from hpatwin.clinic.planner.knowledge import KnowledgeBase

from .conftest import make, plan_for


def test_aspirin_1000_mg_tid_fires_nsaid_renal_and_beers() -> None:
    """Reproduction: 'aspirin 1,000 mg three times daily' was read as 1 mg (low dose)."""
    plan = plan_for(
        age_years=72,
        creatinine_clearance_ml_min=25,
        medications=["aspirin 1000 mg three times daily"],
    )
    assert {"renal-nsaid-crcl-below-30-older", "beers-nsaid-chronic-use"} <= plan.alert_codes()


def test_comma_thousands_is_refused_not_read_as_low_dose() -> None:
    with pytest.raises(AssessmentError, match=r"medications\[0\].*'1,000' has a comma"):
        parse_assessment(make(medications=["aspirin 1,000 mg three times daily"]))


@pytest.mark.parametrize("text", ["aspirin 1,5 mg", "aspirin 81,5 mg", "aspirin 1.000 mg"])
def test_locale_numbers_are_refused(text: str) -> None:
    with pytest.raises(FreeTextError):
        parse_medication_text(text)


def test_leading_zero_decimals_are_fine() -> None:
    assert parse_medication_text("digoxin 0.125 mg once daily")["dose_mg"] == 0.125


def test_structured_medication_entry(kb: KnowledgeBase) -> None:
    data = make(
        age_years=72,
        creatinine_clearance_ml_min=25,
        medications=[{"name": "Disprin", "dose": 1, "unit": "g", "frequency": "tid"}],
    )
    picture = resolve_assessment(parse_assessment(data), kb)
    med = picture.medications[0]
    assert med.drug_ids == ("aspirin",)
    assert med.entry.dose_mg == 1000.0 and med.entry.daily_dose() == 3000.0
    assert "nsaid" in med.classes


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "aspirin", "dose": 1},
        {"name": "aspirin", "dose": "1,000", "unit": "mg"},
        {"name": "aspirin", "dose": 100, "unit": "tablets"},
        {"name": "aspirin 100 mg", "dose_mg": 100},
    ],
)
def test_structured_medication_entry_refuses_bad_fields(bad: dict[str, object]) -> None:
    with pytest.raises(AssessmentError, match=r"medications\[0\]"):
        parse_assessment(make(medications=[bad]))


def test_several_doses_in_one_entry_are_refused() -> None:
    with pytest.raises(FreeTextError, match="more than one dose"):
        parse_medication_text("duloxetine 30 mg + 60 mg")


def test_conflicting_frequencies_are_refused() -> None:
    with pytest.raises(FreeTextError, match="more than one frequency"):
        parse_frequency("once daily or twice daily")


@pytest.mark.parametrize(
    ("text", "per_day"),
    [
        ("once daily", 1.0),
        ("bid", 2.0),
        ("three times daily", 3.0),
        ("tds", 3.0),
        ("qid", 4.0),
        ("every 8 hours", 3.0),
        ("at night", 1.0),
        ("as needed", None),
    ],
)
def test_frequencies(text: str, per_day: float | None) -> None:
    assert parse_frequency(text) == (True, per_day)


def test_epilepsy_not_well_controlled_withholds_ea() -> None:
    """Reproduction: 'epilepsy, not well controlled' was classified as controlled."""
    plan = plan_for(conditions=["epilepsy, not well controlled"])
    assert "epilepsy-uncontrolled-no-ea" in plan.alert_codes()
    assert plan.frequency.electrical_stimulation == "withheld"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("epilepsy, not well controlled", False),
        ("epilepsy, poorly controlled", False),
        ("epilepsy with breakthrough seizures", False),
        ("epilepsy, not seizure-free", False),
        ("epilepsy, well controlled", True),
        ("epilepsy, no seizures for 3 years", True),
        ("epilepsy", None),
    ],
)
def test_control_status(text: str, expected: bool | None) -> None:
    assert control_status(text) is expected


@pytest.mark.parametrize("text", ["epilepsy, mostly controlled", "epilepsy, usually controlled"])
def test_qualified_control_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="qualified"):
        ConditionEntry.from_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "no pacemaker",
        "denies epilepsy",
        "pacemaker removed",
        "ex-smoker",
        "without ICD",
        "?epilepsy",
        "suspected bleeding disorder",
    ],
)
def test_negations_and_doubt_are_refused_not_read_as_present(text: str) -> None:
    """Reproduction: 'no pacemaker' was read as a pacemaker."""
    with pytest.raises(AssessmentError, match=r"conditions\[0\]"):
        parse_assessment(make(conditions=[text]))


@pytest.mark.parametrize("text", ["no aspirin", "stopped warfarin", "warfarin (discontinued)"])
def test_negated_medications_are_refused(text: str) -> None:
    with pytest.raises(AssessmentError, match=r"medications\[0\]"):
        parse_assessment(make(medications=[text]))


def test_structured_condition_code(kb: KnowledgeBase) -> None:
    data = make(conditions=[{"code": "epilepsy", "controlled": False}])
    picture = resolve_assessment(parse_assessment(data), kb)
    assert (picture.conditions[0].category, picture.conditions[0].controlled) == (
        "epilepsy",
        "no",
    )
    with pytest.raises(AssessmentError, match="not a known condition"):
        resolve_assessment(parse_assessment(make(conditions=[{"code": "nope"}])), kb)


def test_structured_control_contradicting_the_name_is_refused() -> None:
    with pytest.raises(AssessmentError, match="contradicts"):
        parse_assessment(make(conditions=[{"name": "uncontrolled epilepsy", "controlled": True}]))


def test_control_characters_are_stripped() -> None:
    assert clean_text("warfarin\x1b[8m\u202e") == "warfarin[8m"
    entry = MedicationEntry.from_text("warfarin\x1b[2J 5 mg")
    assert "\x1b" not in entry.name


def test_duloxetine_above_label_maximum_alerts() -> None:
    """Reproduction: duloxetine 600 mg/day passed with no dose alert."""
    for text in ("duloxetine 600 mg/day", "duloxetine 300 mg twice daily"):
        plan = plan_for(medications=[text])
        assert "dose-above-label-maximum" in plan.alert_codes(), text


def test_duloxetine_at_label_maximum_does_not_alert() -> None:
    plan = plan_for(medications=["duloxetine 60 mg twice daily"])
    assert "dose-above-label-maximum" not in plan.alert_codes()
    assert "daily-dose-not-computable" not in plan.alert_codes()


def test_unknown_daily_dose_is_reported() -> None:
    plan = plan_for(medications=["duloxetine 60 mg"])
    assert "daily-dose-not-computable" in plan.alert_codes()
    assert (
        "daily-dose-not-computable" not in plan_for(medications=["ibuprofen 200 mg"]).alert_codes()
    )


def test_withheld_ea_leaves_no_ea_parameters() -> None:
    """Reproduction: with EA withheld the plan still listed 2/100 Hz and EA session lengths."""
    plan = build_plan(make(conditions=["cardiac pacemaker"]))
    assert plan.frequency.electrical_stimulation == "withheld"
    assert plan.frequency.frequency is None and plan.frequency.profile == {}
    assert plan.electrode_pairs == ()
    assert not any(p.electrical_stimulation for p in plan.points)
    topics = {d.provenance.rule_id for d in plan.schedule.delivery}
    assert not topics & {
        "delivery-session-length",
        "delivery-alternating-mode",
        "delivery-intensity",
    }
    assert plan.frequency.alternatives and "Manual acupuncture" in plan.frequency.alternatives[0]
    from hpatwin.clinic.planner import render_html, render_text

    for rendered in (render_text(plan), render_html(plan)):
        assert "2/100" not in rendered and "100 Hz" not in rendered


def test_permitted_ea_keeps_its_parameters() -> None:
    plan = build_plan(make())
    assert plan.frequency.frequency == "2/100 Hz"
    assert "delivery-session-length" in {d.provenance.rule_id for d in plan.schedule.delivery}
    assert plan.frequency.alternatives == ()


def test_withheld_needling_leaves_no_schedule() -> None:
    plan = build_plan(make(conditions=["haemophilia A"]))
    assert plan.points == () and plan.schedule.phases == () and plan.schedule.delivery == ()
    assert "No needling" in plan.frequency.alternatives[0]


def test_item9_positive_plan_leads_with_the_urgent_pathway() -> None:
    from hpatwin.clinic.planner import render_text

    plan = build_plan(make(phq9_item9=2, conditions=["cardiac pacemaker"]))
    assert plan.alerts[0].code == "phq9-item9-positive"
    text = render_text(plan)
    first_alert = text.index("URGENT")
    assert first_alert < text.index("device-no-ea") if "device-no-ea" in text else True
    assert first_alert < text.index("Indication")


@pytest.mark.parametrize(
    ("entry", "fires"),
    [
        ("naproxen 1000 mg twice daily", True),
        ("naproxen 500 mg twice daily", False),
        ("escitalopram 40 mg once daily", True),
        ("escitalopram 20 mg once daily", False),
        ("venlafaxine 225 mg twice daily", True),
        ("oxycodone 200 mg three times daily", False),  # only a plausibility ceiling, no label
    ],
)
def test_label_maxima_come_from_the_shared_drug_catalogue(entry: str, fires: bool) -> None:
    assert ("dose-above-label-maximum" in plan_for(medications=[entry]).alert_codes()) is fires


def test_future_assessment_date_is_refused() -> None:
    with pytest.raises(AssessmentError, match="assessed_on: 2999-01-01 is in the future"):
        parse_assessment(make(assessed_on="2999-01-01"))


def test_item9_positive_json_leads_with_the_urgent_pathway() -> None:
    plan = build_plan(make(phq9_item9=1))
    keys = list(plan.to_dict())
    assert keys[:3] == ["kind", "schema_version", "urgent_alerts"]
    assert plan.to_dict()["urgent_alerts"][0]["code"] == "phq9-item9-positive"


def test_structured_anticoagulation_condition_fires_the_needling_caution() -> None:
    assert (
        "anticoagulant-needling" in plan_for(conditions=[{"code": "anticoagulation"}]).alert_codes()
    )
    assert "anticoagulant-needling" in plan_for(conditions=["on anticoagulants"]).alert_codes()


@pytest.mark.parametrize(
    "text",
    ["paracetamol 500 mg 2 tabs four times daily", "ibuprofen 2 tablets tid", "morphine 10 ml"],
)
def test_tablet_counts_are_refused_not_read_as_the_dose(text: str) -> None:
    with pytest.raises(FreeTextError, match="does not give the dose in mg"):
        parse_medication_text(text)
