"""Assessment input: validation naming the field, parsing, instruments, unrecognised items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hpatwin.clinic.instruments import MissingRule, score, score_phq9
from hpatwin.clinic.planner import (
    AssessmentError,
    KnowledgeBase,
    build_plan,
    load_assessment,
    parse_assessment,
    resolve_assessment,
)
from hpatwin.clinic.planner.assessment import MedicationEntry

from .conftest import DROP, make


def test_the_issue_example_message() -> None:
    with pytest.raises(AssessmentError) as excinfo:
        parse_assessment(make(age_years=-3))
    assert "age_years: -3 is outside the allowed range 0-120" in str(excinfo.value)
    assert excinfo.value.errors == ("age_years: -3 is outside the allowed range 0-120",)


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"age_years": 121}, "age_years: 121 is outside the allowed range 0-120"),
    ({"age_years": "forty"}, "age_years: Input should be a valid integer"),
    ({"age_years": True}, "age_years: True is not a number"),
    ({"age_years": DROP}, "age_years: Field required"),
    ({"sex": "robot"}, "sex: Input should be 'female', 'male', 'other' or 'unknown'"),
    ({"pain_nrs": 11}, "pain_nrs: 11 is outside the allowed range 0-10"),
    ({"pain_nrs": DROP}, "pain_nrs: Field required"),
    ({"pain_duration_months": DROP}, "pain_duration_months: required when pain_nrs is above 0"),
    ({"pain_duration_months": -1}, "pain_duration_months: -1 is outside the allowed range 0-1200"),
    ({"phq9_total": 28}, "phq9_total: 28 is outside the allowed range 0-27"),
    ({"phq9_item9": 4}, "phq9_item9: 4 is outside the allowed range 0-3"),
    ({"phq9_total": 2, "phq9_item9": 3}, "phq9_item9: 3 exceeds phq9_total (2)"),
    ({"phq9_total": DROP, "phq9_item9": DROP}, "phq9_items: give the nine PHQ-9 responses"),
    ({"phq9_total": DROP, "phq9_items": [1, 1, 1]}, "phq9_items: expected 9 item responses, got 3"),
    (
        {"phq9_total": DROP, "phq9_items": [0, 0, 0, 4, 0, 0, 0, 0, 0]},
        "phq9_items[3]: 4 is outside the allowed range 0-3",
    ),
    (
        {"phq9_total": 5, "phq9_items": [1] * 9},
        "phq9_total: 5 does not match the sum of phq9_items (9)",
    ),
    (
        {"phq9_total": DROP, "phq9_item9": 0, "phq9_items": [1] * 9},
        "phq9_item9: 0 does not match phq9_items[8] (1)",
    ),
    ({"pregnant": True}, "gestational_week: required when pregnant is true"),
    ({"gestational_week": 20}, "gestational_week: given but pregnant is false"),
    (
        {"pregnant": True, "gestational_week": 50},
        "gestational_week: 50 is outside the allowed range 1-45",
    ),
    (
        {"pregnant": True, "gestational_week": 20, "sex": "male"},
        "pregnant: true is inconsistent with sex 'male'",
    ),
    (
        {"creatinine_clearance_ml_min": -5},
        "creatinine_clearance_ml_min: -5 is outside the allowed range 0-300",
    ),
    ({"liver_status": "dodgy"}, "liver_status: Input should be 'normal'"),
    ({"agee": 40}, "agee: unknown field (not allowed here)"),
    ({"medications": "duloxetine"}, "medications: expected a list of medications"),
    (
        {"medications": [{"name": "duloxetine", "dose_mg": -60}]},
        "medications[0].dose_mg: -60 is outside the allowed range 0-100000",
    ),
    (
        {"medications": [{"name": "duloxetine", "route": "oral"}]},
        "medications[0].route: unknown field",
    ),
    ({"conditions": [{"region": "neck"}]}, "conditions[0].name: Field required"),
    ({"gad7_total": 22}, "gad7_total: 22 is outside the allowed range 0-21"),
]


@pytest.mark.parametrize(("overrides", "expected"), INVALID)
def test_malformed_assessment_is_rejected_naming_the_field(
    overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(AssessmentError) as excinfo:
        parse_assessment(make(**overrides))
    assert any(line.startswith(expected) for line in excinfo.value.errors), excinfo.value.errors


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(AssessmentError) as excinfo:
        parse_assessment(make(age_years=-1, pain_nrs=12, sex="x"))
    fields = {line.split(":")[0] for line in excinfo.value.errors}
    assert fields == {"age_years", "pain_nrs", "sex"}


def test_non_mapping_input_is_rejected() -> None:
    with pytest.raises(AssessmentError, match="expected a mapping"):
        parse_assessment([1, 2, 3])  # type: ignore[arg-type]


def test_yaml_and_json_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "a.yaml"
    yaml_file.write_text("age_years: 52\nsex: male\nphq9_total: 9\nphq9_item9: 0\npain_nrs: 0\n")
    assert load_assessment(yaml_file).age_years == 52
    json_file = tmp_path / "a.json"
    json_file.write_text(json.dumps(make()))
    assert load_assessment(json_file).pain_regions == ("neck",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("age_years: [\n")
    with pytest.raises(AssessmentError, match="not valid YAML"):
        load_assessment(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(AssessmentError, match="is empty"):
        load_assessment(empty)
    with pytest.raises(AssessmentError, match="cannot read"):
        load_assessment(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "name", "dose_mg", "frequency"),
    [
        ("duloxetine 60 mg once daily", "duloxetine", 60.0, "once daily"),
        ("Cymbalta 60mg", "Cymbalta", 60.0, None),
        ("paracetamol 1 g", "paracetamol", 1000.0, None),
        ("fentanyl 25 mcg/h patch", "fentanyl", 0.025, "/h patch"),
        ("aspirin 81,5 mg", "aspirin", 81.5, None),
        ("St John's wort", "St John's wort", None, None),
    ],
)
def test_medication_text_is_split_into_name_and_dose(
    text: str, name: str, dose_mg: float | None, frequency: str | None
) -> None:
    entry = MedicationEntry.from_text(text)
    assert (entry.name, entry.dose_mg, entry.frequency) == (name, dose_mg, frequency)


@pytest.mark.parametrize(
    ("entered", "drug_ids"),
    [
        ("Cymbalta 60 mg", ("duloxetine",)),
        ("EFFEXOR XR 75 mg", ("venlafaxine",)),
        ("Effexor 75 mg", ("venlafaxine",)),
        ("Nurofen 200 mg", ("ibuprofen",)),
        ("acetylsalicylic acid 75 mg", ("aspirin",)),
        ("tramadol/paracetamol 37.5/325 mg", ("tramadol", "paracetamol")),
        ("St. John’s wort", ("st_johns_wort",)),
        ("Lyrica 75 mg", ("pregabalin",)),
    ],
)
def test_generic_and_brand_names_are_recognised(
    kb: KnowledgeBase, entered: str, drug_ids: tuple[str, ...]
) -> None:
    picture = resolve_assessment(parse_assessment(make(medications=[entered])), kb)
    assert picture.medications[0].drug_ids == drug_ids
    assert picture.unrecognised_medications == ()


def test_low_dose_aspirin_is_antiplatelet_only(kb: KnowledgeBase) -> None:
    low = resolve_assessment(parse_assessment(make(medications=["aspirin 75 mg"])), kb)
    assert low.medications[0].classes == {"antiplatelet"}
    high = resolve_assessment(parse_assessment(make(medications=["aspirin 500 mg"])), kb)
    assert {"nsaid", "antiplatelet"} <= high.medications[0].classes
    unknown = resolve_assessment(parse_assessment(make(medications=["aspirin"])), kb)
    assert "nsaid" in unknown.medications[0].classes
    assert "dose not stated" in unknown.medications[0].notes[0]


@pytest.mark.parametrize(
    ("entered", "category", "region", "controlled"),
    [
        ("cardiac pacemaker", "implanted_electrical_device", None, "unknown"),
        ("ICD", "implanted_electrical_device", None, "unknown"),
        ("spinal cord stimulator", "implanted_electrical_device", None, "unknown"),
        ("uncontrolled epilepsy", "epilepsy", None, "no"),
        ("epilepsy, well controlled", "epilepsy", None, "yes"),
        ("Haemophilia A", "bleeding_disorder", None, "unknown"),
        ("skin lesion on the lower back", "skin_lesion", "low_back", "unknown"),
        ("right hip replacement", "metal_implant", "hip", "unknown"),
        ("cirrhosis", "liver_disease", None, "unknown"),
    ],
)
def test_conditions_are_recognised(
    kb: KnowledgeBase, entered: str, category: str, region: str | None, controlled: str
) -> None:
    picture = resolve_assessment(parse_assessment(make(conditions=[entered])), kb)
    resolved = picture.conditions[0]
    assert (resolved.category, resolved.region, resolved.controlled) == (
        category,
        region,
        controlled,
    )


def test_structured_condition_with_region(kb: KnowledgeBase) -> None:
    data = make(conditions=[{"name": "skin infection", "region": "cervical", "controlled": None}])
    picture = resolve_assessment(parse_assessment(data), kb)
    assert picture.conditions[0].region == "neck"


def test_unrecognised_items_are_reported_never_dropped(kb: KnowledgeBase) -> None:
    data = make(
        medications=["duloxetin 60 mg", "zorblax 5 mg", "sertraline 50 mg"],
        conditions=["frobnitz syndrome", "pacemaker"],
        pain_regions=["neck", "toenail"],
    )
    picture = resolve_assessment(parse_assessment(data), kb)
    assert picture.unrecognised_medications == (
        "duloxetin 60 mg (did you mean duloxetine?)",
        "zorblax 5 mg",
    )
    assert picture.unrecognised_conditions == ("frobnitz syndrome",)
    assert picture.unrecognised_regions == ("toenail",)
    plan = build_plan(data)
    assert plan.unrecognised.medications == picture.unrecognised_medications
    alert = next(a for a in plan.alerts if a.code == "unrecognised-medication")
    assert alert.triggered_by == picture.unrecognised_medications
    assert {"unrecognised-condition", "unrecognised-region"} <= plan.alert_codes()
    # unrecognised medicines still count towards polypharmacy
    assert len(plan.summary.medications) == 3


def test_phq9_items_are_scored_by_the_instruments_module(kb: KnowledgeBase) -> None:
    items = [2, 2, 1, 2, 1, 2, 1, 1, 0]
    assessment = parse_assessment(make(phq9_total=DROP, phq9_item9=DROP, phq9_items=items))
    result = assessment.phq9_result()
    assert result is not None and result.total == 12.0
    picture = resolve_assessment(assessment, kb)
    assert (picture.phq9_total, picture.phq9_item9, picture.phq9_severity) == (12, 0, "moderate")


def test_kb_phq9_bands_agree_with_the_instruments_module(kb: KnowledgeBase) -> None:
    for total in range(28):
        items = [3] * (total // 3) + ([total % 3] if total % 3 else [])
        items += [0] * (9 - len(items))
        assert kb.scales["phq9"].band_for(total).label == score_phq9(items).severity, total


def test_instrument_results_are_accepted(kb: KnowledgeBase) -> None:
    plan = build_plan(
        make(
            phq9_total=DROP,
            phq9_item9=DROP,
            phq9=score_phq9([1, 2, 1, 2, 1, 1, 1, 0, 1]),
            pain_nrs=score("nrs", [7]),
            gad7=score("gad7", [1] * 7),
            pcs=score("pcs", [2] * 13),
            isi=score("isi", [1] * 7),
        )
    )
    summary = plan.summary
    assert (summary.phq9_total, summary.phq9_item9, summary.phq9_from_items) == (10, 1, True)
    assert (summary.pain_nrs, summary.gad7_total, summary.pcs_total, summary.isi_total) == (
        7.0,
        7,
        26,
        7,
    )
    assert plan.urgent_alerts[0].code == "phq9-item9-positive"


def test_prorated_instrument_result_keeps_item9(kb: KnowledgeBase) -> None:
    rule = MissingRule(max_missing=1, source="test protocol")
    result = score_phq9([1, 2, None, 2, 1, 1, 1, 0, 2], missing=rule)
    assessment = parse_assessment(make(phq9_total=DROP, phq9_item9=DROP, phq9=result))
    assert assessment.phq9_items is None
    assert assessment.phq9_score() == pytest.approx(result.total)
    assert assessment.phq9_item9_response() == 2


def test_wrong_instrument_result_is_rejected() -> None:
    with pytest.raises(AssessmentError, match="phq9: got a gad7 result"):
        parse_assessment(make(phq9_total=DROP, phq9=score("gad7", [1] * 7)))
    with pytest.raises(AssessmentError, match="pain_nrs: got a phq9 result"):
        parse_assessment(make(pain_nrs=score_phq9([0] * 9)))
    with pytest.raises(AssessmentError, match="gad7: expected an InstrumentResult"):
        parse_assessment(make(gad7=12))


def test_phq9_mapping_form() -> None:
    assessment = parse_assessment(
        make(phq9_total=DROP, phq9_item9=DROP, phq9={"total": 8, "item9": 1})
    )
    assert (assessment.phq9_score(), assessment.phq9_item9_response()) == (8, 1)
    with pytest.raises(AssessmentError, match="phq9: unknown key"):
        parse_assessment(make(phq9={"score": 8}))
