"""Tracking a patient's course: response, remission and MCID per instrument, the session-6 review flag, a timeline.

Courses use the shared criteria of :mod:`hpatwin.clinic.outcomes` (the same as
``hpatwin score --course``), one course per instrument, in time order, the first
administration being the baseline.

The session-6 review flag follows the planner knowledge base (``schedule.yaml``, rule
``schedule-review-at-session-6``): once six sessions are recorded, a PHQ-9 or pain-NRS
course whose latest administration does not meet its ``response`` criterion is flagged
for review. The reference marks "response within 4-6 sessions" as UNCONFIRMED, so the
flag asks for a review; it does not call the treatment a failure.

Example
-------
>>> from datetime import datetime, timedelta, UTC
>>> from hpatwin.records.entries import AssessmentEntry, PatientEntry, SessionEntry
>>> from hpatwin.records.store import RecordStore
>>> store = RecordStore("sqlite://"); _ = store.init()
>>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
>>> t0 = datetime(2024, 3, 1, 9, tzinfo=UTC)
>>> with store.writing("dr_a") as w:
...     for week in range(6):
...         _ = w.add_session("p1", SessionEntry(t0 + timedelta(days=7 * week), 30, "manual"))
...     _ = w.add_assessment("p1", AssessmentEntry("phq9", t0, (2,) * 8 + (0,)))
...     _ = w.add_assessment("p1", AssessmentEntry("phq9", t0 + timedelta(days=36), (2,) * 7 + (1, 0)))
>>> record = store.load("p1")
>>> courses(record)["phq9"].latest_met["response"], review_flags(record)[0].instrument
(False, 'phq9')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hpatwin.clinic.outcomes import CourseComparison, compare_course
from hpatwin.records.entries import PatientRecord, normalise_assessment

__all__ = [
    "REVIEW_RULE_ID",
    "REVIEW_SESSION",
    "ReviewFlag",
    "TimelineEvent",
    "courses",
    "review_flags",
    "timeline",
]

REVIEW_SESSION = 6
"""Session of the planned review (planner KB ``schedule.review_session``)."""
REVIEW_RULE_ID = "schedule-review-at-session-6"
REVIEWED_INSTRUMENTS = ("phq9", "nrs")


@dataclass(frozen=True)
class ReviewFlag:
    """ "No response by session 6" for one instrument.

    Example
    -------
    >>> ReviewFlag("nrs", 6, -10.0).message()
    'nrs: no response by session 6 (change -10% from baseline); review the plan (schedule-review-at-session-6)'
    """

    instrument: str
    sessions: int
    percent_change: float | None

    def message(self) -> str:
        """One line for people (no patient data).

        Example
        -------
        >>> "session 6" in ReviewFlag("phq9", 7, None).message()
        True
        """
        change = (
            ""
            if self.percent_change is None
            else f" (change {self.percent_change:+.0f}% from baseline)"
        )
        return (
            f"{self.instrument}: no response by session {REVIEW_SESSION}{change}; "
            f"review the plan ({REVIEW_RULE_ID})"
        )


def courses(record: PatientRecord) -> dict[str, CourseComparison]:
    """One course per instrument with at least two administrations, in time order.

    Example
    -------
    >>> from datetime import datetime, UTC
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> from hpatwin.records.store import RecordStore
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> for day, pain in ((1, 8), (20, 4)):
    ...     _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, day, tzinfo=UTC), (pain,)), actor="dr_a")
    >>> courses(store.load("p1"))["nrs"].latest_met["response"]
    True
    """
    by_instrument: dict[str, list[tuple[datetime, object]]] = {}
    for stored in record.assessments:
        entry, result = normalise_assessment(stored.entry.entry)
        by_instrument.setdefault(entry.instrument, []).append((entry.administered_at, result))
    out: dict[str, CourseComparison] = {}
    for instrument, pairs in by_instrument.items():
        if len(pairs) >= 2:
            out[instrument] = compare_course(pairs)  # type: ignore[arg-type]
    return out


def review_flags(record: PatientRecord) -> list[ReviewFlag]:
    """Flags for PHQ-9 and pain NRS courses without response once six sessions are recorded.

    Example
    -------
    >>> from datetime import datetime, UTC
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> from hpatwin.records.store import RecordStore
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> for day, pain in ((1, 8), (20, 4)):
    ...     _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, day, tzinfo=UTC), (pain,)), actor="dr_a")
    >>> review_flags(store.load("p1"))  # fewer than six sessions: no review yet
    []
    """
    n_sessions = len(record.sessions)
    if n_sessions < REVIEW_SESSION:
        return []
    flags: list[ReviewFlag] = []
    for instrument, course in courses(record).items():
        if instrument not in REVIEWED_INSTRUMENTS:
            continue
        if not course.latest_met.get("response"):
            flags.append(ReviewFlag(instrument, n_sessions, course.points[-1].percent_change))
    return flags


@dataclass(frozen=True)
class TimelineEvent:
    """One dated event of a record, for display.

    Example
    -------
    >>> from datetime import UTC
    >>> TimelineEvent(datetime(2024, 1, 1, tzinfo=UTC), "note", "note #1").line()
    '2024-01-01 00:00  note        note #1'
    """

    when: datetime
    kind: str
    summary: str

    def line(self) -> str:
        """``YYYY-MM-DD HH:MM  kind  summary``.

        Example
        -------
        >>> from datetime import UTC
        >>> TimelineEvent(datetime(2024, 1, 1, 8, tzinfo=UTC), "hrv", "RMSSD 30.0 ms").line()
        '2024-01-01 08:00  hrv         RMSSD 30.0 ms'
        """
        return f"{self.when:%Y-%m-%d %H:%M}  {self.kind:<10}  {self.summary}"


def _session_summary(index: int, record: PatientRecord) -> str:
    s = record.sessions[index].entry
    parts = [f"session {index + 1}: {s.modality}, {s.duration_min:g} min"]
    if s.points:
        parts.append("points " + " ".join(s.points))
    if s.frequency_hz:
        parts.append(f"{s.frequency_hz} Hz, {s.intensity_ma:g} mA")
    parts += [f"adverse event ({e.severity})" for e in s.adverse_events]
    return "; ".join(parts)


def timeline(record: PatientRecord) -> list[TimelineEvent]:
    """Every dated event (sessions, assessments, biomarkers, medications, plans, notes, alerts).

    Example
    -------
    >>> from datetime import datetime, UTC
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> from hpatwin.records.store import RecordStore
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> for day, pain in ((1, 8), (20, 4)):
    ...     _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, day, tzinfo=UTC), (pain,)), actor="dr_a")
    >>> [e.line() for e in timeline(store.load("p1"))][0]
    '2024-01-01 00:00  assessment  nrs total 8'
    """
    from_midnight = datetime.min.time()
    events = [
        TimelineEvent(s.entry.started_at, "session", _session_summary(i, record))
        for i, s in enumerate(record.sessions)
    ]
    for a in record.assessments:
        severity = f" ({a.entry.severity})" if a.entry.severity else ""
        events.append(
            TimelineEvent(
                a.entry.entry.administered_at,
                "assessment",
                f"{a.entry.entry.instrument} total {a.entry.total:g}{severity}",
            )
        )
    for c in record.cortisol:
        label = f" [{c.entry.label}]" if c.entry.label else ""
        events.append(
            TimelineEvent(
                c.entry.collected_at,
                "cortisol",
                f"{c.entry.value:g} {c.entry.unit} ({c.entry.assay}){label}",
            )
        )
    for h in record.hrv:
        source = "RR series" if h.entry.rr_ms is not None else "summary"
        events.append(
            TimelineEvent(h.entry.recorded_at, "hrv", f"RMSSD {h.entry.rmssd_ms:.1f} ms ({source})")
        )
    for m in record.medications:
        start = datetime.combine(
            m.entry.started_on, from_midnight, tzinfo=record.patient.created_at.tzinfo
        )
        stop = f" until {m.entry.stopped_on}" if m.entry.stopped_on else ""
        events.append(
            TimelineEvent(
                start,
                "medication",
                f"{m.entry.drug} {m.entry.dose:g} {m.entry.dose_unit} {m.entry.frequency}{stop}",
            )
        )
    for p in record.plans:
        events.append(
            TimelineEvent(
                p.entry.planned_at,
                "plan",
                f"plan (KB {p.entry.kb_version}), {len(p.entry.alert_codes)} alert(s)",
            )
        )
    for n in record.notes:
        events.append(TimelineEvent(n.entry.written_at, "note", f"note #{n.id}"))
    for al in record.alerts:
        state = "OPEN" if al.entry.open else f"acknowledged by {al.entry.acknowledged_by}"
        events.append(
            TimelineEvent(
                al.entry.raised_at, "alert", f"#{al.id} {al.entry.level}: {al.entry.code} - {state}"
            )
        )
    return sorted(events, key=lambda e: (e.when, e.kind))
