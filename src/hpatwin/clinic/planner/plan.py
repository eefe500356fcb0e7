"""Build a sourced protocol plan from an assessment: dominance → EA frequency, role, points,
schedule, pharmacotherapy notes and the safety screen.

The plan is decision support for a licensed clinician, not a prescription: it explains options
and their sources and never changes a medicine.

Example
-------
>>> plan = build_plan({"age_years": 45, "sex": "female", "phq9_total": 13, "phq9_item9": 0,
...                    "pain_nrs": 7, "pain_duration_months": 12, "pain_regions": ["low back"]})
>>> plan.frequency.frequency, plan.role.role
('2/100 Hz', 'adjunct')
>>> plan.schedule.review_session
6
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hpatwin.clinic.planner.assessment import (
    Assessment,
    ClinicalPicture,
    parse_assessment,
    resolve_assessment,
)
from hpatwin.clinic.planner.knowledge import (
    DominanceCategory,
    KnowledgeBase,
    Level,
    Point,
    ScheduleItem,
    load_knowledge_base,
)
from hpatwin.clinic.planner.safety import (
    Provenance,
    SafetyAlert,
    ScreenResult,
    evaluate,
    provenance_for,
    screen,
)

__all__ = [
    "DISCLAIMER",
    "AssessmentSummary",
    "AvoidedPoint",
    "DominanceDecision",
    "ElectrodePair",
    "FrequencyRecommendation",
    "KnowledgeBaseInfo",
    "Plan",
    "PlanNote",
    "PlannedPoint",
    "RegionNote",
    "ReviewCheck",
    "RoleDecision",
    "ScheduleEntry",
    "SchedulePlan",
    "Unrecognised",
    "build_plan",
    "decide_dominance",
]

DISCLAIMER = (
    "Decision support for a licensed clinician - not a prescription. This plan explains options "
    "and their sources; it does not prescribe, and any change to a medicine is the prescriber's "
    "decision."
)

ROLE_LABELS = {"hpa_systemic": "HPA/systemic", "limbic": "limbic"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class DominanceDecision(_Model):
    """Pain-versus-depression picture with the numbers and rules behind it.

    Example
    -------
    >>> from hpatwin.clinic.planner.assessment import parse_assessment, resolve_assessment
    >>> kb = load_knowledge_base()
    >>> a = parse_assessment({"age_years": 30, "sex": "male", "phq9_total": 18, "phq9_item9": 0,
    ...                       "pain_nrs": 2, "pain_duration_months": 6})
    >>> decide_dominance(resolve_assessment(a, kb), kb).category
    'depressive predominance'
    """

    category: str
    phq9_total: int | float
    depression_band: str
    depression_rank: int
    pain_nrs: float
    pain_band: str
    pain_rank: int
    pain_duration_months: float | None
    pain_chronic: bool | None
    explanation: str
    provenance: tuple[Provenance, ...]


class FrequencyRecommendation(_Model):
    """The EA frequency of the article's table row for this picture, and whether EA may be used.

    Example
    -------
    >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 2, "phq9_item9": 0,
    ...             "pain_nrs": 8, "pain_duration_months": 0.5}).frequency.frequency
    '100 Hz'
    """

    frequency: str | None
    table_row: str
    profile: dict[str, str]
    explanation: str
    electrical_stimulation: Literal[
        "permitted", "permitted except in some regions", "withheld", "not indicated"
    ]
    withheld_by: tuple[str, ...]
    withheld_regions: dict[str, tuple[str, ...]]
    provenance: Provenance
    alternatives: tuple[str, ...] = ()
    """What may be offered instead when EA (or all needling) is withheld."""


class RoleDecision(_Model):
    """Monotherapy (mild depression), adjunct (moderate to severe) or not determined.

    Example
    -------
    >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...             "pain_nrs": 0}).role.role
    'monotherapy'
    """

    role: str
    phq9_severity: str
    statement: str
    provenance: Provenance


class PlannedPoint(_Model):
    """A point in the plan, the roles it serves, and whether EA may be applied there.

    Example
    -------
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> plan.points[0].code, plan.points[0].roles
    ('LI4', ('HPA/systemic',))
    """

    code: str
    name: str
    region: str
    location: str
    location_confirmation: str
    roles: tuple[str, ...]
    electrical_stimulation: bool
    tags: tuple[str, ...]
    note: str
    selected_by: tuple[str, ...]


class AvoidedPoint(_Model):
    """A candidate point removed by a safety rule.

    Example
    -------
    >>> AvoidedPoint(code="LI4", name="Hegu", roles=("HPA/systemic",),
    ...              rule_ids=("pregnancy-cautioned-points",)).code
    'LI4'
    """

    code: str
    name: str
    roles: tuple[str, ...]
    rule_ids: tuple[str, ...]


class RegionNote(_Model):
    """The segmental selection's note for a pain region (e.g. add trigger points, none chosen).

    Example
    -------
    >>> kb = load_knowledge_base()
    >>> sel = kb.region_selections["widespread"]
    >>> RegionNote(region="widespread", note=sel.note,
    ...            provenance=provenance_for(kb, sel)).region
    'widespread'
    """

    region: str
    note: str
    provenance: Provenance


class ElectrodePair(_Model):
    """An electrode pair from a cited protocol whose two points are both in the plan with EA.

    Example
    -------
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> plan.electrode_pairs[0].points
    ('GV20', 'EX-HN3')
    """

    points: tuple[str, str]
    description: str
    provenance: Provenance


class ScheduleEntry(_Model):
    """A sourced schedule or delivery item.

    Example
    -------
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> plan.schedule.phases[0].sessions_per_week
    3
    """

    topic: str
    text: str
    weeks: tuple[int, int] | None
    sessions_per_week: int | None
    minutes: tuple[int, int] | None
    provenance: Provenance


class ReviewCheck(_Model):
    """What to look for at the review session.

    Example
    -------
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> plan.schedule.review_checks[0].check
    'PHQ-9 change from baseline'
    """

    check: str
    text: str
    provenance: Provenance


class SchedulePlan(_Model):
    """Course over 8-12 weeks, phases, delivery, and the review at session 6 (and its week).

    Example
    -------
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> plan.schedule.review_week, plan.schedule.sessions_range
    (2, (24, 32))
    """

    course: ScheduleEntry
    phases: tuple[ScheduleEntry, ...]
    delivery: tuple[ScheduleEntry, ...]
    review_session: int
    review_week: int | None
    review_provenance: Provenance
    review_checks: tuple[ReviewCheck, ...]
    sessions_range: tuple[int, int]


class PlanNote(_Model):
    """A pharmacotherapy note with the facts that triggered it.

    Example
    -------
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> plan.pharmacotherapy_notes[0].title
    'Dose changes only by the prescriber'
    """

    title: str
    message: str
    triggered_by: tuple[str, ...]
    provenance: Provenance


class Unrecognised(_Model):
    """Entries the KB does not recognise (reported, never silently dropped).

    Example
    -------
    >>> Unrecognised(medications=("zorblax",), conditions=(), regions=()).any()
    True
    """

    medications: tuple[str, ...]
    conditions: tuple[str, ...]
    regions: tuple[str, ...]

    def any(self) -> bool:
        """True when anything was not recognised.

        Example
        -------
        >>> Unrecognised(medications=(), conditions=(), regions=()).any()
        False
        """
        return bool(self.medications or self.conditions or self.regions)


class MedicationSummary(_Model):
    """A medication as entered and what the KB recognised it as.

    Example
    -------
    >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...             "pain_nrs": 0, "medications": ["Cymbalta 60 mg"]}).summary.medications[0]
    MedicationSummary(entered='Cymbalta 60 mg', recognised_as=('duloxetine',), notes=())
    """

    entered: str
    recognised_as: tuple[str, ...]
    notes: tuple[str, ...]


class ConditionSummary(_Model):
    """A condition as entered and its KB category, site and control status.

    Example
    -------
    >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...             "pain_nrs": 0, "conditions": ["uncontrolled epilepsy"]}
    ...            ).summary.conditions[0].controlled
    'no'
    """

    entered: str
    category: str | None
    region: str | None
    controlled: str


class AssessmentSummary(_Model):
    """The assessment as the planner read it.

    Example
    -------
    >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...             "pain_nrs": 0}).summary.phq9_severity
    'mild'
    """

    patient_label: str | None
    assessed_on: str | None
    age_years: int
    sex: str
    pregnant: bool
    gestational_week: int | None
    lactating: bool
    phq9_total: int | float
    phq9_item9: int | None
    phq9_severity: str
    phq9_from_items: bool
    pain_nrs: float
    pain_band: str
    pain_regions: tuple[str, ...]
    pain_duration_months: float | None
    gad7_total: int | float | None
    pcs_total: int | float | None
    isi_total: int | float | None
    medications: tuple[MedicationSummary, ...]
    conditions: tuple[ConditionSummary, ...]
    creatinine_clearance_ml_min: float | None
    liver_status: str | None


class KnowledgeBaseInfo(_Model):
    """Which KB produced the plan (version and content hash), for audit.

    Example
    -------
    >>> len(build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                 "pain_nrs": 0}).knowledge_base.sha256)
    64
    """

    version: str
    sha256: str
    rule_count: int


class Plan(_Model):
    """The full plan. ``alerts`` are sorted most severe first, so urgent ones lead.

    Example
    -------
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 16, "phq9_item9": 1,
    ...                    "pain_nrs": 0})
    >>> plan.urgent_alerts[0].code
    'phq9-item9-positive'
    >>> '"kind": "hpatwin.plan"' in plan.to_json()
    True
    """

    kind: Literal["hpatwin.plan"] = "hpatwin.plan"
    schema_version: int = 1
    disclaimer: str
    alerts: tuple[SafetyAlert, ...]
    summary: AssessmentSummary
    dominance: DominanceDecision
    frequency: FrequencyRecommendation
    role: RoleDecision
    points: tuple[PlannedPoint, ...]
    avoided_points: tuple[AvoidedPoint, ...]
    needling_withheld_by: tuple[str, ...]
    region_notes: tuple[RegionNote, ...]
    electrode_pairs: tuple[ElectrodePair, ...]
    schedule: SchedulePlan
    pharmacotherapy_notes: tuple[PlanNote, ...]
    unrecognised: Unrecognised
    knowledge_base: KnowledgeBaseInfo

    @property
    def urgent_alerts(self) -> tuple[SafetyAlert, ...]:
        """The urgent alerts (shown at the top of every rendering).

        Example
        -------
        >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
        ...             "pain_nrs": 0}).urgent_alerts
        ()
        """
        return tuple(a for a in self.alerts if a.level is Level.URGENT)

    def alerts_at(self, level: Level) -> tuple[SafetyAlert, ...]:
        """Alerts of one grade.

        Example
        -------
        >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7,
        ...                    "phq9_item9": 0, "pain_nrs": 0})
        >>> [a.code for a in plan.alerts_at(Level.INFORMATION)]
        ['phq9-item9-negative']
        """
        return tuple(a for a in self.alerts if a.level is level)

    def alert_codes(self) -> set[str]:
        """The rule ids of all alerts.

        Example
        -------
        >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 7,
        ...             "pain_nrs": 0}).alert_codes()
        {'phq9-item9-missing'}
        """
        return {a.code for a in self.alerts}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (the ``urgent_alerts`` are included explicitly).

        Example
        -------
        >>> build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
        ...             "pain_nrs": 0}).to_dict()["urgent_alerts"]
        []
        """
        data = self.model_dump(mode="json")
        urgent = [a.model_dump(mode="json") for a in self.urgent_alerts]
        # the urgent pathway leads the document, right after its kind and version
        head = {"kind": data.pop("kind"), "schema_version": data.pop("schema_version")}
        return {**head, "urgent_alerts": urgent, **data}

    def to_json(self, indent: int = 2) -> str:
        """The plan as JSON text.

        Example
        -------
        >>> import json
        >>> text = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7,
        ...                    "phq9_item9": 0, "pain_nrs": 0}).to_json()
        >>> json.loads(text)["role"]["role"]
        'monotherapy'
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


# --------------------------------------------------------------------------------------------


def decide_dominance(picture: ClinicalPicture, kb: KnowledgeBase) -> DominanceDecision:
    """Compare depression and pain ranks (and pain chronicity) → a dominance category.

    Example
    -------
    >>> from hpatwin.clinic.planner.assessment import parse_assessment, resolve_assessment
    >>> kb = load_knowledge_base()
    >>> a = parse_assessment({"age_years": 30, "sex": "male", "phq9_total": 12, "phq9_item9": 0,
    ...                       "pain_nrs": 7, "pain_duration_months": 24})
    >>> decide_dominance(resolve_assessment(a, kb), kb).category
    'chronic pain + depression'
    """
    depression, pain = picture.depression_rank, picture.pain_rank
    chronic = bool(picture.pain_chronic)
    if depression == 0 and pain == 0:
        category = DominanceCategory.NONE
    elif depression > pain:
        category = DominanceCategory.DEPRESSIVE
    elif pain > depression and not chronic:
        category = DominanceCategory.ACUTE_PAIN
    elif chronic:
        category = (
            DominanceCategory.CHRONIC_PAIN_WITH_DEPRESSION
            if depression >= 1
            else DominanceCategory.CHRONIC_PAIN_WITHOUT_DEPRESSION
        )
    else:
        category = DominanceCategory.MIXED_ACUTE
    threshold = kb.threshold("chronic_pain_min_months")
    assessment = picture.assessment
    if picture.pain_chronic is None:
        duration = "no pain duration applies"
    else:
        kind = "chronic" if picture.pain_chronic else "acute"
        duration = (
            f"pain for {assessment.pain_duration_months:g} months is {kind} "
            f"(chronic from {threshold.value:g} {threshold.unit})"
        )
    explanation = (
        f"Depression: PHQ-9 {picture.phq9_total} ({picture.phq9_severity}, rank "
        f"{depression}); pain: NRS {assessment.pain_nrs:g} ({picture.pain_band}, rank {pain}); "
        f"{duration} -> {category.value}."
    )
    return DominanceDecision(
        category=category.value,
        phq9_total=picture.phq9_total,
        depression_band=picture.phq9_severity,
        depression_rank=depression,
        pain_nrs=assessment.pain_nrs,
        pain_band=picture.pain_band,
        pain_rank=pain,
        pain_duration_months=assessment.pain_duration_months,
        pain_chronic=picture.pain_chronic,
        explanation=explanation,
        provenance=(
            provenance_for(kb, kb.scales["phq9"]),
            provenance_for(kb, kb.scales["pain_nrs"]),
            provenance_for(kb, threshold),
        ),
    )


def _role(picture: ClinicalPicture, kb: KnowledgeBase) -> RoleDecision:
    for rule in kb.role_rules:
        if picture.phq9_severity in rule.severities:
            return RoleDecision(
                role=rule.role,
                phq9_severity=picture.phq9_severity,
                statement=rule.statement,
                provenance=provenance_for(kb, rule),
            )
    raise AssertionError("every PHQ-9 severity has a role rule (checked at KB load)")


def _candidates(
    picture: ClinicalPicture, kb: KnowledgeBase
) -> tuple[list[Point], dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """Candidate points in plan order, with roles, selecting rule ids and segmental regions."""
    order: list[Point] = []
    roles: dict[str, list[str]] = {}
    rules: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}

    def add(code: str, role: str, rule_id: str, region: str | None = None) -> None:
        if code not in roles:
            order.append(kb.point(code))
            roles[code], rules[code], regions[code] = [], [], []
        if role not in roles[code]:
            roles[code].append(role)
        if rule_id not in rules[code]:
            rules[code].append(rule_id)
        if region is not None:
            regions[code].append(region)

    for selection in kb.role_selections:
        for code in selection.points:
            add(code, ROLE_LABELS[selection.role], selection.id)
    for region in picture.pain_regions if picture.pain_rank > 0 else ():
        region_selection = kb.region_selections[region]
        for code in region_selection.points:
            add(code, f"segmental ({region})", region_selection.id, region)
    return order, roles, rules, regions


def _schedule_entry(kb: KnowledgeBase, item: ScheduleItem) -> ScheduleEntry:
    return ScheduleEntry(
        topic=item.topic,
        text=item.text,
        weeks=item.weeks,
        sessions_per_week=item.sessions_per_week,
        minutes=item.minutes,
        provenance=provenance_for(kb, item),
    )


def _sessions_through(phases: tuple[ScheduleItem, ...], last_week: int) -> int:
    total = 0
    for phase in phases:
        if phase.weeks is None or phase.sessions_per_week is None:
            continue
        first, last = phase.weeks
        weeks = max(0, min(last, last_week) - first + 1)
        total += weeks * phase.sessions_per_week
    return total


def _review_week(phases: tuple[ScheduleItem, ...], session: int, max_week: int) -> int | None:
    for week in range(1, max_week + 1):
        if _sessions_through(phases, week) >= session:
            return week
    return None


def _schedule(kb: KnowledgeBase, ea: bool = True, needling: bool = True) -> SchedulePlan:
    """The schedule; delivery items of a withheld modality (EA, or all needling) are left out."""
    sched = kb.schedule
    phases = tuple(sched.phases) if needling else ()
    weeks = sched.course.weeks or (0, 0)
    delivery = tuple(
        d
        for d in sched.delivery
        if (d.modality != "ea" or (ea and needling)) and (d.modality != "needling" or needling)
    )
    return SchedulePlan(
        course=_schedule_entry(kb, sched.course),
        phases=tuple(_schedule_entry(kb, p) for p in phases),
        delivery=tuple(_schedule_entry(kb, d) for d in delivery),
        review_session=sched.review_session,
        review_week=_review_week(phases, sched.review_session, weeks[1]),
        review_provenance=provenance_for(kb, sched.review_rule),
        review_checks=tuple(
            ReviewCheck(check=r.check, text=r.text, provenance=provenance_for(kb, r))
            for r in sched.review_items
        ),
        sessions_range=(_sessions_through(phases, weeks[0]), _sessions_through(phases, weeks[1])),
    )


def _summary(picture: ClinicalPicture) -> AssessmentSummary:
    a = picture.assessment
    return AssessmentSummary(
        patient_label=a.patient_label,
        assessed_on=a.assessed_on.isoformat() if a.assessed_on else None,
        age_years=a.age_years,
        sex=a.sex.value,
        pregnant=a.pregnant,
        gestational_week=a.gestational_week,
        lactating=a.lactating,
        phq9_total=picture.phq9_total,
        phq9_item9=picture.phq9_item9,
        phq9_severity=picture.phq9_severity,
        phq9_from_items=a.phq9_items is not None,
        pain_nrs=a.pain_nrs,
        pain_band=picture.pain_band,
        pain_regions=picture.pain_regions,
        pain_duration_months=a.pain_duration_months,
        gad7_total=a.gad7_total,
        pcs_total=a.pcs_total,
        isi_total=a.isi_total,
        medications=tuple(
            MedicationSummary(entered=m.display(), recognised_as=m.drug_ids, notes=m.notes)
            for m in picture.medications
        ),
        conditions=tuple(
            ConditionSummary(
                entered=c.entry.name, category=c.category, region=c.region, controlled=c.controlled
            )
            for c in picture.conditions
        ),
        creatinine_clearance_ml_min=a.creatinine_clearance_ml_min,
        liver_status=a.liver_status.value if a.liver_status else None,
    )


def _frequency(
    category: DominanceCategory, kb: KnowledgeBase, result: ScreenResult
) -> FrequencyRecommendation:
    rule = kb.frequency_rules[category]
    if rule.frequency is None:
        status: Literal[
            "permitted", "permitted except in some regions", "withheld", "not indicated"
        ] = "not indicated"
    elif not result.ea_permitted:
        status = "withheld"
    elif result.ea_withheld_regions:
        status = "permitted except in some regions"
    else:
        status = "permitted"
    withheld_by = tuple(dict.fromkeys(result.ea_withheld + result.needling_withheld))
    alternatives: tuple[str, ...] = ()
    if status == "withheld":
        # a withheld modality leaves no parameters in the plan
        if result.needling_withheld:
            alternatives = (
                "No needling of any kind (withheld by "
                f"{', '.join(result.needling_withheld)}): discuss non-needling care with the "
                "treating clinician; pharmacotherapy stays with the prescriber.",
            )
        elif result.remaining_points:
            alternatives = (
                "Manual acupuncture (needling without electrical current) at the listed points, "
                "on the same schedule: the rules that withhold EA "
                f"({', '.join(result.ea_withheld)}) do not cover needling without current.",
            )
        else:
            alternatives = (
                "No points remain after the safety screen: discuss other care with the treating "
                "clinician.",
            )
        return FrequencyRecommendation(
            frequency=None,
            table_row=rule.table_row,
            profile={},
            explanation=(
                "Electrical stimulation is withheld by the safety screen "
                f"({', '.join(withheld_by)}), so no EA frequency, intensity or EA session "
                "length is given."
            ),
            electrical_stimulation=status,
            withheld_by=withheld_by,
            withheld_regions=dict(result.ea_withheld_regions),
            provenance=provenance_for(kb, rule),
            alternatives=alternatives,
        )
    return FrequencyRecommendation(
        frequency=rule.frequency,
        table_row=rule.table_row,
        profile=dict(rule.profile),
        explanation=rule.explanation,
        electrical_stimulation=status,
        withheld_by=withheld_by,
        withheld_regions=dict(result.ea_withheld_regions),
        provenance=provenance_for(kb, rule),
    )


def build_plan(assessment: Assessment | Mapping[str, Any], kb: KnowledgeBase | None = None) -> Plan:
    """Build the plan for an assessment (an :class:`Assessment` or a mapping to validate).

    Raises :class:`~hpatwin.clinic.planner.assessment.AssessmentError` for malformed input.

    Example
    -------
    >>> plan = build_plan({"age_years": 60, "sex": "male", "phq9_total": 9, "phq9_item9": 0,
    ...                    "pain_nrs": 5, "pain_duration_months": 10, "pain_regions": ["neck"],
    ...                    "conditions": ["pacemaker"]})
    >>> plan.frequency.electrical_stimulation
    'withheld'
    """
    kb = kb or load_knowledge_base()
    validated = parse_assessment(assessment)
    picture = resolve_assessment(validated, kb)
    dominance = decide_dominance(picture, kb)
    category = DominanceCategory(dominance.category)

    if category is DominanceCategory.NONE:
        candidates: list[Point] = []
        roles: dict[str, list[str]] = {}
        selected_by: dict[str, list[str]] = {}
        point_regions: dict[str, list[str]] = {}
    else:
        candidates, roles, selected_by, point_regions = _candidates(picture, kb)
    result = screen(picture, kb, candidates)

    withheld_regions = set(result.ea_withheld_regions)
    planned: list[PlannedPoint] = []
    for point in result.remaining_points:
        ea_here = (
            result.ea_permitted
            and kb.frequency_rules[category].frequency is not None
            and point.region not in withheld_regions
            and not withheld_regions.intersection(point_regions[point.code])
        )
        planned.append(
            PlannedPoint(
                code=point.code,
                name=point.name,
                region=point.region,
                location=point.location,
                location_confirmation=max(
                    (kb.sources[s].confirmation for s in point.location_sources),
                    key=lambda c: c.rank,
                ).value,
                roles=tuple(roles[point.code]),
                electrical_stimulation=ea_here,
                tags=tuple(point.tags),
                note=point.note,
                selected_by=tuple(selected_by[point.code]),
            )
        )
    avoided = tuple(
        AvoidedPoint(
            code=code,
            name=kb.point(code).name,
            roles=tuple(roles[code]),
            rule_ids=rule_ids,
        )
        for code, rule_ids in result.avoided.items()
    )
    with_ea = {p.code for p in planned if p.electrical_stimulation}
    pairs = tuple(
        ElectrodePair(
            points=(pair.points[0], pair.points[1]),
            description=pair.description,
            provenance=provenance_for(kb, pair),
        )
        for pair in kb.ea_pairs
        if all(code in with_ea for code in pair.points)
    )
    region_notes = tuple(
        RegionNote(
            region=region,
            note=kb.region_selections[region].note,
            provenance=provenance_for(kb, kb.region_selections[region]),
        )
        for region in picture.pain_regions
        if kb.region_selections[region].note
        and category is not DominanceCategory.NONE
        and picture.pain_rank > 0
    )
    notes: list[PlanNote] = []
    for note in kb.notes:
        facts = evaluate(note.when, picture, result.remaining_points)
        if facts is not None:
            notes.append(
                PlanNote(
                    title=note.title,
                    message=note.message,
                    triggered_by=tuple(facts),
                    provenance=provenance_for(kb, note),
                )
            )
    return Plan(
        disclaimer=DISCLAIMER,
        alerts=result.alerts,
        summary=_summary(picture),
        dominance=dominance,
        frequency=_frequency(category, kb, result),
        role=_role(picture, kb),
        points=tuple(planned),
        avoided_points=avoided,
        needling_withheld_by=result.needling_withheld,
        region_notes=region_notes,
        electrode_pairs=pairs,
        schedule=_schedule(
            kb,
            ea=any(p.electrical_stimulation for p in planned),
            needling=not result.needling_withheld,
        ),
        pharmacotherapy_notes=tuple(notes),
        unrecognised=Unrecognised(
            medications=picture.unrecognised_medications,
            conditions=picture.unrecognised_conditions,
            regions=picture.unrecognised_regions,
        ),
        knowledge_base=KnowledgeBaseInfo(
            version=kb.version, sha256=kb.sha256, rule_count=kb.rule_count()
        ),
    )
