"""The issue's combined cases, from the example assessment files."""

from __future__ import annotations

from hpatwin.clinic.planner import Level, Plan, build_plan, load_assessment, render_text

from .conftest import EXAMPLES


def _plan(name: str) -> Plan:
    return build_plan(load_assessment(EXAMPLES / name))


def _by_level(plan: Plan, level: Level) -> set[str]:
    return {a.code for a in plan.alerts_at(level)}


def test_pregnant_24_weeks_depressed_on_duloxetine_with_low_back_pain() -> None:
    plan = _plan("pregnant_24w_duloxetine_low_back.yaml")
    assert plan.summary.pregnant and plan.summary.gestational_week == 24
    assert _by_level(plan, Level.CONTRAINDICATION) == {"pregnancy-no-ea-abdomen-lumbosacral"}
    assert {"pregnancy-cautioned-points", "pregnancy-snri"} <= _by_level(plan, Level.CAUTION)
    assert not plan.urgent_alerts
    # paracetamol is not an NSAID: no NSAID-in-pregnancy alert
    assert not any(code.startswith("pregnancy-nsaid") for code in plan.alert_codes())
    assert plan.dominance.category == "chronic pain + depression"
    assert plan.frequency.frequency == "2/100 Hz"
    assert plan.frequency.electrical_stimulation == "permitted except in some regions"
    assert plan.role.role == "adjunct"
    planned = {p.code for p in plan.points}
    assert not planned & {"LI4", "SP6", "BL23", "BL25", "GV3"}
    assert {a.code for a in plan.avoided_points} == {"LI4", "SP6", "BL23", "BL25", "GV3"}
    assert {p.code for p in plan.points if p.electrical_stimulation} == {
        "LR3",
        "PC6",
        "GV20",
        "EX-HN3",
        "GV24",
        "HT7",
    }
    snri = next(a for a in plan.alerts if a.code == "pregnancy-snri")
    assert "duloxetine 60 mg (snri)" in snri.triggered_by
    assert "prescriber" in snri.message


def test_78_year_old_on_seven_drugs_with_crcl_25_and_an_nsaid() -> None:
    plan = _plan("older_seven_drugs_crcl25_nsaid.yaml")
    assert len(plan.summary.medications) == 7
    assert plan.unrecognised.medications == () and plan.unrecognised.conditions == ()
    assert _by_level(plan, Level.CONTRAINDICATION) == {
        "renal-duloxetine-crcl-below-30",
        "renal-nsaid-crcl-below-30-older",
    }
    assert {
        "older-polypharmacy",
        "beers-nsaid-chronic-use",
        "beers-snri-tramadol-falls",
        "snri-serotonergic",
        "snri-bleeding",
    } <= _by_level(plan, Level.CAUTION)
    assert "renal-nsaid-crcl-below-30" not in plan.alert_codes()  # the younger-adult variant
    assert "beers-three-cns-active" not in plan.alert_codes()  # only two CNS-active drugs
    poly = next(a for a in plan.alerts if a.code == "older-polypharmacy")
    assert poly.triggered_by == ("age 78 years", "7 medicines recorded")
    nsaid = next(a for a in plan.alerts if a.code == "renal-nsaid-crcl-below-30-older")
    assert "CrCl 25 mL/min" in nsaid.triggered_by
    # EA is not affected by the drug alerts; the plan still defers every dose change
    assert plan.frequency.electrical_stimulation == "permitted"
    assert plan.pharmacotherapy_notes[0].title == "Dose changes only by the prescriber"


def test_pacemaker_patient() -> None:
    plan = _plan("pacemaker_neck_shoulder.yaml")
    assert _by_level(plan, Level.CONTRAINDICATION) == {"device-no-ea"}
    assert {"anticoagulant-needling", "thorax-pneumothorax"} <= _by_level(plan, Level.CAUTION)
    assert plan.frequency.electrical_stimulation == "withheld"
    assert plan.points and not any(p.electrical_stimulation for p in plan.points)
    assert plan.electrode_pairs == ()
    assert plan.role.role == "monotherapy"
    text = render_text(plan)
    assert "Electrical stimulation: withheld (by device-no-ea)" in text


def test_item9_positive_is_urgent_and_at_the_top() -> None:
    plan = _plan("item9_positive_breastfeeding.yaml")
    assert [a.code for a in plan.urgent_alerts] == ["phq9-item9-positive"]
    assert plan.alerts[0].code == "phq9-item9-positive"
    assert plan.summary.phq9_item9 == 2
    assert plan.dominance.category == "depressive predominance"
    assert plan.frequency.frequency == "2 Hz"
    assert plan.role.role == "adjunct"
    assert {"snri-serotonergic", "lactation-venlafaxine"} <= plan.alert_codes()
    text = render_text(plan)
    assert text.startswith("!!! URGENT: PHQ-9 item 9 positive")
    assert text.index("URGENT") < text.index("NOT A PRESCRIPTION")


def test_item9_urgent_alert_tops_every_plan_whatever_else_fires() -> None:
    for name in (
        "pregnant_24w_duloxetine_low_back.yaml",
        "older_seven_drugs_crcl25_nsaid.yaml",
        "pacemaker_neck_shoulder.yaml",
    ):
        data = load_assessment(EXAMPLES / name).model_dump()
        if data["phq9_items"] is not None:
            data["phq9_items"] = [*data["phq9_items"][:8], 3]
        else:
            data["phq9_item9"] = 3
        plan = build_plan(data)
        assert plan.alerts[0].code == "phq9-item9-positive", name
        assert render_text(plan).startswith("!!! URGENT"), name


def test_mild_depression_example_is_monotherapy() -> None:
    plan = _plan("mild_depression_neck_monotherapy.yaml")
    assert plan.role.role == "monotherapy"
    assert plan.frequency.frequency == "2/100 Hz"
