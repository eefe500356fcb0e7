"""Every safety rule: a case that fires and a near-miss that does not; and the rules' effects."""

from __future__ import annotations

from typing import Any

import pytest

from hpatwin.clinic.planner import KnowledgeBase, Level, build_plan

from .conftest import DROP, make, plan_for

PREGNANT = {"pregnant": True, "gestational_week": 12}
OLDER = {"age_years": 70}
FIVE = [
    "amlodipine 5 mg",
    "metformin 500 mg",
    "atorvastatin 20 mg",
    "omeprazole 20 mg",
    "levothyroxine 50 mcg",
]

# rule id -> (overrides that make it fire, overrides of a near-miss that must not fire it)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "phq9-item9-positive": ({"phq9_item9": 1}, {"phq9_item9": 0}),
    "phq9-item9-missing": ({"phq9_item9": DROP}, {"phq9_item9": 0}),
    "phq9-item9-negative": ({"phq9_item9": 0}, {"phq9_item9": DROP}),
    "device-no-ea": ({"conditions": ["pacemaker"]}, {"conditions": ["knee replacement"]}),
    "metal-implant-in-field": (
        {"conditions": [{"name": "metal plate", "region": "neck"}]},
        {"conditions": ["hip replacement"]},
    ),
    "epilepsy-uncontrolled-no-ea": (
        {"conditions": ["uncontrolled epilepsy"]},
        {"conditions": ["epilepsy, well controlled"]},
    ),
    "epilepsy-control-unknown": (
        {"conditions": ["epilepsy"]},
        {"conditions": [{"name": "epilepsy", "controlled": True}]},
    ),
    "bleeding-disorder-no-needling": (
        {"conditions": ["haemophilia A"]},
        {"conditions": ["atrial fibrillation"]},
    ),
    "anticoagulant-needling": (
        {"medications": ["warfarin 5 mg"]},
        {"medications": ["clopidogrel 75 mg"]},
    ),
    "skin-lesion-at-point": (
        {"conditions": [{"name": "skin lesion", "region": "neck"}]},
        {"conditions": [{"name": "skin lesion", "region": "knee"}]},
    ),
    "skin-lesion-region-unknown": (
        {"conditions": ["cellulitis"]},
        {"conditions": [{"name": "cellulitis", "region": "knee"}]},
    ),
    "thorax-pneumothorax": ({"pain_regions": ["neck"]}, {"pain_regions": ["knee"]}),
    "pregnancy-cautioned-points": (PREGNANT, {"lactating": True}),
    "pregnancy-no-ea-abdomen-lumbosacral": (
        {**PREGNANT, "pain_regions": ["low back"]},
        {**PREGNANT, "pain_regions": ["neck"]},
    ),
    "pregnancy-nsaid-from-30-weeks": (
        {"pregnant": True, "gestational_week": 30, "medications": ["ibuprofen 400 mg"]},
        {"pregnant": True, "gestational_week": 29, "medications": ["ibuprofen 400 mg"]},
    ),
    "pregnancy-nsaid-20-to-30-weeks": (
        {"pregnant": True, "gestational_week": 20, "medications": ["naproxen 250 mg"]},
        {"pregnant": True, "gestational_week": 19, "medications": ["naproxen 250 mg"]},
    ),
    "pregnancy-snri": (
        {**PREGNANT, "medications": ["Cymbalta 60 mg"]},
        {**PREGNANT, "medications": ["sertraline 50 mg"]},
    ),
    "lactation-duloxetine": (
        {"lactating": True, "medications": ["duloxetine 60 mg"]},
        {"lactating": False, "medications": ["duloxetine 60 mg"]},
    ),
    "lactation-venlafaxine": (
        {"lactating": True, "medications": ["venlafaxine 75 mg"]},
        {"lactating": True, "medications": ["duloxetine 60 mg"]},
    ),
    "older-polypharmacy": ({**OLDER, "medications": FIVE}, {"age_years": 64, "medications": FIVE}),
    "beers-nsaid-chronic-use": (
        {**OLDER, "medications": ["ibuprofen 400 mg"]},
        {**OLDER, "medications": ["celecoxib 200 mg"]},
    ),
    "beers-opioid-benzodiazepine": (
        {**OLDER, "medications": ["oxycodone 5 mg", "diazepam 5 mg"]},
        {"age_years": 60, "medications": ["oxycodone 5 mg", "diazepam 5 mg"]},
    ),
    "beers-opioid-gabapentinoid": (
        {**OLDER, "medications": ["morphine 10 mg", "pregabalin 75 mg"]},
        {**OLDER, "medications": ["pregabalin 75 mg"]},
    ),
    "beers-three-cns-active": (
        {**OLDER, "medications": ["gabapentin 300 mg", "zolpidem 5 mg", "sertraline 50 mg"]},
        {**OLDER, "medications": ["gabapentin 300 mg", "zolpidem 5 mg"]},
    ),
    "beers-snri-tramadol-falls": (
        {**OLDER, "medications": ["tramadol 50 mg"]},
        {"age_years": 64, "medications": ["tramadol 50 mg"]},
    ),
    "renal-duloxetine-crcl-below-30": (
        {"medications": ["duloxetine 60 mg"], "creatinine_clearance_ml_min": 29},
        {"medications": ["duloxetine 60 mg"], "creatinine_clearance_ml_min": 30},
    ),
    "renal-nsaid-crcl-below-30-older": (
        {**OLDER, "medications": ["naproxen 500 mg"], "creatinine_clearance_ml_min": 25},
        {**OLDER, "medications": ["naproxen 500 mg"], "creatinine_clearance_ml_min": 35},
    ),
    "renal-nsaid-crcl-below-30": (
        {"age_years": 50, "medications": ["naproxen 500 mg"], "creatinine_clearance_ml_min": 25},
        {**OLDER, "medications": ["naproxen 500 mg"], "creatinine_clearance_ml_min": 25},
    ),
    "renal-venlafaxine-severe": (
        {"medications": ["venlafaxine 75 mg"], "creatinine_clearance_ml_min": 20},
        {"medications": ["venlafaxine 75 mg"], "creatinine_clearance_ml_min": 45},
    ),
    "renal-venlafaxine-mild-moderate": (
        {"medications": ["venlafaxine 75 mg"], "creatinine_clearance_ml_min": 60},
        {"medications": ["venlafaxine 75 mg"], "creatinine_clearance_ml_min": 95},
    ),
    "renal-function-not-recorded": (
        {"medications": ["duloxetine 60 mg"], "creatinine_clearance_ml_min": DROP},
        {"medications": ["sertraline 50 mg"], "creatinine_clearance_ml_min": DROP},
    ),
    "hepatic-duloxetine": (
        {"medications": ["duloxetine 60 mg"], "liver_status": "cirrhosis"},
        {"medications": ["duloxetine 60 mg"], "liver_status": "normal"},
    ),
    "hepatic-venlafaxine": (
        {"medications": ["venlafaxine 75 mg"], "liver_status": "mild impairment"},
        {"medications": ["venlafaxine 75 mg"], "liver_status": "normal"},
    ),
    "hepatic-status-not-recorded": (
        {"medications": ["duloxetine 60 mg"], "liver_status": DROP},
        {"medications": ["duloxetine 60 mg"], "liver_status": DROP, "conditions": ["cirrhosis"]},
    ),
    "duloxetine-heavy-alcohol": (
        {"medications": ["duloxetine 60 mg"], "conditions": ["alcohol use disorder"]},
        {"medications": ["venlafaxine 75 mg"], "conditions": ["alcohol use disorder"]},
    ),
    "duloxetine-cyp1a2-inhibitor": (
        {"medications": ["duloxetine 60 mg", "ciprofloxacin 500 mg"]},
        {"medications": ["venlafaxine 75 mg", "ciprofloxacin 500 mg"]},
    ),
    "duloxetine-cyp2d6-inhibitor": (
        {"medications": ["duloxetine 60 mg", "paroxetine 20 mg"]},
        {"medications": ["duloxetine 60 mg", "sertraline 50 mg"]},
    ),
    "duloxetine-cyp2d6-substrate": (
        {"medications": ["duloxetine 60 mg", "flecainide 100 mg"]},
        {"medications": ["duloxetine 60 mg", "thioridazine 25 mg"]},
    ),
    "duloxetine-thioridazine": (
        {"medications": ["duloxetine 60 mg", "thioridazine 25 mg"]},
        {"medications": ["venlafaxine 75 mg", "thioridazine 25 mg"]},
    ),
    "duloxetine-smoking": (
        {"medications": ["duloxetine 60 mg"], "conditions": ["current smoker"]},
        {"medications": ["sertraline 50 mg"], "conditions": ["current smoker"]},
    ),
    "duloxetine-uncontrolled-hypertension": (
        {"medications": ["duloxetine 60 mg"], "conditions": ["uncontrolled hypertension"]},
        {"medications": ["duloxetine 60 mg"], "conditions": ["hypertension, well controlled"]},
    ),
    "venlafaxine-hypertension": (
        {"medications": ["venlafaxine 75 mg"], "conditions": ["hypertension"]},
        {"medications": ["venlafaxine 75 mg"], "conditions": ["type 2 diabetes"]},
    ),
    "snri-maoi": (
        {"medications": ["duloxetine 60 mg", "linezolid 600 mg"]},
        {"medications": ["phenelzine 15 mg"]},
    ),
    "snri-serotonergic": (
        {"medications": ["duloxetine 60 mg", "tapentadol 50 mg"]},
        {"medications": ["duloxetine 60 mg", "codeine 30 mg"]},
    ),
    "maoi-serotonergic": (
        {"medications": ["linezolid 600 mg", "sertraline 50 mg"]},
        {"medications": ["linezolid 600 mg", "paracetamol 1 g"]},
    ),
    "serotonergic-combination": (
        {"medications": ["sertraline 50 mg", "tramadol 50 mg"]},
        {"medications": ["sertraline 50 mg", "codeine 30 mg"]},
    ),
    "ssri-bleeding": (
        {"medications": ["warfarin 5 mg", "citalopram 20 mg"]},
        {"medications": ["warfarin 5 mg", "mirtazapine 15 mg"]},
    ),
    "seizure-threshold-uncontrolled-epilepsy": (
        {"medications": ["tramadol 50 mg"], "conditions": ["uncontrolled epilepsy"]},
        {"medications": ["tramadol 50 mg"], "conditions": ["epilepsy, well controlled"]},
    ),
    "seizure-threshold-epilepsy": (
        {"medications": ["bupropion 150 mg"], "conditions": ["epilepsy, well controlled"]},
        {"medications": ["bupropion 150 mg"], "conditions": ["hypertension"]},
    ),
    "opioid-benzodiazepine": (
        {"medications": ["oxycodone 10 mg", "diazepam 5 mg"]},
        {"medications": ["oxycodone 10 mg", "zolpidem 5 mg"]},
    ),
    "opioid-gabapentinoid": (
        {"medications": ["tramadol 50 mg", "pregabalin 75 mg"]},
        {"medications": ["paracetamol 1 g", "pregabalin 75 mg"]},
    ),
    "snri-bleeding": (
        {"medications": ["venlafaxine 75 mg", "ibuprofen 400 mg"]},
        {"medications": ["venlafaxine 75 mg", "paracetamol 1 g"]},
    ),
    "dose-above-label-maximum": (
        {"medications": ["duloxetine 600 mg/day"]},
        {"medications": ["duloxetine 120 mg/day"]},
    ),
    "daily-dose-not-computable": (
        {"medications": ["duloxetine 60 mg"]},
        {"medications": ["duloxetine 60 mg once daily"]},
    ),
    "unrecognised-medication": (
        {"medications": ["zorblax 5 mg"]},
        {"medications": ["Cymbalta 60 mg"]},
    ),
    "unrecognised-condition": (
        {"conditions": ["frobnitz syndrome"]},
        {"conditions": ["osteoarthritis"]},
    ),
    "unrecognised-region": ({"pain_regions": ["toenail"]}, {"pain_regions": ["lumbar"]}),
}


def test_every_safety_rule_has_a_firing_case_and_a_near_miss(kb: KnowledgeBase) -> None:
    assert set(CASES) == {rule.id for rule in kb.safety_rules}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(kb: KnowledgeBase, rule_id: str) -> None:
    plan = plan_for(**CASES[rule_id][0])
    alert = next((a for a in plan.alerts if a.code == rule_id), None)
    assert alert is not None, f"{rule_id} did not fire: {sorted(plan.alert_codes())}"
    rule = kb.safety_rule(rule_id)
    assert alert.level is rule.level
    assert alert.provenance.evidence == rule.evidence.value
    assert alert.source and alert.provenance.sources
    if rule.when.key() != "always":
        assert alert.triggered_by, f"{rule_id} fired without naming what triggered it"


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_near_miss_does_not_fire(rule_id: str) -> None:
    plan = plan_for(**CASES[rule_id][1])
    assert rule_id not in plan.alert_codes()


def test_alerts_are_sorted_most_severe_first() -> None:
    plan = plan_for(
        phq9_item9=2,
        conditions=["pacemaker"],
        medications=["duloxetine 60 mg", "tramadol 50 mg"],
    )
    ranks = [alert.level.rank for alert in plan.alerts]
    assert ranks == sorted(ranks)
    assert plan.alerts[0].level is Level.URGENT


def test_second_snri_and_haemodialysis_variants() -> None:
    both = plan_for(medications=["duloxetine 60 mg", "venlafaxine 75 mg"])
    assert "snri-serotonergic" in both.alert_codes()
    dialysis = plan_for(
        medications=["venlafaxine 75 mg"],
        conditions=["haemodialysis"],
        creatinine_clearance_ml_min=45,
    )
    assert "renal-venlafaxine-severe" in dialysis.alert_codes()
    assert "renal-venlafaxine-mild-moderate" not in dialysis.alert_codes()


def test_low_dose_aspirin_in_pregnancy_is_excepted() -> None:
    low = plan_for(pregnant=True, gestational_week=32, medications=["aspirin 75 mg"])
    assert "pregnancy-nsaid-from-30-weeks" not in low.alert_codes()
    high = plan_for(pregnant=True, gestational_week=32, medications=["aspirin 300 mg"])
    assert "pregnancy-nsaid-from-30-weeks" in high.alert_codes()


# ---- effects on the plan -------------------------------------------------------------------


def test_device_withholds_all_electrical_stimulation() -> None:
    plan = plan_for(conditions=["implantable cardioverter-defibrillator"])
    assert plan.frequency.electrical_stimulation == "withheld"
    assert plan.frequency.withheld_by == ("device-no-ea",)
    assert plan.points and not any(p.electrical_stimulation for p in plan.points)
    assert plan.electrode_pairs == ()


def test_uncontrolled_epilepsy_withholds_ea() -> None:
    plan = plan_for(conditions=["uncontrolled epilepsy"])
    assert plan.frequency.electrical_stimulation == "withheld"
    controlled = plan_for(conditions=["epilepsy, well controlled"])
    assert controlled.frequency.electrical_stimulation == "permitted"


def test_bleeding_disorder_withholds_all_needling() -> None:
    plan = plan_for(conditions=["haemophilia"])
    assert plan.points == ()
    assert plan.needling_withheld_by == ("bleeding-disorder-no-needling",)
    assert plan.frequency.electrical_stimulation == "withheld"
    assert {a.code for a in plan.avoided_points} >= {"LI4", "GV20", "GB20"}


def test_skin_lesion_removes_the_points_at_its_site() -> None:
    plan = plan_for(conditions=[{"name": "skin lesion", "region": "neck"}])
    assert "GB20" not in {p.code for p in plan.points}
    avoided = {a.code: a.rule_ids for a in plan.avoided_points}
    assert avoided == {"GB20": ("skin-lesion-at-point",)}


def test_pregnancy_avoids_cautioned_points_and_lumbosacral_ea() -> None:
    plan = plan_for(**PREGNANT, pain_regions=["low back", "abdomen"])
    codes = {p.code for p in plan.points}
    assert not codes & {"LI4", "SP6", "BL23", "BL25", "GV3", "ST25", "CV4"}
    assert {a.code for a in plan.avoided_points} == {
        "LI4",
        "SP6",
        "BL23",
        "BL25",
        "GV3",
        "ST25",
        "CV4",
    }
    bl40 = next(p for p in plan.points if p.code == "BL40")
    assert not bl40.electrical_stimulation  # selected for the low back: no current there
    assert next(p for p in plan.points if p.code == "GV20").electrical_stimulation
    assert plan.frequency.electrical_stimulation == "permitted except in some regions"
    assert set(plan.frequency.withheld_regions) == {"abdomen", "low_back", "sacral"}


def test_thorax_caution_follows_the_final_points() -> None:
    # GB21 (thorax) is removed in pregnancy, so the pneumothorax caution no longer applies.
    pregnant = plan_for(**PREGNANT, pain_regions=["shoulder"])
    assert "GB21" not in {p.code for p in pregnant.points}
    assert "thorax-pneumothorax" not in pregnant.alert_codes()
    assert "thorax-pneumothorax" in plan_for(pain_regions=["shoulder"]).alert_codes()


def test_no_indication_means_no_points_but_safety_still_screened() -> None:
    plan = plan_for(
        phq9_total=2,
        pain_nrs=0,
        pain_duration_months=DROP,
        medications=["duloxetine 60 mg"],
        creatinine_clearance_ml_min=20,
    )
    assert plan.frequency.frequency is None
    assert plan.frequency.electrical_stimulation == "not indicated"
    assert plan.points == ()
    assert "renal-duloxetine-crcl-below-30" in plan.alert_codes()


def test_pharmacotherapy_notes_always_defer_to_the_prescriber(kb: KnowledgeBase) -> None:
    for overrides in (
        {},
        {"medications": ["duloxetine 60 mg", "oxycodone 10 mg"]},
        {"phq9_total": 2},
    ):
        plan = build_plan(make(**overrides))
        first = plan.pharmacotherapy_notes[0]
        assert first.title == "Dose changes only by the prescriber"
        assert "prescribing physician" in first.message
    notes = {
        n.title
        for n in plan_for(medications=["duloxetine 60 mg", "oxycodone 10 mg"]).pharmacotherapy_notes
    }
    assert {"Acupuncture with an SNRI", "If an opioid dose is to be reduced"} <= notes
    adjunct = {n.title for n in plan_for(phq9_total=16).pharmacotherapy_notes}
    assert "Adjunct role without a recorded antidepressant" in adjunct
    treated = {
        n.title
        for n in plan_for(phq9_total=16, medications=["sertraline 50 mg"]).pharmacotherapy_notes
    }
    assert "Adjunct role without a recorded antidepressant" not in treated
    # Notes explain; none instructs a dose change.
    for note in kb.notes:
        lowered = note.message.lower()
        assert "increase the dose" not in lowered and "stop taking" not in lowered


@pytest.mark.parametrize(
    ("overrides", "rule_id"),
    [
        (
            {"medications": ["sertraline 100 mg once daily", "tramadol 50 mg tid"]},
            "serotonergic-combination",
        ),
        (
            {"medications": ["warfarin 5 mg once daily", "sertraline 50 mg once daily"]},
            "ssri-bleeding",
        ),
        (
            {
                "medications": ["tramadol 50 mg tid"],
                "conditions": ["epilepsy, not well controlled"],
            },
            "seizure-threshold-uncontrolled-epilepsy",
        ),
    ],
)
def test_issue17_interactions_beyond_snris_are_flagged(
    overrides: dict[str, Any], rule_id: str
) -> None:
    """Reproductions: SSRI+tramadol, warfarin+SSRI, tramadol in uncontrolled epilepsy."""
    assert rule_id in plan_for(**overrides).alert_codes()


def test_umbrella_classes_expand(kb: KnowledgeBase) -> None:
    from hpatwin.clinic.planner.assessment import parse_assessment, resolve_assessment

    picture = resolve_assessment(
        parse_assessment(make(medications=["tapentadol 50 mg", "linezolid 600 mg"])), kb
    )
    assert "serotonergic" in picture.medications[0].classes
    assert "lowers_seizure_threshold" in picture.medications[0].classes
    assert "serotonergic" in picture.medications[1].classes  # via maoi
