"""The safety screen: evaluate the KB's graded rules against a clinical picture and a point set.

Each rule's ``when:`` predicate either fails or yields the facts that triggered it; a fired rule
becomes a :class:`SafetyAlert` citing its sources and evidence level. Rules with effects (withhold
EA, withhold needling, avoid points) are judged on the candidate points and change the plan; all
other rules are judged on the points that remain.

Example
-------
>>> from hpatwin.clinic.planner.assessment import parse_assessment, resolve_assessment
>>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
>>> kb = load_knowledge_base()
>>> a = parse_assessment({"age_years": 50, "sex": "male", "phq9_total": 8, "phq9_item9": 2,
...                       "pain_nrs": 0})
>>> result = screen(resolve_assessment(a, kb), kb, ())
>>> result.alerts[0].code, result.alerts[0].level.value
('phq9-item9-positive', 'urgent')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from hpatwin.clinic.planner.assessment import ClinicalPicture, ResolvedCondition
from hpatwin.clinic.planner.knowledge import (
    KnowledgeBase,
    Level,
    Point,
    Predicate,
    SafetyRule,
    SourcedRule,
)

__all__ = [
    "CitedSource",
    "Provenance",
    "SafetyAlert",
    "ScreenResult",
    "evaluate",
    "provenance_for",
    "screen",
]


class CitedSource(BaseModel):
    """One cited source with its confirmation status.

    Example
    -------
    >>> CitedSource(id="x", citation="X 2020", confirmation="confirmed").id
    'x'
    """

    model_config = ConfigDict(frozen=True)

    id: str
    citation: str
    confirmation: str


class Provenance(BaseModel):
    """Where a plan element comes from: KB rule id, sources, evidence level, rationale, status.

    Example
    -------
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> kb = load_knowledge_base()
    >>> p = provenance_for(kb, kb.safety_rule("phq9-item9-positive"))
    >>> p.evidence, p.confirmation
    ('measured', 'confirmed')
    """

    model_config = ConfigDict(frozen=True)

    rule_id: str
    evidence: str
    rationale: str
    confirmation: str
    sources: tuple[CitedSource, ...]

    @property
    def source(self) -> str:
        """The citations as one string.

        Example
        -------
        >>> Provenance(rule_id="r", evidence="trial", rationale="", confirmation="confirmed",
        ...            sources=(CitedSource(id="a", citation="A 2020", confirmation="confirmed"),
        ...                     CitedSource(id="b", citation="B 2021", confirmation="confirmed"))
        ...            ).source
        'A 2020; B 2021'
        """
        return "; ".join(s.citation for s in self.sources)


def provenance_for(kb: KnowledgeBase, rule: SourcedRule) -> Provenance:
    """The :class:`Provenance` of a KB rule.

    Example
    -------
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> kb = load_knowledge_base()
    >>> provenance_for(kb, kb.safety_rule("device-no-ea")).evidence
    'assumption'
    """
    return Provenance(
        rule_id=rule.id,
        evidence=rule.evidence.value,
        rationale=rule.rationale,
        confirmation=kb.confirmation_of(rule).value,
        sources=tuple(
            CitedSource(
                id=source_id,
                citation=kb.sources[source_id].citation,
                confirmation=kb.sources[source_id].confirmation.value,
            )
            for source_id in rule.sources
        ),
    )


class SafetyAlert(BaseModel):
    """A fired safety rule: grade, rule id, message, the facts that triggered it, provenance.

    Example
    -------
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> kb = load_knowledge_base()
    >>> rule = kb.safety_rule("device-no-ea")
    >>> alert = SafetyAlert(level=rule.level, code=rule.id, title=rule.title,
    ...                     message=rule.message, triggered_by=("pacemaker",),
    ...                     provenance=provenance_for(kb, rule))
    >>> alert.level.value
    'contraindication'
    """

    model_config = ConfigDict(frozen=True)

    level: Level
    code: str
    title: str
    message: str
    triggered_by: tuple[str, ...]
    provenance: Provenance

    @property
    def source(self) -> str:
        """The citations as one string (same shape as the instruments' ``Alert.source``).

        Example
        -------
        >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
        >>> kb = load_knowledge_base()
        >>> rule = kb.safety_rule("duloxetine-smoking")
        >>> SafetyAlert(level=rule.level, code=rule.id, title=rule.title, message=rule.message,
        ...             triggered_by=(), provenance=provenance_for(kb, rule)).source[:14]
        'Knadler MP et '
        """
        return self.provenance.source


@dataclass(frozen=True)
class _Context:
    picture: ClinicalPicture
    points: tuple[Point, ...]


def _conditions(context: _Context, category: str) -> list[ResolvedCondition]:
    return [c for c in context.picture.conditions if c.category == category]


def evaluate(
    predicate: Predicate, picture: ClinicalPicture, points: Sequence[Point] = ()
) -> list[str] | None:
    """``None`` if the predicate fails, else the facts that made it hold (possibly empty).

    Example
    -------
    >>> from hpatwin.clinic.planner.assessment import parse_assessment, resolve_assessment
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> a = parse_assessment({"age_years": 70, "sex": "male", "phq9_total": 3,
    ...                       "phq9_item9": 0, "pain_nrs": 0})
    >>> picture = resolve_assessment(a, load_knowledge_base())
    >>> evaluate(Predicate.model_validate({"age_at_least": 65}), picture)
    ['age 70 years']
    >>> evaluate(Predicate.model_validate({"age_below": 65}), picture) is None
    True
    """
    return _evaluate(predicate, _Context(picture, tuple(points)))


def _evaluate(predicate: Predicate, context: _Context) -> list[str] | None:
    picture = context.picture
    assessment = picture.assessment
    key = predicate.key()
    if key == "always":
        return []
    if predicate.all_of is not None:
        facts: list[str] = []
        for child in predicate.all_of:
            result = _evaluate(child, context)
            if result is None:
                return None
            facts.extend(result)
        return list(dict.fromkeys(facts))
    if predicate.any_of is not None:
        held = [_evaluate(child, context) for child in predicate.any_of]
        true_facts = [result for result in held if result is not None]
        if not true_facts:
            return None
        return list(dict.fromkeys(fact for result in true_facts for fact in result))
    if predicate.not_ is not None:
        return [] if _evaluate(predicate.not_, context) is None else None
    if predicate.drug is not None:
        drug = predicate.drug
        hits = [m.display() for m in picture.medications if drug in m.drug_ids]
        return hits or None
    if predicate.drug_class is not None:
        klass = predicate.drug_class
        hits = [f"{m.display()} ({klass})" for m in picture.medications if klass in m.classes]
        return hits or None
    if predicate.drug_class_count_at_least is not None:
        wanted = predicate.drug_class_count_at_least
        names = sorted(
            {
                drug_id
                for m in picture.medications
                if wanted.drug_class in m.classes
                for drug_id in m.drug_ids
            }
        )
        if len(names) >= wanted.count:
            return [f"{len(names)} {wanted.drug_class} drugs: {', '.join(names)}"]
        return None
    if predicate.medication_count_at_least is not None:
        count = len(assessment.medications)
        return (
            [f"{count} medicines recorded"]
            if count >= predicate.medication_count_at_least
            else None
        )
    if predicate.age_at_least is not None:
        ok = assessment.age_years >= predicate.age_at_least
        return [f"age {assessment.age_years} years"] if ok else None
    if predicate.age_below is not None:
        ok = assessment.age_years < predicate.age_below
        return [f"age {assessment.age_years} years"] if ok else None
    if predicate.pregnant is not None:
        if assessment.pregnant != predicate.pregnant:
            return None
        return [f"pregnant, week {assessment.gestational_week}"] if assessment.pregnant else []
    if predicate.lactating is not None:
        if assessment.lactating != predicate.lactating:
            return None
        return ["breastfeeding"] if assessment.lactating else []
    if (
        predicate.gestational_week_at_least is not None
        or predicate.gestational_week_below is not None
    ):
        week = assessment.gestational_week
        if not assessment.pregnant or week is None:
            return None
        if predicate.gestational_week_at_least is not None:
            ok = week >= predicate.gestational_week_at_least
        else:
            assert predicate.gestational_week_below is not None
            ok = week < predicate.gestational_week_below
        return [f"gestational week {week}"] if ok else None
    if predicate.condition is not None:
        match = predicate.condition
        hits = [
            c.display()
            for c in _conditions(context, match.category)
            if match.controlled is None or c.controlled == match.controlled
        ]
        return hits or None
    if predicate.condition_at_point_region is not None:
        by_region: dict[str, list[str]] = {}
        for point in context.points:
            by_region.setdefault(point.region, []).append(point.code)
        hits = [
            f"{c.display()}: points {', '.join(by_region[c.region])}"
            for c in _conditions(context, predicate.condition_at_point_region)
            if c.region is not None and c.region in by_region
        ]
        return hits or None
    if predicate.condition_region_unknown is not None:
        hits = [
            f"{c.display()} (site not recorded)"
            for c in _conditions(context, predicate.condition_region_unknown)
            if c.region is None
        ]
        return hits or None
    if predicate.condition_at_pain_region_or_unknown is not None:
        hits = [
            c.display() if c.region is not None else f"{c.display()} (site not recorded)"
            for c in _conditions(context, predicate.condition_at_pain_region_or_unknown)
            if c.region is None or c.region in picture.pain_regions
        ]
        return hits or None
    crcl = assessment.creatinine_clearance_ml_min
    if predicate.crcl_below is not None:
        return (
            [f"CrCl {crcl:g} mL/min"] if crcl is not None and crcl < predicate.crcl_below else None
        )
    if predicate.crcl_at_least is not None:
        ok = crcl is not None and crcl >= predicate.crcl_at_least
        return [f"CrCl {crcl:g} mL/min"] if ok else None
    if predicate.crcl_unknown is not None:
        return ["creatinine clearance not recorded"] if crcl is None else None
    liver = assessment.liver_status
    if predicate.liver_status_in is not None:
        ok = liver is not None and liver in predicate.liver_status_in
        return [f"liver status: {liver.value}"] if ok and liver is not None else None
    if predicate.liver_status_unknown is not None:
        return ["liver status not recorded"] if liver is None else None
    item9 = picture.phq9_item9
    if predicate.phq9_item9_at_least is not None:
        ok = item9 is not None and item9 >= predicate.phq9_item9_at_least
        return [f"PHQ-9 item 9 = {item9}"] if ok else None
    if predicate.phq9_item9_below is not None:
        ok = item9 is not None and item9 < predicate.phq9_item9_below
        return [f"PHQ-9 item 9 = {item9}"] if ok else None
    if predicate.phq9_item9_unknown is not None:
        return ["PHQ-9 item 9 not recorded"] if item9 is None else None
    if predicate.phq9_severity_in is not None:
        ok = picture.phq9_severity in predicate.phq9_severity_in
        return [f"PHQ-9 {picture.phq9_total} ({picture.phq9_severity})"] if ok else None
    if predicate.point_tag is not None:
        tag = predicate.point_tag
        codes = [p.code for p in context.points if tag in p.tags]
        return [f"points tagged {tag}: {', '.join(codes)}"] if codes else None
    if predicate.pain_region_in is not None:
        regions = [r for r in picture.pain_regions if r in predicate.pain_region_in]
        return [f"pain region: {', '.join(regions)}"] if regions else None
    if predicate.unrecognised is not None:
        items = {
            "medication": picture.unrecognised_medications,
            "condition": picture.unrecognised_conditions,
            "pain_region": picture.unrecognised_regions,
        }[predicate.unrecognised]
        return list(items) or None
    if predicate.dose_above_label_max is not None:
        hits = []
        for m in picture.medications:
            daily = m.entry.daily_dose()
            for _, maximum in m.label_max_mg:
                if daily is not None and daily > maximum * (1 + 1e-9):
                    hits.append(
                        f"{m.display()}: {daily:g} mg/day above the label maximum "
                        f"{maximum:g} mg/day"
                    )
        return hits or None
    if predicate.daily_dose_unknown is not None:
        hits = [
            f"{m.display()}: daily dose not computable (give dose and frequency)"
            for m in picture.medications
            if m.entry.daily_dose() is None and m.label_max_mg
        ]
        return hits or None
    raise AssertionError(f"unhandled predicate key {key!r}")  # pragma: no cover


@dataclass(frozen=True)
class ScreenResult:
    """Alerts (most severe first) and the plan changes the fired rules require.

    ``avoided`` maps a point code to the ids of the rules that removed it; ``ea_withheld`` and
    ``needling_withheld`` list the rules withholding EA / all needling; ``ea_withheld_regions``
    maps a region to the rules withholding EA there.

    Example
    -------
    >>> ScreenResult().ea_permitted
    True
    """

    alerts: tuple[SafetyAlert, ...] = ()
    avoided: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ea_withheld: tuple[str, ...] = ()
    needling_withheld: tuple[str, ...] = ()
    ea_withheld_regions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    remaining_points: tuple[Point, ...] = ()

    @property
    def ea_permitted(self) -> bool:
        """False when a rule withholds EA or all needling.

        Example
        -------
        >>> ScreenResult(ea_withheld=("device-no-ea",)).ea_permitted
        False
        """
        return not (self.ea_withheld or self.needling_withheld)


def _alert(kb: KnowledgeBase, rule: SafetyRule, facts: list[str]) -> SafetyAlert:
    return SafetyAlert(
        level=rule.level,
        code=rule.id,
        title=rule.title,
        message=rule.message,
        triggered_by=tuple(facts),
        provenance=provenance_for(kb, rule),
    )


def screen(
    picture: ClinicalPicture, kb: KnowledgeBase, candidate_points: Sequence[Point]
) -> ScreenResult:
    """Run every safety rule of the KB; see the module docstring for the two passes.

    Example
    -------
    >>> from hpatwin.clinic.planner.assessment import parse_assessment, resolve_assessment
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> kb = load_knowledge_base()
    >>> a = parse_assessment({"age_years": 30, "sex": "female", "pregnant": True,
    ...     "gestational_week": 12, "phq9_total": 8, "phq9_item9": 0, "pain_nrs": 0})
    >>> result = screen(resolve_assessment(a, kb), kb, [kb.point("LI4"), kb.point("PC6")])
    >>> result.avoided, [p.code for p in result.remaining_points]
    ({'LI4': ('pregnancy-cautioned-points',)}, ['PC6'])
    """
    candidates = tuple(candidate_points)
    candidate_context = _Context(picture, candidates)
    fired: dict[str, list[str]] = {}
    avoided: dict[str, list[str]] = {}
    ea_withheld: list[str] = []
    needling_withheld: list[str] = []
    ea_regions: dict[str, list[str]] = {}

    for rule in kb.safety_rules:
        if not rule.effects.any():
            continue
        facts = _evaluate(rule.when, candidate_context)
        if facts is None:
            continue
        fired[rule.id] = facts
        effects = rule.effects
        if effects.withhold_ea:
            ea_withheld.append(rule.id)
        if effects.withhold_needling:
            needling_withheld.append(rule.id)
        for region in effects.withhold_ea_regions:
            ea_regions.setdefault(region, []).append(rule.id)
        for point in candidates:
            if any(tag in point.tags for tag in effects.avoid_point_tags):
                avoided.setdefault(point.code, []).append(rule.id)
        if effects.avoid_points_at_condition_region is not None:
            lesion_regions = {
                c.region
                for c in picture.conditions
                if c.category == effects.avoid_points_at_condition_region and c.region is not None
            }
            for point in candidates:
                if point.region in lesion_regions:
                    avoided.setdefault(point.code, []).append(rule.id)

    if needling_withheld:
        for point in candidates:
            avoided.setdefault(point.code, []).extend(needling_withheld)
    remaining = tuple(p for p in candidates if p.code not in avoided)
    final_context = _Context(picture, remaining)
    for rule in kb.safety_rules:
        if rule.effects.any():
            continue
        facts = _evaluate(rule.when, final_context)
        if facts is not None:
            fired[rule.id] = facts

    order = {rule.id: index for index, rule in enumerate(kb.safety_rules)}
    alerts = sorted(
        (_alert(kb, kb.safety_rule(rule_id), facts) for rule_id, facts in fired.items()),
        key=lambda alert: (alert.level.rank, order[alert.code]),
    )
    return ScreenResult(
        alerts=tuple(alerts),
        avoided={code: tuple(dict.fromkeys(ids)) for code, ids in avoided.items()},
        ea_withheld=tuple(ea_withheld),
        needling_withheld=tuple(needling_withheld),
        ea_withheld_regions={region: tuple(ids) for region, ids in ea_regions.items()},
        remaining_points=remaining,
    )
