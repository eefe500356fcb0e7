"""Convert a planner protocol (``hpatwin.clinic.planner``) into a treatment plan the twin simulates.

The planner's :class:`~hpatwin.clinic.planner.plan.Plan` says *what* is indicated (EA frequency,
points and which of them may carry current, course, sessions per week, session length,
psychotherapy); a :class:`~hpatwin.treatments.plan.TreatmentPlan` says *when and how much*.
:func:`protocol_to_treatment_plan` fills the gap and records every choice it makes:

* EA frequency → every EA session's ``frequency``; EA withheld by a safety rule (or not
  indicated) → no EA session; the points are then needled without current (manual acupuncture)
  unless the planner withholds needling too.
* Points → WHO codes through the point catalogue's alias lookup (``GV29`` → ``EX-HN3``); a
  point the catalogue does not know is dropped and reported (``strict_points`` makes it an
  error naming the field).
* Electrode pairs: the planner's cited pairs first, then the remaining EA points paired within
  one pairing segment (:data:`PAIRING_SEGMENTS`: one limb, the head, the neck, …), never a
  bilateral point with its own opposite-side twin and never on the chest, so no circuit crosses
  the chest. A point left without a partner is needled without current.
* Course, phases (sessions per week), session length → dated sessions.
* The assessment's current medications → ``drugs`` where the drug catalogue has PK; the others
  are listed as *not simulated* in the :class:`ConversionReport`, never dropped silently.
* Psychotherapy recommended → weekly CBT.

Every choice the protocol does not dictate is a named default below (``DEFAULT_*``) with its
rationale, and the report lists each one used as an assumption. The conversion is decision
support for simulation: it never changes a medicine or a dose.

Example
-------
>>> from hpatwin.clinic.planner import build_plan
>>> protocol = build_plan({"age_years": 44, "sex": "female", "phq9_total": 8, "phq9_item9": 0,
...                        "pain_nrs": 4, "pain_duration_months": 9, "pain_regions": ["neck"]})
>>> conversion = protocol_to_treatment_plan(protocol)
>>> session = conversion.plan.ea_sessions[0]
>>> session.frequency, session.start, session.duration_min, len(conversion.plan.ea_sessions)
('2/100', '09:00', 30, 24)
>>> session.electrode_pairs
(('GV20', 'EX-HN3'), ('LR3', 'SP6'), ('LI4', 'PC6'))
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hpatwin.clinic.planner.assessment import (
    Assessment,
    MedicationEntry,
    Sex,
    parse_assessment,
)
from hpatwin.clinic.planner.knowledge import KnowledgeBase, LiverStatus
from hpatwin.clinic.planner.plan import Plan, build_plan
from hpatwin.data.drugs import Drug, HepaticImpairment, UnknownDrugError, resolve_drug
from hpatwin.data.points import UnknownPointError, load_point_catalogue
from hpatwin.errors import InputError
from hpatwin.io.documents import validation_messages
from hpatwin.treatments.compile import compile_plan
from hpatwin.treatments.patient import PatientFactors
from hpatwin.treatments.plan import (
    GRID_MIN,
    PAIRING_SEGMENTS,
    PlanError,
    TreatmentPlan,
    parse_frequency,
)

__all__ = [
    "CBT_RULE_ID",
    "DEFAULT_CBT_CLOCK",
    "DEFAULT_CBT_DAY_OFFSET",
    "DEFAULT_DOSE_TIMES",
    "DEFAULT_INTENSITY_FRACTION",
    "DEFAULT_SESSION_CLOCK",
    "DEFAULT_TOLERANCE_MA",
    "LIVER_STATUS_TO_HEPATIC",
    "PAIRING_SEGMENTS",
    "SESSION_DAY_OFFSETS",
    "Assumption",
    "Conversion",
    "ConversionError",
    "ConversionOptions",
    "ConversionReport",
    "Dropped",
    "assessment_patient_factors",
    "assessment_to_treatment_plan",
    "plan_to_document",
    "protocol_to_treatment_plan",
    "trimester_for_week",
]

# ---------------------------------------------------------------------------- named defaults

DEFAULT_SESSION_CLOCK = "09:00"
"""Start of each needling session. The cited trials state no clock time; a morning clinic slot
is the convention of the project's example plans. The twin has a circadian HPA axis, so the
clock time matters: pass ``session_clock`` when the real slot is known."""

DEFAULT_TOLERANCE_MA = 3.0
"""The patient's tolerance threshold (mA) when none is measured. Only ``intensity/tolerance``
enters the model, so the absolute value matters only through that ratio; 3 mA is the value of
the project's example plans (docs/treatments.md)."""

DEFAULT_INTENSITY_FRACTION = 2.0 / 3.0
"""Intensity as a fraction of the tolerance when no intensity is given: the planner's delivery
rule is "titrated to a comfortable rhythmic tingling, never pain", i.e. below tolerance; two
thirds (2 of 3 mA) is the setting of the project's example plans. An assumption."""

INTENSITY_RESOLUTION_MA = 0.1
"""Stimulator display resolution: a derived intensity is rounded to 0.1 mA."""

SESSION_DAY_OFFSETS: dict[int, tuple[int, ...]] = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}
"""Days of a week's sessions after the week's first day, by sessions per week: spread with rest
days between where the count allows (3/week → Mon/Wed/Fri when the course starts on a Monday,
2/week → Mon/Thu). The planner gives sessions per week, not weekdays. An assumption."""

DEFAULT_CBT_CLOCK = "17:00"
"""Start of each CBT session: an after-work slot, as in the project's example plans; it keeps
CBT clear of the needling sessions. An assumption."""

DEFAULT_CBT_DAY_OFFSET = 1
"""CBT falls on the day after each week's first needling session, a day without needling at
1-3 sessions per week. An assumption."""

CBT_SESSIONS_PER_WEEK = 1
"""Weekly individual CBT, the usual format; the planner recommends psychotherapy but states no
schedule. CBT runs for the same number of weeks as the needling course. An assumption."""

CBT_RULE_ID = "pharm-psychotherapy"
"""The planner note (knowledge-base rule id) that recommends psychotherapy (CBT)."""

DEFAULT_DOSE_TIMES: dict[int, tuple[str, ...]] = {
    1: ("08:00",),
    2: ("08:00", "20:00"),
    3: ("08:00", "14:00", "20:00"),
    4: ("08:00", "12:00", "16:00", "20:00"),
}
"""Clock times of the doses, by administrations per day: spread over the waking day (12-hourly
for twice daily). The assessment records how often, not when. An assumption."""

DEFAULT_DOSES_PER_DAY_WHEN_UNSTATED = 1
"""A recognised, modelled drug whose frequency is not recorded is simulated once daily (the
labelled schedule of the modelled antidepressants); reported as an assumption."""

_FREQUENCY_WORDS: tuple[tuple[str, int], ...] = (
    (
        r"\b(once|one time|1 ?x|1 times?)\b|\bq ?d\b|\bdaily\b|\bo ?d\b|\bnightly\b|\bat night\b"
        r"|\bin the morning\b|\bevery 24 ?h",
        1,
    ),
    (r"\b(twice|two times|2 ?x|2 times)\b|\bb ?i ?d\b|\bevery 12 ?h", 2),
    (r"\b(three times|thrice|3 ?x|3 times)\b|\bt ?i ?d\b|\bevery 8 ?h", 3),
    (r"\b(four times|4 ?x|4 times)\b|\bq ?i ?d\b|\bevery 6 ?h", 4),
)
_CLOCK_TIME = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")
_AS_NEEDED = re.compile(r"\bas needed\b|\bp ?r ?n\b|\bwhen needed\b|\bif needed\b", re.I)
# A frequency word is matched from the most to the least frequent, so "twice daily" is 2.
_FREQUENCY_PATTERNS = tuple(
    (re.compile(pattern, re.I), n) for pattern, n in reversed(_FREQUENCY_WORDS)
)

LIVER_STATUS_TO_HEPATIC: dict[LiverStatus, HepaticImpairment] = {
    LiverStatus.NORMAL: HepaticImpairment.NONE,
    LiverStatus.MILD: HepaticImpairment.MILD,
    LiverStatus.MODERATE: HepaticImpairment.MODERATE,
    LiverStatus.SEVERE: HepaticImpairment.SEVERE,
    LiverStatus.CHRONIC_LIVER_DISEASE: HepaticImpairment.MILD,
    LiverStatus.CIRRHOSIS: HepaticImpairment.MODERATE,
}
"""Assessment liver status → Child-Pugh grade of the drug catalogue. The graded statuses map
one to one; "chronic liver disease" without a grade is taken as mild (Child-Pugh A) and
"cirrhosis" without a grade as moderate (Child-Pugh B, the class the labels' hepatic PK studies
used). The two ungraded mappings are assumptions and are reported when used."""

_UNGRADED_LIVER = (LiverStatus.CHRONIC_LIVER_DISEASE, LiverStatus.CIRRHOSIS)

UNRECORDED_SEX_STAND_IN = "female"
""":class:`PatientFactors` needs ``female`` or ``male``; for ``other``/``unknown`` this stand-in
is used. No exposure modifier of the drug catalogue depends on sex, so it changes no number."""

TRIMESTER_FIRST_WEEKS = (14, 28)
"""Gestational weeks that begin the second and third trimesters (ACOG: first trimester to
13 6/7 weeks, second 14 0/7-27 6/7, third from 28 0/7)."""


ALERT_LEVELS_NOTED = ("urgent", "contraindication")
"""Planner alert grades repeated in the report's notes (the simulation does not act on them)."""


# ---------------------------------------------------------------------------- results


class ConversionError(InputError):
    """A protocol (or assessment) that cannot be converted; ``field`` names the offending field.

    Example
    -------
    >>> str(ConversionError("unknown point code 'XX99'", field="points[0].code"))
    "protocol: points[0].code: unknown point code 'XX99'"
    """

    def __init__(self, problem: str, *, field: str, source: str = "protocol") -> None:
        super().__init__(problem, source=source, field=field)


@dataclass(frozen=True)
class Dropped:
    """Something in the protocol or assessment that the treatment plan does not carry, and why.

    Example
    -------
    >>> Dropped("points[9].code", "GB34", "not in the point catalogue").describe()
    'points[9].code GB34: not in the point catalogue'
    """

    field: str
    item: str
    reason: str

    def describe(self) -> str:
        """One line (see the class example)."""
        return f"{self.field} {self.item}: {self.reason}"


@dataclass(frozen=True)
class Assumption:
    """A choice the protocol does not dictate: its name, the value used and why.

    Example
    -------
    >>> Assumption("session_clock", "09:00", "no clock time in the protocol").describe()
    'session_clock = 09:00 (no clock time in the protocol)'
    """

    name: str
    value: str
    rationale: str

    def describe(self) -> str:
        """One line (see the class example)."""
        return f"{self.name} = {self.value} ({self.rationale})"


@dataclass(frozen=True)
class ConversionReport:
    """What was converted, what was dropped or not simulated and why, and the assumptions made.

    Example
    -------
    >>> report = ConversionReport(converted=("EA 2 Hz: 24 sessions",),
    ...     not_simulated=(Dropped("medications[1]", "tramadol 50 mg", "no PK in the model"),))
    >>> print(report.to_text())
    Converted:
      - EA 2 Hz: 24 sessions
    Not simulated:
      - medications[1] tramadol 50 mg: no PK in the model
    """

    converted: tuple[str, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    not_simulated: tuple[Dropped, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    notes: tuple[str, ...] = ()

    def to_text(self) -> str:
        """The report as indented text, one section per non-empty list."""
        sections: list[tuple[str, list[str]]] = [
            ("Converted", list(self.converted)),
            ("Dropped", [d.describe() for d in self.dropped]),
            ("Not simulated", [d.describe() for d in self.not_simulated]),
            ("Assumptions", [a.describe() for a in self.assumptions]),
            ("Notes", list(self.notes)),
        ]
        lines: list[str] = []
        for title, items in sections:
            if items:
                lines.append(f"{title}:")
                lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


@dataclass(frozen=True)
class Conversion:
    """The converted plan, its report and (from an assessment) the patient's factors.

    ``drug_parameters(days)`` gives the ``<drug>_clearance_factor`` parameters for the patient,
    to pass as ``parameters=`` to :func:`hpatwin.simulate` (the plan alone carries none).
    """

    plan: TreatmentPlan
    report: ConversionReport
    patient: PatientFactors | None = None

    def drug_parameters(self, days: float) -> dict[str, float]:
        """``<drug>_clearance_factor`` for each drug in the plan (1 without patient factors).

        Example
        -------
        >>> conversion = assessment_to_treatment_plan({"age_years": 80, "sex": "male",
        ...     "phq9_total": 12, "phq9_item9": 0, "pain_nrs": 0,
        ...     "medications": ["duloxetine 30 mg once daily"]})
        >>> conversion.drug_parameters(days=7)
        {'duloxetine_clearance_factor': 0.75}
        """
        return dict(compile_plan(self.plan, days, patient=self.patient).parameters)


@dataclass(frozen=True)
class ConversionOptions:
    """Choices beyond the protocol (each ``None`` means: as the protocol says).

    ``course_weeks``: weeks of needling (default: the shortest course the protocol gives, 8 of
    8-12 weeks). ``session_min``: minutes per session (default: the longest session length the
    protocol gives, 30 of 20-30 min, as in the 2024 depression RCT). ``cbt``: force CBT on or
    off (default: when the planner recommends psychotherapy). ``strict_points``: an unknown
    point is an error instead of being dropped and reported. ``start_weekday``: weekday of
    day 0 of the plan.

    Example
    -------
    >>> ConversionOptions(course_weeks=12).course_weeks
    12
    """

    course_weeks: int | None = None
    session_min: int | None = None
    cbt: bool | None = None
    cbt_clock: str = DEFAULT_CBT_CLOCK
    strict_points: bool = False
    start_weekday: str = "mon"


# ---------------------------------------------------------------------------- helpers


@dataclass
class _Builder:
    converted: list[str] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    not_simulated: list[Dropped] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def assume(self, name: str, value: object, rationale: str) -> None:
        if all(a.name != name for a in self.assumptions):
            self.assumptions.append(Assumption(name, str(value), rationale))

    def report(self) -> ConversionReport:
        return ConversionReport(
            converted=tuple(self.converted),
            dropped=tuple(self.dropped),
            not_simulated=tuple(self.not_simulated),
            assumptions=tuple(self.assumptions),
            notes=tuple(self.notes),
        )


def _as_protocol(protocol: Plan | Mapping[str, Any]) -> Plan:
    if isinstance(protocol, Plan):
        return protocol
    if not isinstance(protocol, Mapping):
        raise ConversionError(
            f"expected a planner Plan or its mapping, not {type(protocol).__name__}", field="(top)"
        )
    try:
        return Plan.model_validate(dict(protocol))
    except ValidationError as exc:
        first = validation_messages(exc)[0]
        where, _, problem = first.partition(": ")
        raise ConversionError(problem or first, field=where or "(top)") from None


def _is_midline(code: str) -> bool:
    return code.startswith(("GV", "CV"))


@dataclass(frozen=True)
class _Needled:
    code: str  # catalogue code
    planner_code: str
    region: str
    ea: bool


def _needled_points(protocol: Plan, options: ConversionOptions, b: _Builder) -> list[_Needled]:
    catalogue = load_point_catalogue()
    points: list[_Needled] = []
    seen: dict[str, str] = {}
    for i, point in enumerate(protocol.points):
        where = f"points[{i}].code"
        try:
            code = catalogue.get(point.code).code
        except UnknownPointError as exc:
            if options.strict_points:
                raise ConversionError(str(exc), field=where) from None
            b.dropped.append(
                Dropped(
                    where,
                    point.code,
                    f"not in the point catalogue hpatwin.data ({exc}); "
                    "the twin's inputs do not depend on which points are needled, so the "
                    "sessions are simulated without it",
                )
            )
            continue
        if code in seen:
            b.dropped.append(Dropped(where, point.code, f"same point as {seen[code]} ({code})"))
            continue
        seen[code] = point.code
        if code != point.code:
            b.notes.append(f"{where}: planner code {point.code} is catalogue code {code}")
        points.append(_Needled(code, point.code, point.region, point.electrical_stimulation))
    return points


def _pair_refusal(a: _Needled, b_: _Needled) -> str | None:
    if a.code == b_.code:
        return "a pair needs two different points"
    seg_a, seg_b = PAIRING_SEGMENTS.get(a.region), PAIRING_SEGMENTS.get(b_.region)
    if seg_a is None or seg_b is None:
        off = a if seg_a is None else b_
        return f"{off.code} lies in region {off.region!r}, where no electrode pair is placed"
    if seg_a != seg_b:
        return (
            f"{a.code} ({seg_a}) and {b_.code} ({seg_b}) are in different segments; the "
            "current would cross the trunk"
        )
    return None


def _electrode_pairs(protocol: Plan, points: list[_Needled], b: _Builder) -> list[tuple[str, str]]:
    """Cited pairs first, then same-segment pairs in protocol order (see the module)."""
    by_planner = {p.planner_code: p for p in points if p.ea}
    by_code = {p.code: p for p in points if p.ea}
    used: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for i, cited in enumerate(protocol.electrode_pairs):
        ends = [by_planner.get(c) or by_code.get(c) for c in cited.points]
        where = f"electrode_pairs[{i}]"
        first, second = ends
        if first is None or second is None:
            b.dropped.append(
                Dropped(
                    where, "–".join(cited.points), "a pole is not an EA point of the converted plan"
                )
            )
            continue
        refusal = _pair_refusal(first, second)
        if refusal is not None:
            b.dropped.append(Dropped(where, "–".join(cited.points), refusal))
            continue
        pairs.append((first.code, second.code))
        used.update((first.code, second.code))
    waiting: dict[str, _Needled] = {}
    for point in points:
        if not point.ea or point.code in used:
            continue
        segment = PAIRING_SEGMENTS.get(point.region)
        if segment is None:
            continue
        partner = waiting.pop(segment, None)
        if partner is None:
            waiting[segment] = point
            continue
        pairs.append((partner.code, point.code))
        used.update((partner.code, point.code))
    return pairs


def _course(protocol: Plan, options: ConversionOptions, b: _Builder) -> list[int]:
    """Sessions per week for each week of the course."""
    course = protocol.schedule.course.weeks
    if options.course_weeks is not None:
        weeks = options.course_weeks
        if weeks < 1:
            raise ConversionError(f"{weeks} must be ≥ 1", field="options.course_weeks")
        if course is not None and not course[0] <= weeks <= course[1]:
            b.notes.append(
                f"course_weeks {weeks} is outside the protocol's course of "
                f"{course[0]}-{course[1]} weeks"
            )
    elif course is not None:
        weeks = course[0]
        b.assume(
            "course_weeks",
            weeks,
            f"the shortest course the protocol gives "
            f"({course[0]}-{course[1]} weeks); pass course_weeks for a longer one",
        )
    else:
        raise ConversionError("the protocol gives no course length", field="schedule.course.weeks")
    per_week: list[int] = []
    for week in range(1, weeks + 1):
        found = [
            phase.sessions_per_week
            for phase in protocol.schedule.phases
            if phase.weeks is not None
            and phase.sessions_per_week is not None
            and phase.weeks[0] <= week <= phase.weeks[1]
        ]
        if not found:
            raise ConversionError(
                f"no phase gives the sessions of week {week}", field="schedule.phases"
            )
        count = found[0]
        if count not in SESSION_DAY_OFFSETS:
            raise ConversionError(
                f"{count} sessions per week is not 1-7", field="schedule.phases.sessions_per_week"
            )
        per_week.append(count)
    return per_week


NEEDLING_ONLY_SESSION_MIN = 30
"""Session length when EA is withheld and the protocol gives none (an assumption, reported)."""


def _session_min(protocol: Plan, options: ConversionOptions, b: _Builder) -> int:
    if options.session_min is not None:
        minutes = options.session_min
    else:
        ranges = [d.minutes for d in protocol.schedule.delivery if d.minutes is not None]
        if not ranges and protocol.frequency.electrical_stimulation == "withheld":
            # a plan with EA withheld carries no EA session length: needling-only
            # sessions get the default below, reported as an assumption
            minutes = NEEDLING_ONLY_SESSION_MIN
            b.assume(
                "session_min",
                minutes,
                "EA is withheld, so the protocol gives no (EA) session length; "
                f"{minutes} min needling sessions assumed (pass session_min to choose)",
            )
            return minutes
        if not ranges:
            raise ConversionError(
                "the protocol gives no session length", field="schedule.delivery.minutes"
            )
        minutes = ranges[0][1]
        b.assume(
            "session_min",
            minutes,
            f"the longest session length the protocol gives ({ranges[0][0]}-{ranges[0][1]} min)",
        )
    if minutes <= 0 or minutes % GRID_MIN:
        raise ConversionError(
            f"{minutes} min is not a positive multiple of {GRID_MIN} min",
            field="options.session_min",
        )
    return minutes


def _session_days(per_week: list[int], start_day: int) -> list[int]:
    return [
        start_day + 7 * week + offset
        for week, count in enumerate(per_week)
        for offset in SESSION_DAY_OFFSETS[count]
    ]


def _summarise_weeks(per_week: list[int]) -> str:
    runs: list[str] = []
    week = 0
    while week < len(per_week):
        end = week
        while end + 1 < len(per_week) and per_week[end + 1] == per_week[week]:
            end += 1
        runs.append(f"{per_week[week]}/week in weeks {week + 1}-{end + 1}")
        week = end + 1
    return ", ".join(runs)


def _doses_per_day(entry: MedicationEntry) -> int | None:
    text = (entry.frequency or "").replace(".", "")
    for pattern, count in _FREQUENCY_PATTERNS:
        if pattern.search(text):
            return count
    return None


def _catalogue_drug(entry: MedicationEntry, recognised: Sequence[str]) -> Drug | None:
    try:
        return resolve_drug(entry.name)
    except UnknownDrugError:
        pass
    drugs: list[Drug] = []
    for drug_id in recognised:
        try:
            drugs.append(resolve_drug(drug_id))
        except UnknownDrugError:
            continue
    return drugs[0] if len(drugs) == 1 and len(recognised) == 1 else None


def _medication_entries(
    protocol: Plan, medications: Sequence[MedicationEntry | str] | None
) -> list[tuple[MedicationEntry, tuple[str, ...]]]:
    """Each medication with the knowledge-base drugs the planner recognised it as."""
    if medications is None:
        return [
            (MedicationEntry.from_text(m.entered), m.recognised_as)
            for m in protocol.summary.medications
        ]
    recognised = {m.entered: m.recognised_as for m in protocol.summary.medications}
    entries = [MedicationEntry.from_text(m) if isinstance(m, str) else m for m in medications]
    return [(entry, recognised.get(entry.display(), ())) for entry in entries]


def _drugs(
    protocol: Plan, medications: Sequence[MedicationEntry | str] | None, b: _Builder
) -> list[dict[str, Any]]:
    drugs: list[dict[str, Any]] = []
    for i, (entry, recognised) in enumerate(_medication_entries(protocol, medications)):
        where = f"medications[{i}]"
        shown = entry.display() + (f" {entry.frequency}" if entry.frequency else "")
        drug = _catalogue_drug(entry, recognised)
        if drug is None:
            why = (
                "a combination product; the model has no per-component dose"
                if len(recognised) > 1
                else "the model has no PK for this drug"
            )
            b.not_simulated.append(Dropped(where, shown, why))
            continue
        if entry.frequency and _AS_NEEDED.search(entry.frequency.replace(".", "")):
            b.not_simulated.append(
                Dropped(where, shown, "taken as needed: no schedule to simulate")
            )
            continue
        if entry.dose_mg is None or entry.dose_mg <= 0:
            b.not_simulated.append(Dropped(where, shown, "no dose recorded"))
            continue
        per_day = _doses_per_day(entry)
        if per_day is None and entry.frequency:
            b.not_simulated.append(
                Dropped(
                    where,
                    shown,
                    f"frequency {entry.frequency!r} not "
                    "understood (e.g. 'once daily', 'twice daily')",
                )
            )
            continue
        if per_day is None:
            per_day = DEFAULT_DOSES_PER_DAY_WHEN_UNSTATED
            b.assume(
                f"{where}.frequency",
                "once daily",
                "not recorded; the modelled drugs' labelled schedule",
            )
        times = DEFAULT_DOSE_TIMES[per_day]
        b.assume(
            "dose_times",
            "; ".join(f"{n}/day at {', '.join(t)}" for n, t in DEFAULT_DOSE_TIMES.items()),
            "the assessment records how often, not when",
        )
        data = {"name": drug.key, "dose_mg": entry.dose_mg, "times": list(times)}
        try:
            TreatmentPlan.parse({"drugs": [*drugs, data]})  # also totals with earlier entries
        except PlanError as exc:
            b.not_simulated.append(
                Dropped(
                    where,
                    shown,
                    "; ".join(m.removeprefix(f"drugs[{len(drugs)}].") for m in exc.messages),
                )
            )
            continue
        drugs.append(data)
        b.converted.append(
            f"{where} {shown} → drugs[{len(drugs) - 1}]: {drug.key} "
            f"{entry.dose_mg:g} mg at {', '.join(times)} from day 0"
        )
    if drugs:
        b.notes.append(
            "current medications start on day 0 of the simulation (the twin starts "
            "drug-naive; exposure reaches steady state within about five half-lives)"
        )
    return drugs


def _cbt_wanted(protocol: Plan, options: ConversionOptions, b: _Builder) -> bool:
    if options.cbt is not None:
        return options.cbt
    recommended = any(n.provenance.rule_id == CBT_RULE_ID for n in protocol.pharmacotherapy_notes)
    if not recommended:
        b.notes.append("no CBT: the planner does not recommend psychotherapy for this picture")
    return recommended


def _intensity(
    intensity_ma: float | None, tolerance_ma: float | None, b: _Builder
) -> tuple[float, float]:
    if tolerance_ma is None:
        tolerance_ma = DEFAULT_TOLERANCE_MA
        b.assume(
            "tolerance_ma",
            DEFAULT_TOLERANCE_MA,
            "not measured; only intensity/tolerance enters the model; the project's example value",
        )
    if intensity_ma is None:
        steps = round(DEFAULT_INTENSITY_FRACTION * tolerance_ma / INTENSITY_RESOLUTION_MA)
        intensity_ma = steps * INTENSITY_RESOLUTION_MA
        b.assume(
            "intensity_ma",
            f"{intensity_ma:g} ({DEFAULT_INTENSITY_FRACTION:.2f} × tolerance)",
            "titrated to a comfortable tingling, never pain: below tolerance",
        )
    for name, value in (("intensity_ma", intensity_ma), ("tolerance_ma", tolerance_ma)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ConversionError(f"{value!r} must be a number > 0", field=name)
    if intensity_ma > tolerance_ma:
        b.notes.append(
            f"intensity {intensity_ma:g} mA is above the tolerance {tolerance_ma:g} "
            "mA; the planner's delivery rule is a comfortable tingling, never pain"
        )
    return float(intensity_ma), float(tolerance_ma)


# ---------------------------------------------------------------------------- conversion


def protocol_to_treatment_plan(
    protocol: Plan | Mapping[str, Any],
    *,
    start_day: int = 0,
    session_clock: str = DEFAULT_SESSION_CLOCK,
    intensity_ma: float | None = None,
    tolerance_ma: float | None = None,
    medications: Sequence[MedicationEntry | str] | None = None,
    options: ConversionOptions | None = None,
) -> Conversion:
    """Convert a planner protocol into a :class:`TreatmentPlan` and a :class:`ConversionReport`.

    ``medications`` are the assessment's entries (with their frequencies); ``None`` reads the
    protocol's medication summary, which records doses but not frequencies. Unknown points are
    dropped and reported unless ``options.strict_points``. Raises :class:`ConversionError`
    (naming the field) for a protocol that cannot be converted.

    Example
    -------
    >>> from hpatwin.clinic.planner import build_plan
    >>> protocol = build_plan({"age_years": 67, "sex": "male", "phq9_total": 6, "phq9_item9": 0,
    ...     "pain_nrs": 5, "pain_duration_months": 14, "pain_regions": ["neck"],
    ...     "conditions": ["cardiac pacemaker"]})
    >>> conversion = protocol_to_treatment_plan(protocol)
    >>> conversion.plan.ea_sessions, len(conversion.plan.manual_acupuncture_sessions)
    ((), 24)
    """
    options = options or ConversionOptions()
    plan_protocol = _as_protocol(protocol)
    b = _Builder()
    if isinstance(start_day, bool) or not isinstance(start_day, int) or start_day < 0:
        raise ConversionError(
            f"{start_day!r} must be a whole number of days ≥ 0", field="start_day"
        )
    for name, clock in (("session_clock", session_clock), ("options.cbt_clock", options.cbt_clock)):
        if not (isinstance(clock, str) and _CLOCK_TIME.fullmatch(clock)):
            raise ConversionError(f"{clock!r} is not a clock time 'HH:MM'", field=name)
    if session_clock == DEFAULT_SESSION_CLOCK:
        b.assume(
            "session_clock",
            DEFAULT_SESSION_CLOCK,
            "no clock time in the protocol; the project's morning clinic slot",
        )

    sessions: dict[str, list[dict[str, Any]]] = {}
    points = _needled_points(plan_protocol, options, b)
    frequency_text = plan_protocol.frequency.frequency
    status = plan_protocol.frequency.electrical_stimulation
    needling_withheld = bool(plan_protocol.needling_withheld_by)
    if needling_withheld:
        b.dropped.append(
            Dropped(
                "needling_withheld_by",
                ", ".join(plan_protocol.needling_withheld_by),
                "needling withheld by the safety screen: no acupuncture sessions",
            )
        )
    elif points:
        per_week = _course(plan_protocol, options, b)
        minutes = _session_min(plan_protocol, options, b)
        days = _session_days(per_week, start_day)
        b.assume(
            "session_days",
            "week offsets "
            + "; ".join(
                f"{n}/week → +{', +'.join(map(str, o))} d"
                for n, o in SESSION_DAY_OFFSETS.items()
                if n in set(per_week)
            ),
            "the protocol gives sessions per week, not weekdays",
        )
        ea_points = [p for p in points if p.ea]
        frequency: str | None = None
        if frequency_text is not None and ea_points:
            try:
                frequency = "/".join(f"{f:g}" for f in parse_frequency(frequency_text))
            except ValueError as exc:
                raise ConversionError(str(exc), field="frequency.frequency") from None
        pairs = _electrode_pairs(plan_protocol, points, b) if frequency else []
        common = {
            "start": session_clock,
            "duration_min": minutes,
            "points": [p.code for p in points],
        }
        if frequency and pairs:
            intensity, tolerance = _intensity(intensity_ma, tolerance_ma, b)
            ea: dict[str, Any] = {
                **common,
                "frequency": frequency,
                "intensity_ma": intensity,
                "tolerance_ma": tolerance,
                "electrode_pairs": pairs,
            }
            ea = _validated_pairs(ea, b)
        else:
            ea = {}
        if ea:
            sessions["ea_sessions"] = [{"day": d, **ea} for d in days]
            paired = {c for pair in ea["electrode_pairs"] for c in pair}
            unpaired = [p.code for p in points if p.code not in paired]
            b.converted.append(
                f"EA {frequency} Hz: {len(days)} sessions ({_summarise_weeks(per_week)}), "
                f"{minutes} min at {session_clock}, pairs "
                f"{', '.join('–'.join(p) for p in ea['electrode_pairs'])}"
                + (f"; needled without current: {', '.join(unpaired)}" if unpaired else "")
            )
            for p in points:
                if p.ea and p.code not in paired:
                    b.notes.append(
                        f"{p.code}: no same-segment EA partner left; needled without current"
                    )
            b.notes.append(
                "bilateral points pair on the same side (an ipsilateral circuit); "
                "the plan format records codes, not sides"
            )
        else:
            why = {
                "withheld": "EA withheld by the safety screen ("
                + ", ".join(plan_protocol.frequency.withheld_by)
                + ")",
                "not indicated": "EA not indicated for this picture",
            }.get(status, "no EA point has a same-segment partner")
            sessions["manual_acupuncture_sessions"] = [{"day": d, **common} for d in days]
            b.dropped.append(
                Dropped("frequency", frequency_text or "none", f"{why}: no EA sessions")
            )
            b.converted.append(
                f"manual acupuncture (needling without current, as the planner allows): "
                f"{len(days)} sessions ({_summarise_weeks(per_week)}), {minutes} min at "
                f"{session_clock}, points {', '.join(p.code for p in points)}"
            )
    else:
        b.notes.append("the protocol lists no points: no acupuncture sessions")

    if _cbt_wanted(plan_protocol, options, b):
        weeks = options.course_weeks or (plan_protocol.schedule.course.weeks or (8, 8))[0]
        cbt_days = [start_day + 7 * w + DEFAULT_CBT_DAY_OFFSET for w in range(weeks)]
        sessions["cbt_sessions"] = [{"day": d, "start": options.cbt_clock} for d in cbt_days]
        b.assume(
            "cbt_schedule",
            f"{CBT_SESSIONS_PER_WEEK}/week × {weeks} weeks, 50 min at "
            f"{options.cbt_clock}, day +{DEFAULT_CBT_DAY_OFFSET} of each week",
            "the planner recommends psychotherapy (CBT) without a schedule",
        )
        b.converted.append(f"CBT: {len(cbt_days)} weekly sessions at {options.cbt_clock}")

    drugs = _drugs(plan_protocol, medications, b)
    for alert in plan_protocol.alerts:
        if alert.level.value in ALERT_LEVELS_NOTED:
            b.notes.append(
                f"planner alert {alert.code} ({alert.level.value}): for the "
                "clinician; the conversion changes no medicine and no dose"
            )
    data: dict[str, Any] = {
        "name": f"Planner protocol: {plan_protocol.dominance.category}",
        "description": (
            f"Converted from an hpatwin planner protocol (knowledge base "
            f"{plan_protocol.knowledge_base.version}, {plan_protocol.knowledge_base.sha256[:12]}"
            f"); EA {status}; role {plan_protocol.role.role}. Decision support, not a "
            "prescription."
        ),
        "start_weekday": options.start_weekday,
        **sessions,
        "drugs": drugs,
    }
    try:
        plan = TreatmentPlan.parse(data)
    except PlanError as exc:
        raise ConversionError("; ".join(exc.messages), field="treatment plan") from None
    return Conversion(plan=plan, report=b.report())


def _validated_pairs(ea: dict[str, Any], b: _Builder) -> dict[str, Any]:
    """Let the plan validator check the EA settings; drop a pair it rejects and try again."""
    while ea["electrode_pairs"]:
        try:
            TreatmentPlan.parse({"ea_sessions": [{"day": 0, **ea}]})
        except PlanError as exc:
            messages = [m.removeprefix("ea_sessions[0].") for m in exc.messages]
            bad = {
                int(m.group(1))
                for msg in messages
                if (m := re.match(r"electrode_pairs\[(\d+)\]", msg))
            }
            if not bad:
                raise ConversionError("; ".join(messages), field="ea_sessions") from None
            for index in sorted(bad, reverse=True):
                pair = ea["electrode_pairs"].pop(index)
                b.dropped.append(
                    Dropped(
                        f"electrode_pairs[{index}]",
                        "–".join(pair),
                        "rejected by the plan validator: " + "; ".join(messages),
                    )
                )
            continue
        return ea
    return {}


# ---------------------------------------------------------------------------- assessment


def trimester_for_week(gestational_week: int) -> int:
    """Pregnancy trimester of a gestational week (see :data:`TRIMESTER_FIRST_WEEKS`).

    Example
    -------
    >>> [trimester_for_week(w) for w in (8, 13, 14, 24, 28, 40)]
    [1, 1, 2, 2, 3, 3]
    """
    second, third = TRIMESTER_FIRST_WEEKS
    return 1 if gestational_week < second else (2 if gestational_week < third else 3)


def _patient(assessment: Assessment, b: _Builder) -> PatientFactors:
    sex = assessment.sex.value
    if assessment.sex in (Sex.OTHER, Sex.UNKNOWN):
        sex = UNRECORDED_SEX_STAND_IN
        b.assume(
            "patient.sex",
            sex,
            f"sex recorded as {assessment.sex.value!r}; no drug "
            "exposure modifier depends on sex, so the stand-in changes no number",
        )
    trimester = 0
    if assessment.pregnant and assessment.gestational_week is not None:
        trimester = trimester_for_week(assessment.gestational_week)
    hepatic = HepaticImpairment.NONE
    if assessment.liver_status is None:
        b.assume("patient.hepatic", "none", "liver status not recorded")
    else:
        hepatic = LIVER_STATUS_TO_HEPATIC[assessment.liver_status]
        if assessment.liver_status in _UNGRADED_LIVER:
            b.assume(
                "patient.hepatic",
                hepatic.value,
                f"liver status {assessment.liver_status.value!r} has no Child-Pugh grade",
            )
    if assessment.creatinine_clearance_ml_min is None:
        b.assume("patient.creatinine_clearance_ml_min", "normal", "not recorded")
    if assessment.lactating:
        b.notes.append("lactation changes no drug exposure in the model")
    data = {
        "age_years": assessment.age_years,
        "sex": sex,
        "pregnancy_trimester": trimester,
        "hepatic": hepatic,
        "creatinine_clearance_ml_min": assessment.creatinine_clearance_ml_min,
    }
    try:
        patient = PatientFactors(**data)
    except ValidationError as exc:
        message = validation_messages(exc)[0]
        where, _, problem = message.partition(": ")
        field_name = {"pregnancy_trimester": "gestational_week", "hepatic": "liver_status"}.get(
            where, where
        )
        raise ConversionError(
            problem or message, field=field_name or "(top)", source="assessment"
        ) from None
    b.converted.append(
        f"patient factors: age {patient.age_years:g} y, {patient.sex}, trimester "
        f"{patient.pregnancy_trimester}, hepatic {patient.hepatic.value}, CrCl "
        + (
            "normal"
            if patient.creatinine_clearance_ml_min is None
            else f"{patient.creatinine_clearance_ml_min:g} mL/min"
        )
    )
    return patient


def assessment_patient_factors(assessment: Assessment | Mapping[str, Any]) -> PatientFactors:
    """The drug-exposure covariates of an assessment as :class:`PatientFactors`.

    Age, sex, pregnancy trimester (from the gestational week), hepatic function (from the liver
    status, :data:`LIVER_STATUS_TO_HEPATIC`) and creatinine clearance. An age under 18 is an
    error (the drug catalogue's PK covers adults).

    Example
    -------
    >>> assessment_patient_factors({"age_years": 31, "sex": "female", "pregnant": True,
    ...     "gestational_week": 24, "phq9_total": 12, "phq9_item9": 0, "pain_nrs": 0,
    ...     "liver_status": "cirrhosis"}).model_dump()  # doctest: +NORMALIZE_WHITESPACE
    {'age_years': 31.0, 'sex': 'female', 'pregnancy_trimester': 2,
     'hepatic': <HepaticImpairment.MODERATE: 'moderate'>, 'creatinine_clearance_ml_min': None}
    """
    return _patient(parse_assessment(assessment), _Builder())


def assessment_to_treatment_plan(
    assessment: Assessment | Mapping[str, Any],
    *,
    kb: KnowledgeBase | None = None,
    start_day: int = 0,
    session_clock: str = DEFAULT_SESSION_CLOCK,
    intensity_ma: float | None = None,
    tolerance_ma: float | None = None,
    options: ConversionOptions | None = None,
) -> Conversion:
    """Plan the protocol for an assessment (:func:`~hpatwin.clinic.planner.build_plan`) and
    convert it, with the assessment's medications (and frequencies) and patient factors.

    Example
    -------
    >>> conversion = assessment_to_treatment_plan({"age_years": 78, "sex": "male",
    ...     "phq9_total": 11, "phq9_item9": 0, "pain_nrs": 0,
    ...     "medications": ["naproxen 500 mg twice daily", "amlodipine 5 mg"]})
    >>> [(d.name, d.times) for d in conversion.plan.drugs]
    [('naproxen', ('08:00', '20:00'))]
    >>> [d.item for d in conversion.report.not_simulated]
    ['amlodipine 5 mg']
    """
    parsed = parse_assessment(assessment)
    protocol = build_plan(parsed, kb)
    b = _Builder()
    patient = _patient(parsed, b)
    conversion = protocol_to_treatment_plan(
        protocol,
        start_day=start_day,
        session_clock=session_clock,
        intensity_ma=intensity_ma,
        tolerance_ma=tolerance_ma,
        medications=parsed.medications,
        options=options,
    )
    report = conversion.report
    merged = ConversionReport(
        converted=report.converted + tuple(b.converted),
        dropped=report.dropped,
        not_simulated=report.not_simulated,
        assumptions=report.assumptions + tuple(b.assumptions),
        notes=report.notes + tuple(b.notes),
    )
    return Conversion(plan=conversion.plan, report=merged, patient=patient)


def plan_to_document(plan: TreatmentPlan) -> dict[str, Any]:
    """The plan as plain data that :meth:`TreatmentPlan.parse` (and so ``load_plan`` from YAML
    or JSON) reads back to an equal plan; defaults are left out.

    Example
    -------
    >>> plan = TreatmentPlan.parse({"cbt_sessions": [{"day": 1, "start": "17:00"}]})
    >>> plan_to_document(plan)
    {'cbt_sessions': [{'day': 1, 'start': '17:00'}]}
    >>> TreatmentPlan.parse(plan_to_document(plan)) == plan
    True
    """
    data: dict[str, Any] = plan.model_dump(mode="json", exclude_defaults=True)
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = [_day_first(item) if isinstance(item, dict) else item for item in value]
    return data


def _day_first(entry: dict[str, Any]) -> dict[str, Any]:
    """A session's day (or a schedule's start day) first, as people write them."""
    first: dict[str, Any] = {k: entry[k] for k in ("day", "start_day") if k in entry}
    return {**first, **{k: v for k, v in entry.items() if k not in first}}
