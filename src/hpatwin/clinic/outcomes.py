"""Response, remission, partial response and minimal important change over a course.

An :class:`OutcomeCriterion` is a configurable, sourced definition ("PHQ-9 response =
at least 50 % reduction from baseline"). :data:`DEFAULT_CRITERIA` holds the definitions
with a primary citation each (Kroenke 2001, ICSI, Löwe 2004, IMMPACT/Dworkin 2008,
Farrar 2001, Spitzer 2006, Morin 2011, Yang 2009); programmes that use other definitions build their own criteria (for example
:data:`PHQ9_RESPONSE_BELOW_10`, the alternative "response = PHQ-9 < 10").

:func:`compare_course` compares two or more administrations of one instrument: change
from baseline and from the previous visit, percentage change, and which criteria each
follow-up meets (``None`` where a criterion cannot be evaluated, e.g. a relative
reduction from a baseline of 0).

Example
-------
>>> from hpatwin.clinic.instruments import score
>>> course = compare_course([score("phq9", [2] * 9), score("phq9", [1] * 8 + [0])])
>>> course.points[-1].change, course.points[-1].met["response"], course.points[-1].met["remission"]
(-10.0, True, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from hpatwin.clinic.instruments import InstrumentResult, get_spec

__all__ = [
    "DEFAULT_CRITERIA",
    "PHQ9_RESPONSE_BELOW_10",
    "CourseComparison",
    "CoursePoint",
    "OutcomeCriterion",
    "OutcomeError",
    "compare_course",
    "criteria_for",
    "criteria_table",
]

_ICSI = (
    "ICSI Depression guideline; Kaiser measurement-based care, Psychiatr Serv 2020 "
    "(ps.201900295); CBE/NQF 1885 'Depression response at 12 months' (>= 50 %)"
)
_ICSI_REMISSION = (
    "ICSI Depression guideline; Kaiser measurement-based care, Psychiatr Serv 2020 "
    "(ps.201900295): remission = PHQ-9 < 5"
)
_ICSI_PARTIAL = "ICSI Depression guideline: partial response = 25-50 % reduction"
_LOWE_2004 = (
    "Löwe et al., Med Care 2004;42:1194 (individual change of 5 points = 2 x SEM; "
    "IMPACT late-life sample, mean age 71)"
)
_KOUNALI_2022 = "Kounali et al. 2022, UK primary care, PMC9340848 (anchor-based MCID)"
_IMMPACT = "IMMPACT, Dworkin et al., J Pain 2008;9:105-121"
_FARRAR_2001 = "Farrar et al., Pain 2001;94:149 (~2 points or ~30 % = PGIC 'much improved')"
_MORIN_2011 = "Morin et al., Sleep 2011;34:601-608"
_YANG_2009 = "Yang et al., Curr Med Res Opin 2009;25:2487 (ISI MID = 6-point reduction)"


class OutcomeError(ValueError):
    """A course or a criterion is invalid; the message names the field.

    Example
    -------
    >>> try:
    ...     compare_course([])
    ... except OutcomeError as e:
    ...     print(e)
    course: at least 2 administrations are needed, got 0
    """


@dataclass(frozen=True)
class OutcomeCriterion:
    """A sourced definition of a change outcome on one measure of one instrument.

    All conditions that are set must hold (lower scores are better on every instrument
    here). Reductions are ``baseline - follow_up``; fractions are relative to baseline.

    * ``min_reduction_fraction``: reduction / baseline >= value (e.g. 0.5)
    * ``max_reduction_fraction``: reduction / baseline < value (partial-response upper bound)
    * ``min_reduction_points``: reduction >= value (points)
    * ``below``: follow-up < value (e.g. remission PHQ-9 < 5)
    * ``min_increase_points``: follow-up - baseline >= value (deterioration)

    ``measure`` is ``"total"`` or a subscale name (``"interference"`` for the BPI).

    Example
    -------
    >>> c = OutcomeCriterion("response", "phq9", "ICSI", min_reduction_fraction=0.5)
    >>> c.evaluate(20, 10), c.evaluate(20, 11), c.evaluate(0, 0)
    (True, False, None)
    """

    name: str
    instrument: str
    source: str
    measure: str = "total"
    min_reduction_fraction: float | None = None
    max_reduction_fraction: float | None = None
    min_reduction_points: float | None = None
    below: float | None = None
    min_increase_points: float | None = None
    evidence: str = "confirmed"
    note: str = ""

    def __post_init__(self) -> None:
        where = f"outcome criterion {self.name!r}"
        if not self.name.strip():
            raise OutcomeError("outcome criterion: a name is required")
        if not self.source.strip():
            raise OutcomeError(f"{where}: a source is required")
        get_spec(self.instrument)  # raises UnknownInstrumentError
        conditions = (
            self.min_reduction_fraction,
            self.max_reduction_fraction,
            self.min_reduction_points,
            self.below,
            self.min_increase_points,
        )
        if all(c is None for c in conditions):
            raise OutcomeError(f"{where}: at least one condition must be set")
        for label, frac in (
            ("min_reduction_fraction", self.min_reduction_fraction),
            ("max_reduction_fraction", self.max_reduction_fraction),
        ):
            if frac is not None and not (0.0 < frac <= 1.0):
                raise OutcomeError(f"{where}: {label} {frac} is outside the allowed range (0, 1]")
        for label, pts in (
            ("min_reduction_points", self.min_reduction_points),
            ("min_increase_points", self.min_increase_points),
        ):
            if pts is not None and not (pts > 0 and math.isfinite(pts)):
                raise OutcomeError(f"{where}: {label} {pts} must be a positive number")
        if self.below is not None and not math.isfinite(self.below):
            raise OutcomeError(f"{where}: below {self.below} must be finite")
        if (
            self.min_reduction_fraction is not None
            and self.max_reduction_fraction is not None
            and self.max_reduction_fraction <= self.min_reduction_fraction
        ):
            raise OutcomeError(
                f"{where}: max_reduction_fraction must exceed min_reduction_fraction"
            )

    @property
    def uses_relative_change(self) -> bool:
        """Whether the criterion needs a non-zero baseline.

        Example
        -------
        >>> criteria_for("phq9", ["remission"])[0].uses_relative_change
        False
        """
        return self.min_reduction_fraction is not None or self.max_reduction_fraction is not None

    def evaluate(self, baseline: float, follow_up: float) -> bool | None:
        """Whether ``follow_up`` meets the criterion against ``baseline``; ``None`` if undefined.

        Example
        -------
        >>> criteria_for("phq9", ["partial_response"])[0].evaluate(20, 13)
        True
        """
        for label, v in (("baseline", baseline), ("follow-up", follow_up)):
            if not math.isfinite(v):
                raise OutcomeError(f"outcome criterion {self.name!r}: {label} {v} is not finite")
        reduction = baseline - follow_up
        ok = True
        if self.uses_relative_change:
            if baseline <= 0:
                return None
            fraction = reduction / baseline
            # a tiny tolerance so that 10 -> 5 is exactly a 50 % reduction in floating point
            if self.min_reduction_fraction is not None:
                ok &= fraction >= self.min_reduction_fraction - 1e-12
            if self.max_reduction_fraction is not None:
                ok &= fraction < self.max_reduction_fraction - 1e-12
        if self.min_reduction_points is not None:
            ok &= reduction >= self.min_reduction_points - 1e-12
        if self.below is not None:
            ok &= follow_up < self.below
        if self.min_increase_points is not None:
            ok &= -reduction >= self.min_increase_points - 1e-12
        return bool(ok)

    def describe(self) -> str:
        """A one-line human description.

        Example
        -------
        >>> criteria_for("phq9", ["remission"])[0].describe()
        'phq9 remission: total < 5'
        """
        parts: list[str] = []
        if self.min_reduction_fraction is not None:
            parts.append(f">= {self.min_reduction_fraction:.0%} reduction")
        if self.max_reduction_fraction is not None:
            parts.append(f"< {self.max_reduction_fraction:.0%} reduction")
        if self.min_reduction_points is not None:
            parts.append(f">= {self.min_reduction_points:g}-point reduction")
        if self.below is not None:
            parts.append(f"{self.measure} < {self.below:g}")
        if self.min_increase_points is not None:
            parts.append(f">= {self.min_increase_points:g}-point increase")
        return f"{self.instrument} {self.name}: " + " and ".join(parts)


DEFAULT_CRITERIA: tuple[OutcomeCriterion, ...] = (
    # PHQ-9 (Kroenke, Spitzer, Williams, J Gen Intern Med 2001;16:606)
    OutcomeCriterion("response", "phq9", _ICSI, min_reduction_fraction=0.5),
    OutcomeCriterion("remission", "phq9", _ICSI_REMISSION, below=5),
    OutcomeCriterion(
        "partial_response",
        "phq9",
        _ICSI_PARTIAL,
        min_reduction_fraction=0.25,
        max_reduction_fraction=0.5,
    ),
    OutcomeCriterion(
        "mic",
        "phq9",
        _LOWE_2004,
        min_reduction_points=5,
        note="Derived in an older sample; Kounali 2022 suggests ~20 % for moderate severity.",
    ),
    OutcomeCriterion(
        "deterioration",
        "phq9",
        _LOWE_2004,
        min_increase_points=5,
        evidence="assumption",
        note="Assumption: the 5-point individual-change threshold applied to worsening.",
    ),
    # GAD-7 (Spitzer et al., Arch Intern Med 2006;166:1092)
    OutcomeCriterion(
        "mic",
        "gad7",
        _KOUNALI_2022,
        min_reduction_fraction=0.268,
        note="~26.8 % reduction at moderate baseline severity (threshold -1.5 points).",
    ),
    # Pain NRS (IMMPACT: Dworkin et al., J Pain 2008;9:105)
    OutcomeCriterion(
        "mic",
        "nrs",
        _IMMPACT,
        min_reduction_fraction=0.10,
        note="IMMPACT: 10-20 % decrease minimally important; the lower bound is used.",
    ),
    OutcomeCriterion("response", "nrs", f"{_IMMPACT}; {_FARRAR_2001}", min_reduction_fraction=0.30),
    OutcomeCriterion("substantial_response", "nrs", _IMMPACT, min_reduction_fraction=0.50),
    OutcomeCriterion(
        "moderate_points",
        "nrs",
        _FARRAR_2001,
        min_reduction_points=2,
        note="Larger changes were needed in cohorts and non-drug RCTs (PMC9299931).",
    ),
    # BPI (Cleeland; IMMPACT benchmarks applied)
    OutcomeCriterion(
        "mic_interference", "bpi", _IMMPACT, measure="interference", min_reduction_points=1
    ),
    OutcomeCriterion(
        "response_severity",
        "bpi",
        f"{_IMMPACT}; {_FARRAR_2001}",
        measure="severity",
        min_reduction_fraction=0.30,
        evidence="assumption",
        note="Assumption: the NRS 30 % benchmark applied to the BPI severity composite.",
    ),
    # ISI (Morin et al., Sleep 2011;34:601; Yang et al. 2009)
    OutcomeCriterion("mic", "isi", _YANG_2009, min_reduction_points=6),
    OutcomeCriterion(
        "moderate_improvement",
        "isi",
        f"{_MORIN_2011} (-8.4 points = moderate improvement)",
        min_reduction_points=8.4,
    ),
    OutcomeCriterion(
        "remission",
        "isi",
        f"{_MORIN_2011} (< 8 often used as remission)",
        below=8,
    ),
    # PCS: no confirmed MIC was found - configure one with its source.
)

PHQ9_RESPONSE_BELOW_10 = OutcomeCriterion(
    "response_below_10",
    "phq9",
    "Psychiatr Serv 2011;62:929 (programmes defining response as PHQ-9 < 10)",
    below=10,
)
"""Alternative PHQ-9 response definition used by some programmes (not a default)."""


def criteria_for(
    instrument: str,
    names: Iterable[str] | None = None,
    criteria: Sequence[OutcomeCriterion] = DEFAULT_CRITERIA,
) -> tuple[OutcomeCriterion, ...]:
    """The criteria of ``instrument`` (optionally only ``names``) from ``criteria``.

    Example
    -------
    >>> [c.name for c in criteria_for("phq9")]
    ['response', 'remission', 'partial_response', 'mic', 'deterioration']
    """
    key = get_spec(instrument).name
    chosen = tuple(c for c in criteria if c.instrument == key)
    if names is None:
        return chosen
    wanted = list(names)
    by_name = {c.name: c for c in chosen}
    missing = [n for n in wanted if n not in by_name]
    if missing:
        raise OutcomeError(
            f"{key}: unknown outcome criteria {missing}; defined: {sorted(by_name) or 'none'}"
        )
    return tuple(by_name[n] for n in wanted)


@dataclass(frozen=True)
class CoursePoint:
    """One administration in a course, with change from baseline and previous visit.

    Example
    -------
    >>> from hpatwin.clinic.instruments import score
    >>> p = compare_course([score("nrs", [8]), score("nrs", [4])]).points[1]
    >>> p.value, p.change, p.percent_change, p.met["substantial_response"]
    (4.0, -4.0, -50.0, True)
    """

    index: int
    when: date | datetime | None
    value: float
    values: dict[str, float]
    change: float
    percent_change: float | None
    change_from_previous: float | None
    met: dict[str, bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CourseComparison:
    """Comparison of two or more administrations of one instrument.

    ``first_met`` gives, per criterion, the index of the first follow-up meeting it
    (``None`` if never); ``latest_met`` the criteria met at the last administration.

    Example
    -------
    >>> from hpatwin.clinic.instruments import score
    >>> c = compare_course([score("isi", [3] * 7), score("isi", [2] * 7), score("isi", [1] * 7)])
    >>> c.first_met["mic"], c.first_met["remission"]
    (1, 2)
    """

    instrument: str
    criteria: tuple[OutcomeCriterion, ...]
    points: tuple[CoursePoint, ...]

    @property
    def baseline(self) -> CoursePoint:
        """The first administration.

        Example
        -------
        >>> from hpatwin.clinic.instruments import score
        >>> compare_course([score("nrs", [6]), score("nrs", [5])]).baseline.value
        6.0
        """
        return self.points[0]

    @property
    def first_met(self) -> dict[str, int | None]:
        """Index of the first follow-up meeting each criterion (``None`` if never).

        Example
        -------
        >>> from hpatwin.clinic.instruments import score
        >>> compare_course([score("nrs", [6]), score("nrs", [6])]).first_met["response"] is None
        True
        """
        out: dict[str, int | None] = {}
        for c in self.criteria:
            out[c.name] = next((p.index for p in self.points[1:] if p.met.get(c.name)), None)
        return out

    @property
    def latest_met(self) -> dict[str, bool | None]:
        """Criteria met at the last administration.

        Example
        -------
        >>> from hpatwin.clinic.instruments import score
        >>> compare_course([score("nrs", [6]), score("nrs", [3])]).latest_met["response"]
        True
        """
        return dict(self.points[-1].met)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary.

        Example
        -------
        >>> from hpatwin.clinic.instruments import score
        >>> d = compare_course([score("nrs", [6]), score("nrs", [3])]).to_dict()
        >>> d["points"][1]["percent_change"]
        -50.0
        """
        return {
            "instrument": self.instrument,
            "criteria": [
                {
                    "name": c.name,
                    "measure": c.measure,
                    "definition": c.describe(),
                    "source": c.source,
                    "evidence": c.evidence,
                    "note": c.note,
                }
                for c in self.criteria
            ],
            "points": [
                {
                    "index": p.index,
                    "when": p.when.isoformat() if p.when is not None else None,
                    "value": p.value,
                    "values": dict(p.values),
                    "change": p.change,
                    "percent_change": p.percent_change,
                    "change_from_previous": p.change_from_previous,
                    "met": dict(p.met),
                }
                for p in self.points
            ],
            "first_met": self.first_met,
        }


def _measure_values(result: InstrumentResult) -> dict[str, float]:
    values = {"total": float(result.total)}
    values.update({k: float(v) for k, v in result.subscales.items()})
    return values


def _sort_key(when: date | datetime) -> datetime:
    if isinstance(when, datetime):
        return when if when.tzinfo is None else when.astimezone(UTC).replace(tzinfo=None)
    return datetime(when.year, when.month, when.day)


def compare_course(
    administrations: Sequence[InstrumentResult | tuple[date | datetime | None, InstrumentResult]],
    criteria: Sequence[OutcomeCriterion] | None = None,
) -> CourseComparison:
    """Compare two or more administrations of one instrument against outcome criteria.

    ``administrations`` are results, or ``(when, result)`` pairs; with times given they
    are put in chronological order (the first is the baseline). ``criteria`` default to
    :data:`DEFAULT_CRITERIA` for the instrument; pass your own to use another definition.

    Example
    -------
    >>> from datetime import date
    >>> from hpatwin.clinic.instruments import score
    >>> course = compare_course(
    ...     [(date(2024, 3, 1), score("phq9", [2] * 9)),
    ...      (date(2024, 1, 5), score("phq9", [3] * 9))],
    ...     criteria=[PHQ9_RESPONSE_BELOW_10],
    ... )
    >>> [p.value for p in course.points], course.points[1].met
    ([27.0, 18.0], {'response_below_10': False})
    """
    if isinstance(administrations, (str, bytes)) or not isinstance(administrations, Sequence):
        raise OutcomeError("course: administrations must be a sequence of results")
    if len(administrations) < 2:
        raise OutcomeError(
            f"course: at least 2 administrations are needed, got {len(administrations)}"
        )
    pairs: list[tuple[date | datetime | None, InstrumentResult]] = []
    for i, item in enumerate(administrations):
        if isinstance(item, InstrumentResult):
            pairs.append((None, item))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], InstrumentResult):
            when = item[0]
            if when is not None and not isinstance(when, date):
                raise OutcomeError(f"course administration {i}: time {when!r} is not a date")
            pairs.append((when, item[1]))
        else:
            raise OutcomeError(
                f"course administration {i}: expected an InstrumentResult or (when, result)"
            )
    instruments = {r.instrument for _, r in pairs}
    if len(instruments) != 1:
        raise OutcomeError(f"course: administrations mix instruments {sorted(instruments)}")
    instrument = pairs[0][1].instrument
    times = [w for w, _ in pairs]
    if any(t is not None for t in times):
        if any(t is None for t in times):
            raise OutcomeError("course: either every administration has a time or none has")
        kinds = {isinstance(t, datetime) and t.tzinfo is not None for t in times}
        if len(kinds) > 1:
            raise OutcomeError("course: times mix time-zone-aware and naive values")
        pairs.sort(key=lambda p: _sort_key(p[0]))  # type: ignore[arg-type]
    chosen = tuple(criteria) if criteria is not None else criteria_for(instrument)
    for c in chosen:
        if c.instrument != instrument:
            raise OutcomeError(
                f"course: criterion {c.name!r} is for {c.instrument}, not {instrument}"
            )
    base_values = _measure_values(pairs[0][1])
    for c in chosen:
        if c.measure not in base_values:
            raise OutcomeError(
                f"course: criterion {c.name!r} uses measure {c.measure!r}; "
                f"{instrument} has {sorted(base_values)}"
            )
    points: list[CoursePoint] = []
    previous: float | None = None
    baseline_total = base_values["total"]
    for index, (when, result) in enumerate(pairs):
        values = _measure_values(result)
        total = values["total"]
        met: dict[str, bool | None] = {}
        if index > 0:
            for c in chosen:
                met[c.name] = c.evaluate(base_values[c.measure], values[c.measure])
        points.append(
            CoursePoint(
                index=index,
                when=when,
                value=total,
                values=values,
                change=total - baseline_total,
                percent_change=(
                    (total - baseline_total) / baseline_total * 100.0 if baseline_total else None
                ),
                change_from_previous=None if previous is None else total - previous,
                met=met,
            )
        )
        previous = total
    return CourseComparison(instrument=instrument, criteria=chosen, points=tuple(points))


def criteria_table(
    criteria: Sequence[OutcomeCriterion] = DEFAULT_CRITERIA,
) -> list[Mapping[str, str]]:
    """Rows describing criteria (name, definition, source, evidence) for display.

    Example
    -------
    >>> criteria_table()[0]["definition"]
    'phq9 response: >= 50% reduction'
    """
    return [
        {
            "instrument": c.instrument,
            "name": c.name,
            "definition": c.describe(),
            "source": c.source,
            "evidence": c.evidence,
            "note": c.note,
        }
        for c in criteria
    ]
