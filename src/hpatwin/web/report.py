"""The patient report: a one-page clinician summary and a plain-language patient summary.

:func:`build_report` reads a stored record into a :class:`ReportData` (every figure the
report shows, computed by the same functions as the patient page: stored scores and
severity bands, courses and review flags from :mod:`hpatwin.records.tracking`, the
charts of :func:`hpatwin.web.views.charts`). The report is a list of sections: each
builder in :data:`CLINICIAN_SECTIONS` and :data:`PATIENT_SECTIONS` gets the data and returns
a :class:`ReportSection`, or ``None`` to leave its section out, so a new section is one
more builder in a list. The HTML page and the PDF are rendered from the same sections.

The patient summary explains and never prescribes: its sentences are generated from the
same data, say what each measure is, state the uncertainty and close with "discuss with
your clinician".

Example
-------
>>> from datetime import datetime, UTC
>>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
>>> from hpatwin.records.store import RecordStore
>>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
>>> for day, items in ((1, (2,) * 8 + (0,)), (29, (1,) * 4 + (0,) * 5)):
...     _ = store.add_assessment("p1", AssessmentEntry(
...         "phq9", datetime(2024, 1, day, tzinfo=UTC), items), actor="dr_a")
>>> report = build_report(store.load("p1"), datetime(2024, 2, 1, tzinfo=UTC), charts={})
>>> [(s.instrument, s.total, s.band) for s in report.scores]
[('phq9', 4.0, 'minimal')]
>>> report.courses[0].status
'remission'
>>> [s.key for s in clinician_sections(report)][:3]
['scores', 'course', 'treatment']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hpatwin.clinic.cortisol import MAYO_LCMS_REFERENCE, convert_cortisol
from hpatwin.clinic.instruments import get_spec
from hpatwin.clinic.planner import Plan
from hpatwin.records.entries import PatientRecord
from hpatwin.records.tracking import courses, review_flags
from hpatwin.web.forecast import StoredForecast, summary_rows

__all__ = [
    "CLINICIAN_SECTIONS",
    "LABELS",
    "PATIENT_SECTIONS",
    "AlertLine",
    "BiomarkerLine",
    "CourseLine",
    "PlanSummary",
    "ReportData",
    "ReportSection",
    "ScoreLine",
    "build_report",
    "clinician_sections",
    "patient_sections",
]

MAX_LINES = 6
"""At most this many medications, alerts or plan alerts are listed on the clinician page (the
rest are counted), so the summary stays on one A4 page."""

# What each measure is, in plain words (explanations, not results).
_PLAIN_NAMES = {
    "phq9": ("Mood questionnaire (PHQ-9)",
             "It asks nine questions about low mood, loss of interest, sleep, energy and similar "
             "problems over the last two weeks. Higher numbers mean more of these problems."),
    "gad7": ("Anxiety questionnaire (GAD-7)",
             "It asks seven questions about worry and nervousness over the last two weeks. "
             "Higher numbers mean more worry."),
    "nrs": ("Pain rating",
            "It is your own rating of your pain from 0 (no pain) to 10 (the worst pain you can "
            "imagine)."),
    "bpi": ("Pain questionnaire (Brief Pain Inventory)",
            "It asks how strong your pain is, from 0 to 10. Higher numbers mean stronger pain."),
    "pcs": ("Pain-thoughts questionnaire (Pain Catastrophizing Scale)",
            "It asks how much pain fills your thoughts and how helpless it makes you feel. "
            "Higher numbers mean pain weighs more on your mind."),
    "isi": ("Sleep questionnaire (Insomnia Severity Index)",
            "It asks seven questions about trouble sleeping over the last two weeks. Higher "
            "numbers mean more trouble sleeping."),
}
LABELS = {"phq9": "PHQ-9", "gad7": "GAD-7", "nrs": "Pain NRS", "bpi": "BPI severity",
          "pcs": "PCS", "isi": "ISI"}
"""Short instrument labels for the clinician page."""
_STATUS_ORDER = ("remission", "substantial_response", "response", "partial_response")


@dataclass(frozen=True)
class ScoreLine:
    """The latest administration of one instrument: total, band (as stored) and date."""

    instrument: str
    title: str
    total: float
    max_total: float
    band: str | None
    when: datetime


@dataclass(frozen=True)
class CourseLine:
    """Change from baseline for one instrument, with the criteria met at the latest visit.

    ``status`` is the strongest criterion met now (``remission`` before ``response`` before
    ``partial_response``), ``"no response yet"``, or ``"worse"`` (deterioration).
    """

    instrument: str
    baseline: float
    latest: float
    change: float
    percent_change: float | None
    administrations: int
    status: str
    met: Mapping[str, bool | None]
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class AlertLine:
    """A stored safety alert (open or acknowledged)."""

    code: str
    level: str
    message: str
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    action: str | None


@dataclass(frozen=True)
class BiomarkerLine:
    """A latest biomarker value with its unit and, where one applies, the chart's reference."""

    label: str
    value: float
    unit: str
    when: datetime
    detail: str
    reference: str
    position: str  # "within", "above", "below" the reference, or "" when none applies


@dataclass(frozen=True)
class PlanSummary:
    """The latest stored plan in a few lines, with its graded safety alerts."""

    planned_at: datetime
    kb_version: str
    readable: bool
    dominance: str = ""
    frequency: str = ""
    role: str = ""
    sessions: str = ""
    review_session: int | None = None
    alerts: tuple[tuple[str, str, str], ...] = ()  # (level, title, code), most severe first


@dataclass(frozen=True)
class ReportData:
    """Every figure the report shows, from one stored record."""

    pseudonym: str
    generated_at: datetime
    birth_year: int | None
    sex: str
    scores: tuple[ScoreLine, ...]
    courses: tuple[CourseLine, ...]
    sessions: int
    first_session: datetime | None
    last_session: datetime | None
    modalities: tuple[str, ...]
    adverse_events: int
    medications: tuple[str, ...]
    open_alerts: tuple[AlertLine, ...]
    acknowledged_alerts: tuple[AlertLine, ...]
    review: tuple[str, ...]
    plan: PlanSummary | None
    biomarkers: tuple[BiomarkerLine, ...]
    charts: Mapping[str, str] = field(default_factory=dict)
    forecast: StoredForecast | None = None


@dataclass(frozen=True)
class ReportSection:
    """One section: ``key`` names its macro in ``templates/report_sections.html``.

    ``values`` carries what the macro shows beyond :class:`ReportData` (the patient
    summary's sentences). ``own_page``: printed on a page of its own after the one-page
    clinician summary (the forecast), so the summary stays one page.
    """

    key: str
    title: str
    values: Mapping[str, Any] = field(default_factory=dict)
    own_page: bool = False


SectionBuilder = Callable[[ReportData], ReportSection | None]


def _score_lines(record: PatientRecord) -> tuple[ScoreLine, ...]:
    latest: dict[str, ScoreLine] = {}
    for a in record.assessments:  # oldest first: the last one wins
        spec = get_spec(a.entry.entry.instrument)
        latest[spec.name] = ScoreLine(spec.name, spec.title, a.entry.total, spec.max_total,
                                      a.entry.severity, a.entry.entry.administered_at)
    order = {"phq9": 0, "nrs": 1, "gad7": 2, "bpi": 3, "pcs": 4, "isi": 5}
    return tuple(sorted(latest.values(), key=lambda s: order.get(s.instrument, 9)))


def _status(met: Mapping[str, bool | None]) -> str:
    for name in _STATUS_ORDER:
        if met.get(name):
            return name
    return "worse" if met.get("deterioration") else "no response yet"


def _course_lines(record: PatientRecord) -> tuple[CourseLine, ...]:
    out = []
    for instrument, course in courses(record).items():
        last = course.points[-1]
        out.append(CourseLine(
            instrument, course.baseline.value, last.value, last.change, last.percent_change,
            len(course.points), _status(course.latest_met), dict(course.latest_met),
            tuple(c.name for c in course.criteria),
        ))
    order = {"phq9": 0, "nrs": 1}
    return tuple(sorted(out, key=lambda c: (order.get(c.instrument, 9), c.instrument)))


def _alert_line(alert: Any) -> AlertLine:
    e = alert.entry
    return AlertLine(e.code, e.level, e.message, e.raised_at, e.acknowledged_by,
                     e.acknowledged_at, e.acknowledgement_action)


def _current_medications(record: PatientRecord, today: date) -> tuple[str, ...]:
    return tuple(
        f"{m.entry.drug} {m.entry.dose:g} {m.entry.dose_unit} {m.entry.frequency} "
        f"(since {m.entry.started_on})"
        for m in record.medications
        if m.entry.stopped_on is None or m.entry.stopped_on >= today
    )


def _plan_summary(record: PatientRecord) -> PlanSummary | None:
    if not record.plans:
        return None
    stored = record.plans[-1].entry
    try:
        plan = Plan.model_validate(stored.plan)
    except ValueError:  # stored by an older planner that no longer validates
        return PlanSummary(stored.planned_at, stored.kb_version, readable=False)
    low, high = plan.schedule.sessions_range
    return PlanSummary(
        stored.planned_at, stored.kb_version, readable=True,
        dominance=plan.dominance.category,
        frequency=plan.frequency.frequency or "none",
        role=plan.role.role,
        sessions=f"{low}-{high} sessions",
        review_session=plan.schedule.review_session,
        alerts=tuple((a.level.value, a.title, a.code) for a in plan.alerts),
    )


def _position(value: float, low: float | None, high: float) -> str:
    if value > high:
        return "above"
    if low is not None and value < low:
        return "below"
    return "within"


def _biomarkers(record: PatientRecord) -> tuple[BiomarkerLine, ...]:
    out: list[BiomarkerLine] = []
    morning, late = MAYO_LCMS_REFERENCE["morning"], MAYO_LCMS_REFERENCE["late_night"]
    for label, window in (("cortisol, morning", morning), ("cortisol, late night", late)):
        samples = [c.entry for c in record.cortisol if window.contains(c.entry.collected_at.time())]
        if not samples:
            continue
        s = samples[-1]
        nmol = convert_cortisol(s.value, s.unit, "nmol/L")
        low = f"{window.low_nmol_l:.1f}-" if window.low_nmol_l is not None else "< "
        out.append(BiomarkerLine(
            label, s.value, s.unit, s.collected_at,
            s.assay if s.unit == "nmol/L" else f"{nmol:.1f} nmol/L; {s.assay}",
            f"{low}{window.high_nmol_l:.1f} nmol/L ({window.start:%H:%M}-"
            f"{'24:00' if window.end.hour == 0 else f'{window.end:%H:%M}'}, {window.assay})",
            _position(nmol, window.low_nmol_l, window.high_nmol_l),
        ))
    rmssd = [h.entry for h in record.hrv if h.entry.rmssd_ms is not None]
    if rmssd:
        h = rmssd[-1]
        assert h.rmssd_ms is not None
        source = "from RR intervals" if h.rr_ms is not None else "as recorded"
        out.append(BiomarkerLine("HRV (RMSSD)", h.rmssd_ms, "ms", h.recorded_at, source,
                                 "no reference band (norms depend on age and recording)", ""))
    return tuple(out)


def build_report(
    record: PatientRecord, now: datetime, *, charts: Mapping[str, str],
    forecast: StoredForecast | None = None,
) -> ReportData:
    """The report's figures from a stored record (``charts``: the page's inline SVGs;
    ``forecast``: the patient's latest stored twin forecast, if any).

    Example
    -------
    >>> from datetime import UTC
    >>> from hpatwin.records.entries import PatientEntry
    >>> from hpatwin.records.store import RecordStore
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p9"), actor="dr")
    >>> data = build_report(store.load("p9"), datetime(2024, 1, 1, tzinfo=UTC), charts={})
    >>> data.pseudonym, data.sessions, data.plan
    ('p9', 0, None)
    """
    sessions = record.sessions
    patient = record.patient.entry
    return ReportData(
        pseudonym=patient.pseudonym,
        generated_at=now,
        birth_year=patient.birth_year,
        sex=patient.sex,
        scores=_score_lines(record),
        courses=_course_lines(record),
        sessions=len(sessions),
        first_session=sessions[0].entry.started_at if sessions else None,
        last_session=sessions[-1].entry.started_at if sessions else None,
        modalities=tuple(sorted({s.entry.modality for s in sessions})),
        adverse_events=sum(len(s.entry.adverse_events) for s in sessions),
        medications=_current_medications(record, now.date()),
        open_alerts=tuple(_alert_line(a) for a in record.alerts if a.entry.open),
        acknowledged_alerts=tuple(_alert_line(a) for a in record.alerts if not a.entry.open),
        review=tuple(f.message() for f in review_flags(record)),
        plan=_plan_summary(record),
        biomarkers=_biomarkers(record),
        charts=dict(charts),
        forecast=forecast,
    )


# --------------------------------------------------------------------------------------
# Clinician summary: one A4 page
# --------------------------------------------------------------------------------------
def _scores_section(data: ReportData) -> ReportSection:
    return ReportSection("scores", "Current severity")


def _course_section(data: ReportData) -> ReportSection:
    return ReportSection("course", "Course since baseline")


def _treatment_section(data: ReportData) -> ReportSection:
    return ReportSection("treatment", "Treatment delivered and medications",
                         {"medications": data.medications[:MAX_LINES],
                          "more_medications": max(0, len(data.medications) - MAX_LINES)})


def _alerts_section(data: ReportData) -> ReportSection:
    return ReportSection("alerts", "Safety alerts",
                         {"acknowledged": data.acknowledged_alerts[-MAX_LINES:],
                          "more_acknowledged": max(0, len(data.acknowledged_alerts) - MAX_LINES)})


def _plan_section(data: ReportData) -> ReportSection:
    alerts = data.plan.alerts if data.plan else ()
    return ReportSection("plan", "Latest plan",
                         {"alerts": alerts[:MAX_LINES], "more_alerts": max(0, len(alerts) - MAX_LINES)})


def _biomarkers_section(data: ReportData) -> ReportSection:
    return ReportSection("biomarkers", "Biomarkers (latest)")


def _charts_section(data: ReportData) -> ReportSection | None:
    return ReportSection("charts", "Charts") if data.charts else None


def _forecast_section(data: ReportData) -> ReportSection | None:
    if data.forecast is None:
        return None
    return ReportSection("forecast", "Patient-twin forecast",
                         {"rows": summary_rows(data.forecast)}, own_page=True)


CLINICIAN_SECTIONS: list[SectionBuilder] = [
    _scores_section,
    _course_section,
    _treatment_section,
    _alerts_section,
    _plan_section,
    _biomarkers_section,
    # FORECAST: the patient twin's latest stored forecast (probabilities, the PHQ-9 fan
    # chart, the prior-based label); left out when none is stored. Printed on its own page
    # after the one-page summary.
    _forecast_section,
    _charts_section,
]
"""The clinician page's section builders, in order (a builder returning ``None`` is skipped)."""


# --------------------------------------------------------------------------------------
# Patient summary: plain language, explains, never prescribes
# --------------------------------------------------------------------------------------
_UNIT_WORDS = {"nmol/L": "nanomoles per litre", "µg/dL": "micrograms per decilitre",
               "ng/dL": "nanograms per decilitre", "ng/mL": "nanograms per millilitre"}


def _number(value: float) -> str:
    return f"{value:g}"


def _score_sentences(data: ReportData) -> list[tuple[str, str]]:
    """(heading, paragraph) per measure the patient has answered."""
    by_instrument = {c.instrument: c for c in data.courses}
    out = []
    for s in data.scores:
        name, what = _PLAIN_NAMES.get(s.instrument, (s.title, ""))
        text = (f"{what} Your most recent result, on {s.when:%d %B %Y}, was "
                f"{_number(s.total)} out of {_number(s.max_total)}").lstrip()
        text += f", which falls in the range called \u201c{s.band}\u201d." if s.band else "."
        course = by_instrument.get(s.instrument)
        if course is not None:
            if course.change < 0:
                direction = f"lower by {_number(-course.change)}"
            elif course.change > 0:
                direction = f"higher by {_number(course.change)}"
            else:
                direction = "the same"
            text += (f" Your first result was {_number(course.baseline)}, so it is now "
                     f"{direction} (you have answered it {course.administrations} times).")
            text += " " + _status_sentence(course)
        out.append((name, text))
    return out


def _status_sentence(course: CourseLine) -> str:
    if course.status == "remission":
        return ("Your latest result is below the level clinicians call \u201cremission\u201d, "
                "meaning few symptoms remain at the moment.")
    if course.status in ("response", "substantial_response"):
        return ("The drop is large enough for clinicians to call it a \u201cresponse\u201d "
                "(a clear improvement since the start).")
    if course.status == "partial_response":
        return ("The drop is a partial improvement: clinicians look for a larger drop before "
                "calling it a \u201cresponse\u201d.")
    if course.status == "worse":
        return "It has gone up by enough that your clinician will want to talk it through."
    return "It has not changed by as much as clinicians look for to call it a clear improvement."


def _biomarker_sentences(data: ReportData) -> list[str]:
    out = []
    for b in data.biomarkers:
        if b.label.startswith("cortisol"):
            when = "morning" if "morning" in b.label else "late-night"
            where = {"within": "inside", "above": "above", "below": "below"}[b.position]
            out.append(
                f"Your latest {when} saliva test for cortisol (a hormone the body makes, more of "
                f"it under stress) was {_number(b.value)} {b.unit} ({_UNIT_WORDS.get(b.unit, b.unit)}), "
                f"{where} the usual range "
                f"for that time of day with the laboratory method we compare against."
            )
        else:
            out.append(
                f"Your latest heart-rate variability (how much the time between heartbeats "
                f"varies, which tends to be higher when the body is relaxed) was "
                f"{_number(round(b.value, 1))} {b.unit} (milliseconds). There is no single "
                f"normal value: it "
                f"depends on age and on how it was measured."
            )
    if any(b.label.startswith("cortisol") for b in data.biomarkers):
        out.append("One saliva sample can be affected by the time it was taken, sleep, illness "
                   "or the laboratory, so it is read together with your other results.")
    return out


def _patient_summary_section(data: ReportData) -> ReportSection:
    sessions = (
        f"You have had {data.sessions} treatment session{'s' if data.sessions != 1 else ''} "
        f"recorded so far." if data.sessions else "No treatment sessions are recorded yet."
    )
    safety = (
        "One of your recent answers means your clinician will check in with you about how safe "
        "you feel. If you ever feel you might act on thoughts of harming yourself, contact your "
        "local emergency number or go to an emergency department straight away."
        if data.open_alerts else ""
    )
    return ReportSection("patient_summary", "Your summary", {
        "scores": _score_sentences(data),
        "forecast": list(data.forecast.plain_language) if data.forecast else [],
        "sessions": sessions,
        "biomarkers": _biomarker_sentences(data),
        "safety": safety,
        "uncertainty": (
            "These numbers come from questionnaires and tests. They go up and down from week "
            "to week for many reasons, so one result on its own says little; the pattern over "
            "several visits says more. They do not make a diagnosis on their own."
        ),
        "discuss": (
            "This summary explains your results; it does not recommend or change any "
            "treatment. Please discuss it with your clinician, who knows your whole situation, "
            "before making any decision about your care."
        ),
    })


PATIENT_SECTIONS: list[SectionBuilder] = [_patient_summary_section]
"""The patient summary's section builders, in order."""


def _built(builders: list[SectionBuilder], data: ReportData) -> list[ReportSection]:
    return [s for s in (build(data) for build in builders) if s is not None]


def clinician_sections(data: ReportData) -> list[ReportSection]:
    """The clinician page's sections (builders returning ``None`` left out; sections with
    ``own_page`` are printed after the one-page summary)."""
    return _built(CLINICIAN_SECTIONS, data)


def patient_sections(data: ReportData) -> list[ReportSection]:
    """The patient summary's sections."""
    return _built(PATIENT_SECTIONS, data)
