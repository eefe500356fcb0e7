"""Typed, frozen values of the patient record: what callers write and what they read back.

An *entry* is what a caller supplies (e.g. :class:`SessionEntry`); :func:`normalise`
functions validate it (ranges, units, catalogue codes, no future times) and return a
canonical copy, raising :class:`hpatwin.errors.InputError` naming the field and the
allowed range. What the store returns wraps an entry in :class:`Stored` (id, version,
who and when). :class:`PatientRecord` is the full record of one patient.

Times are timezone-aware UTC on the way out; naive times coming in are taken as UTC.

Example
-------
>>> from datetime import datetime
>>> entry = normalise_session(SessionEntry(datetime(2024, 3, 1, 9), 30, "ea",
...     points=("li4", "LR3"), electrode_pairs=(("LI4", "LR3"),), frequency_hz="2/100",
...     intensity_ma=3))
>>> entry.points, entry.frequency_hz, entry.started_at.isoformat()
(('LI4', 'LR3'), '2/100', '2024-03-01T09:00:00+00:00')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any, Generic, TypeVar

from hpatwin.clinic.autonomic import AutonomicError, VitalSigns
from hpatwin.clinic.cortisol import CortisolError
from hpatwin.clinic.cortisol import CortisolSample as ClinicCortisolSample
from hpatwin.clinic.hrv import HrvError, hrv_time_domain
from hpatwin.clinic.instruments import InstrumentError, InstrumentResult, get_spec, score
from hpatwin.errors import InputError
from hpatwin.records.catalogues import known_drug, known_point
from hpatwin.records.validation import (
    BIRTH_YEAR_MIN,
    CREATININE_CLEARANCE_ML_MIN,
    DOSE,
    DOSE_UNITS,
    DURATION_MIN,
    HEPATIC_FUNCTION,
    HRV_MS,
    INTENSITY_MA,
    MEDICATION_FREQUENCIES,
    MODALITIES,
    RMSSD_MS,
    SEVERITIES,
    SEXES,
    Range,
    check_choice,
    check_range,
    check_text,
    not_in_future,
    parse_session_frequency,
    utc,
)

__all__ = [
    "ASSAYS",
    "CORTISOL_NMOL_L",
    "PSEUDONYM_PATTERN",
    "SCORING_VERSION",
    "AdverseEvent",
    "AlertEntry",
    "AssessmentEntry",
    "CortisolEntry",
    "EpisodeEntry",
    "HrvEntry",
    "MedicationEntry",
    "NoteEntry",
    "PatientEntry",
    "PatientRecord",
    "PlanEntry",
    "ScoredAssessment",
    "SessionEntry",
    "Stored",
    "VitalsEntry",
    "check_pseudonym",
    "normalise_assessment",
    "normalise_cortisol",
    "normalise_episode",
    "normalise_hrv",
    "normalise_medication",
    "normalise_note",
    "normalise_patient",
    "normalise_session",
    "normalise_vitals",
    "score_assessment",
]

try:
    _HPATWIN_VERSION = package_version("hpatwin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree only
    _HPATWIN_VERSION = "unknown"

SCORING_VERSION = f"instruments-1/hpatwin-{_HPATWIN_VERSION}"
"""Stored with every assessment: which scoring code produced its total and severity."""

PSEUDONYM_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""Pseudonymous ids: letters, digits, ``_ . -``; 1-64 characters (no names, no spaces)."""

ASSAYS = ("LC-MS/MS", "immunoassay", "ECLIA", "CLIA", "RIA", "unspecified")
"""Salivary cortisol assay families named in clinical-facts.md 2.3 (cut-offs are assay-specific)."""

CORTISOL_NMOL_L = Range(
    0.0,
    500.0,
    "nmol/L",
    "assumption: about 25 x the Mayo morning upper reference limit of 20.7 nmol/L "
    "(clinical-facts.md 2.2); beyond it a unit slip is likelier than a reading",
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class Stored(Generic[_T]):
    """A stored row: its id, version (for optimistic locking), who and when, and the entry.

    Example
    -------
    >>> from datetime import datetime, UTC
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> Stored(1, 1, t, "dr_a", t, "dr_a", NoteEntry(t, "ok")).entry.text
    'ok'
    """

    id: int
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    entry: _T


def check_pseudonym(pseudonym: Any, field: str = "patient") -> str:
    """A valid pseudonymous patient id (not echoed in errors).

    Example
    -------
    >>> check_pseudonym("p-001")
    'p-001'
    """
    if not isinstance(pseudonym, str) or not PSEUDONYM_PATTERN.match(pseudonym):
        raise InputError(
            "not a pseudonymous id",
            field=field,
            allowed="1-64 letters, digits, '_', '.', '-', starting with a letter or digit",
        )
    return pseudonym


def _optional_date(value: Any, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InputError("not a date", field=field, allowed="YYYY-MM-DD")
    return value


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise InputError("not a date and time", field=field, allowed="ISO 8601 date-time")
    when = utc(value)
    not_in_future(when, field)
    return when


def _texts(values: Any, field: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InputError("not a list of text", field=field)
    return tuple(check_text(v, f"{field}[{i}]", max_length=200) for i, v in enumerate(values))


# --------------------------------------------------------------------------------------
# Patients
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientEntry:
    """A patient under a pseudonymous id: demographics and what the safety screen needs.

    ``conditions`` are coded conditions (planner vocabulary such as ``epilepsy``);
    ``hepatic_function`` uses the planner's liver-status values.

    Example
    -------
    >>> normalise_patient(PatientEntry("p1", birth_year=1970, sex="female")).sex
    'female'
    """

    pseudonym: str
    birth_year: int | None = None
    sex: str = "unknown"
    pregnant: bool = False
    pregnancy_start_on: date | None = None
    pregnancy_due_on: date | None = None
    lactating: bool = False
    hepatic_function: str = "normal"
    creatinine_clearance_ml_min: float | None = None
    conditions: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    implanted_devices: tuple[str, ...] = ()


def normalise_patient(entry: PatientEntry, today: date | None = None) -> PatientEntry:
    """Validate a patient entry; errors name the field and the allowed values.

    Example
    -------
    >>> try:
    ...     normalise_patient(PatientEntry("p1", sex="male", pregnant=True))
    ... except InputError as exc:
    ...     print(exc)
    patient.pregnant: only a patient who is not male can be pregnant (allowed: false for sex male)
    """
    current_year = (today or date.today()).year
    check_pseudonym(entry.pseudonym, "patient.pseudonym")
    if entry.birth_year is not None and (
        isinstance(entry.birth_year, bool)
        or not isinstance(entry.birth_year, int)
        or not BIRTH_YEAR_MIN <= entry.birth_year <= current_year
    ):
        raise InputError(
            "out of range", field="patient.birth_year", allowed=f"{BIRTH_YEAR_MIN}-{current_year}"
        )
    check_choice(entry.sex, "patient.sex", SEXES)
    for flag in ("pregnant", "lactating"):
        if not isinstance(getattr(entry, flag), bool):
            raise InputError("not true/false", field=f"patient.{flag}", allowed="true, false")
    if entry.pregnant and entry.sex == "male":
        raise InputError(
            "only a patient who is not male can be pregnant",
            field="patient.pregnant",
            allowed="false for sex male",
        )
    start = _optional_date(entry.pregnancy_start_on, "patient.pregnancy_start_on")
    if start is not None:
        not_in_future(start, "patient.pregnancy_start_on")
    due = _optional_date(entry.pregnancy_due_on, "patient.pregnancy_due_on")
    if not entry.pregnant and (start or due):
        raise InputError(
            "pregnancy dates given for a patient who is not pregnant",
            field="patient.pregnancy_start_on",
            allowed="empty unless pregnant",
        )
    if start and due and not start < due:
        raise InputError("due date must follow the start", field="patient.pregnancy_due_on")
    check_choice(entry.hepatic_function, "patient.hepatic_function", HEPATIC_FUNCTION)
    crcl = entry.creatinine_clearance_ml_min
    if crcl is not None:
        crcl = check_range(crcl, "patient.creatinine_clearance_ml_min", CREATININE_CLEARANCE_ML_MIN)
    return replace(
        entry,
        creatinine_clearance_ml_min=crcl,
        conditions=_texts(entry.conditions, "patient.conditions"),
        allergies=_texts(entry.allergies, "patient.allergies"),
        implanted_devices=_texts(entry.implanted_devices, "patient.implanted_devices"),
    )


# --------------------------------------------------------------------------------------
# Medications, episodes, plans, notes
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MedicationEntry:
    """A medication from the drug catalogue with dose, unit, frequency, start and stop.

    Example
    -------
    >>> normalise_medication(MedicationEntry("Cymbalta", 60, "mg", "qd", date(2024, 1, 1))).drug
    'duloxetine'
    """

    drug: str
    dose: float
    dose_unit: str
    frequency: str
    started_on: date
    stopped_on: date | None = None


def normalise_medication(entry: MedicationEntry) -> MedicationEntry:
    """Validate a medication; the drug must be in the catalogue (stored by generic name).

    Example
    -------
    >>> try:
    ...     normalise_medication(MedicationEntry("wonderpill", 1, "mg", "qd", date(2024, 1, 1)))
    ... except InputError as exc:
    ...     print(exc)
    medication.drug: not in the drug catalogue (allowed: a generic or brand name from the catalogue)
    """
    generic = known_drug(entry.drug) if isinstance(entry.drug, str) else None
    if generic is None:
        raise InputError(
            "not in the drug catalogue",
            field="medication.drug",
            allowed="a generic or brand name from the catalogue",
        )
    dose = check_range(entry.dose, "medication.dose", DOSE)
    check_choice(entry.dose_unit, "medication.dose_unit", DOSE_UNITS)
    check_choice(entry.frequency, "medication.frequency", MEDICATION_FREQUENCIES)
    started = _optional_date(entry.started_on, "medication.started_on")
    if started is None:
        raise InputError("is required", field="medication.started_on", allowed="YYYY-MM-DD")
    not_in_future(started, "medication.started_on")
    stopped = _optional_date(entry.stopped_on, "medication.stopped_on")
    if stopped is not None and stopped < started:
        raise InputError(
            "stop before start", field="medication.stopped_on", allowed="on or after started_on"
        )
    return replace(entry, drug=generic, dose=dose)


@dataclass(frozen=True)
class EpisodeEntry:
    """A treatment episode.

    Example
    -------
    >>> normalise_episode(EpisodeEntry("EA course", date(2024, 1, 1))).title
    'EA course'
    """

    title: str
    started_on: date
    ended_on: date | None = None


def normalise_episode(entry: EpisodeEntry) -> EpisodeEntry:
    """Validate an episode (start not in the future, end after start).

    Example
    -------
    >>> try:
    ...     normalise_episode(EpisodeEntry("x", date(2024, 2, 1), date(2024, 1, 1)))
    ... except InputError as exc:
    ...     print(exc)
    episode.ended_on: end before start (allowed: >= started_on)
    """
    title = check_text(entry.title, "episode.title", max_length=200)
    started = _optional_date(entry.started_on, "episode.started_on")
    if started is None:
        raise InputError("is required", field="episode.started_on", allowed="YYYY-MM-DD")
    not_in_future(started, "episode.started_on")
    ended = _optional_date(entry.ended_on, "episode.ended_on")
    if ended is not None and ended < started:
        raise InputError("end before start", field="episode.ended_on", allowed=">= started_on")
    return replace(entry, title=title)


@dataclass(frozen=True)
class PlanEntry:
    """A stored planner output: the plan as JSON, its alert codes and the KB version.

    Example
    -------
    >>> from datetime import UTC
    >>> PlanEntry(datetime(2024, 1, 1, tzinfo=UTC), {}, (), "1", "0" * 64).kb_version
    '1'
    """

    planned_at: datetime
    plan: Mapping[str, Any]
    alert_codes: tuple[str, ...]
    kb_version: str
    kb_sha256: str
    episode_started_on: date | None = None


@dataclass(frozen=True)
class NoteEntry:
    """A free-text clinical note (its text is never logged or echoed in errors).

    Example
    -------
    >>> normalise_note(NoteEntry(datetime(2024, 1, 1), " tolerated well ")).text
    'tolerated well'
    """

    written_at: datetime
    text: str


def normalise_note(entry: NoteEntry) -> NoteEntry:
    """Validate a note: a time not in the future, non-empty text of at most 4,000 characters.

    Example
    -------
    >>> normalise_note(NoteEntry(datetime(2024, 1, 1, 9), "ok")).written_at.tzname()
    'UTC'
    """
    return NoteEntry(
        _time(entry.written_at, "note.written_at"), check_text(entry.text, "note.text")
    )


# --------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdverseEvent:
    """An adverse event during or after a session, with severity (mild, moderate, severe).

    Example
    -------
    >>> AdverseEvent("bruising", "mild").severity
    'mild'
    """

    description: str
    severity: str


@dataclass(frozen=True)
class SessionEntry:
    """A treatment session as delivered.

    ``modality``: ``ea``, ``manual``, ``sham``, ``dry_needling`` or ``cbt``. ``points``
    are catalogue codes; ``electrode_pairs`` join two of them; ``frequency_hz`` is one
    number (``"2"``) or dense-disperse ``"2/100"``; ``intensity_ma`` in mA;
    ``episode_started_on`` links the session to the patient's episode starting that day.

    Example
    -------
    >>> SessionEntry(datetime(2024, 3, 1, 9), 50, "cbt").modality
    'cbt'
    """

    started_at: datetime
    duration_min: float
    modality: str
    points: tuple[str, ...] = ()
    electrode_pairs: tuple[tuple[str, str], ...] = ()
    frequency_hz: str | None = None
    intensity_ma: float | None = None
    adverse_events: tuple[AdverseEvent, ...] = ()
    episode_started_on: date | None = None


def _session_points(points: Any) -> tuple[str, ...]:
    if isinstance(points, str) or not isinstance(points, Sequence):
        raise InputError("not a list of point codes", field="session.points")
    codes: list[str] = []
    for i, raw in enumerate(points):
        code = known_point(raw) if isinstance(raw, str) else None
        if code is None:
            raise InputError(
                "not in the point catalogue",
                field=f"session.points[{i}]",
                allowed="a WHO code from the point catalogue",
            )
        if code in codes:
            raise InputError("point listed twice", field=f"session.points[{i}]")
        codes.append(code)
    return tuple(codes)


def _electrode_pairs(pairs: Any, points: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for i, pair in enumerate(pairs):
        field_name = f"session.electrode_pairs[{i}]"
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InputError("not a pair of point codes", field=field_name)
        first, second = (known_point(p) if isinstance(p, str) else None for p in pair)
        if first is None or second is None or first == second:
            raise InputError(
                "not two different catalogue points", field=field_name, allowed="e.g. LI4-LR3"
            )
        if first not in points or second not in points:
            raise InputError("point not needled in this session", field=field_name)
        out.append((first, second))
    return tuple(out)


def _adverse_events(events: Any) -> tuple[AdverseEvent, ...]:
    out: list[AdverseEvent] = []
    for i, event in enumerate(events):
        if not isinstance(event, AdverseEvent):
            raise InputError("not an adverse event", field=f"session.adverse_events[{i}]")
        text = check_text(
            event.description, f"session.adverse_events[{i}].description", max_length=500
        )
        severity = check_choice(event.severity, f"session.adverse_events[{i}].severity", SEVERITIES)
        out.append(AdverseEvent(text, severity))
    return tuple(out)


def normalise_session(entry: SessionEntry) -> SessionEntry:
    """Validate a session (ranges, catalogue points, EA settings only for EA).

    Example
    -------
    >>> try:
    ...     normalise_session(SessionEntry(datetime(2024, 3, 1, 9), 30, "ea", points=("LI4",),
    ...                                    frequency_hz="2", intensity_ma=0))
    ... except InputError as exc:
    ...     print(exc)
    session.intensity_ma: 0 is out of range (allowed: 0.1-50 mA)
    """
    started = _time(entry.started_at, "session.started_at")
    duration = check_range(entry.duration_min, "session.duration_min", DURATION_MIN)
    modality = check_choice(entry.modality, "session.modality", MODALITIES)
    points = _session_points(entry.points)
    pairs = _electrode_pairs(entry.electrode_pairs, points)
    frequency = intensity = None
    if modality == "ea":
        if entry.frequency_hz is None or entry.intensity_ma is None:
            raise InputError(
                "EA needs frequency_hz and intensity_ma",
                field="session.frequency_hz",
                allowed="both given for modality ea",
            )
        frequency = parse_session_frequency(entry.frequency_hz)
        intensity = check_range(entry.intensity_ma, "session.intensity_ma", INTENSITY_MA)
    elif entry.frequency_hz is not None or entry.intensity_ma is not None or pairs:
        raise InputError(
            "stimulation settings given for a session without EA",
            field="session.frequency_hz",
            allowed="empty unless modality is ea",
        )
    if modality == "cbt" and points:
        raise InputError("CBT has no points", field="session.points", allowed="empty for cbt")
    return SessionEntry(
        started_at=started,
        duration_min=duration,
        modality=modality,
        points=points,
        electrode_pairs=pairs,
        frequency_hz=frequency,
        intensity_ma=intensity,
        adverse_events=_adverse_events(entry.adverse_events),
        episode_started_on=_optional_date(entry.episode_started_on, "session.episode_started_on"),
    )


# --------------------------------------------------------------------------------------
# Assessments
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AssessmentEntry:
    """An instrument administration as answered: instrument, time, item answers.

    Example
    -------
    >>> AssessmentEntry("nrs", datetime(2024, 1, 1), (5,)).items
    (5,)
    """

    instrument: str
    administered_at: datetime
    items: tuple[int, ...]
    difficulty: int | None = None


@dataclass(frozen=True)
class ScoredAssessment:
    """A stored administration with its scored result and the scoring version.

    Example
    -------
    >>> s = score_assessment(AssessmentEntry("phq9", datetime(2024, 1, 1), (1,) * 9))
    >>> s.total, s.severity, s.alert_codes
    (9.0, 'mild', ('phq9_item9_positive',))
    """

    entry: AssessmentEntry
    total: float
    severity: str | None
    subscales: Mapping[str, float]
    alert_codes: tuple[str, ...]
    scoring_version: str


def _score(entry: AssessmentEntry) -> InstrumentResult:
    try:
        spec = get_spec(entry.instrument)
    except InstrumentError as exc:
        raise InputError(str(exc), field="assessment.instrument") from None
    if isinstance(entry.items, str) or not isinstance(entry.items, Sequence):
        raise InputError("not a list of answers", field="assessment.items")
    if len(entry.items) != spec.n_items:
        raise InputError(
            f"{len(entry.items)} answers",
            field="assessment.items",
            allowed=f"{spec.n_items} answers",
        )
    responses: dict[str, Any] = dict(zip(spec.item_keys, entry.items, strict=True))
    if entry.difficulty is not None:
        if spec.name != "phq9":
            raise InputError("only the PHQ-9 has one", field="assessment.difficulty")
        responses["difficulty"] = entry.difficulty
    try:
        return score(spec.name, responses)
    except InstrumentError as exc:
        raise InputError(str(exc), field="assessment.items") from None


def normalise_assessment(entry: AssessmentEntry) -> tuple[AssessmentEntry, InstrumentResult]:
    """Validate and score (strictly, with the same code as ``hpatwin score``).

    Example
    -------
    >>> try:
    ...     normalise_assessment(AssessmentEntry("gad7", datetime(2024, 1, 1), (4,) * 7))
    ... except InputError as exc:
    ...     print(str(exc)[:40])
    assessment.items: gad7 item 1: 4 is outs
    """
    when = _time(entry.administered_at, "assessment.administered_at")
    result = _score(entry)
    items = tuple(int(v) for v in result.items if not (isinstance(v, float) and math.isnan(v)))
    normalised = AssessmentEntry(result.instrument, when, items, result.difficulty)
    return normalised, result


def score_assessment(entry: AssessmentEntry) -> ScoredAssessment:
    """Validate and score an entry into a :class:`ScoredAssessment`.

    Example
    -------
    >>> score_assessment(AssessmentEntry("isi", datetime(2024, 1, 1), (2,) * 7)).severity
    'subthreshold insomnia'
    """
    normalised, result = normalise_assessment(entry)
    return ScoredAssessment(
        entry=normalised,
        total=result.total,
        severity=result.severity,
        subscales=dict(result.subscales),
        alert_codes=tuple(a.code for a in result.alerts),
        scoring_version=SCORING_VERSION,
    )


# --------------------------------------------------------------------------------------
# Biomarkers
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CortisolEntry:
    """A salivary cortisol sample: clock time, value in ``unit``, assay family, label.

    Example
    -------
    >>> normalise_cortisol(CortisolEntry(datetime(2024, 1, 1, 8), 0.4, "ug/dL", "LC-MS/MS")).unit
    'µg/dL'
    """

    collected_at: datetime
    value: float
    unit: str = "nmol/L"
    assay: str = "unspecified"
    label: str = ""


def normalise_cortisol(entry: CortisolEntry) -> CortisolEntry:
    """Validate a sample: accepted unit, value within :data:`CORTISOL_NMOL_L` after conversion.

    Example
    -------
    >>> try:
    ...     normalise_cortisol(CortisolEntry(datetime(2024, 1, 1, 8), 900, "nmol/L"))
    ... except InputError as exc:
    ...     print(exc)
    cortisol.value: 900 is out of range (allowed: 0-500 nmol/L)
    """
    when = _time(entry.collected_at, "cortisol.collected_at")
    try:
        sample = ClinicCortisolSample(when, entry.value, entry.unit, entry.label)
    except CortisolError as exc:
        field_name = "cortisol.unit" if "unit" in str(exc) else "cortisol.value"
        raise InputError(
            "not an accepted value or unit", field=field_name, allowed="nmol/L, µg/dL, ng/dL, ng/mL"
        ) from None
    check_range(sample.cortisol_nmol_l, "cortisol.value", CORTISOL_NMOL_L)
    check_choice(entry.assay, "cortisol.assay", ASSAYS)
    label = check_text(entry.label, "cortisol.label", max_length=64, required=False)
    return CortisolEntry(when, sample.value, sample.unit, entry.assay, label)


@dataclass(frozen=True)
class HrvEntry:
    """HRV at a time: from an RR series (``rr_ms``), or a summary (``rmssd_ms`` ...).

    With ``rr_ms`` the metrics are computed by :func:`hpatwin.clinic.hrv.hrv_time_domain`
    (with its artefact handling); a summary is stored as given.

    Example
    -------
    >>> normalise_hrv(HrvEntry(datetime(2024, 1, 1, 8), rmssd_ms=35.0)).rmssd_ms
    35.0
    """

    recorded_at: datetime
    rr_ms: tuple[float, ...] | None = None
    rmssd_ms: float | None = None
    sdnn_ms: float | None = None
    mean_hr_bpm: float | None = None


def normalise_hrv(entry: HrvEntry) -> HrvEntry:
    """Validate an HRV entry and fill the metrics of an RR series.

    Example
    -------
    >>> entry = normalise_hrv(HrvEntry(datetime(2024, 1, 1, 8), tuple([800.0, 810.0] * 200)))
    >>> round(entry.rmssd_ms, 1), round(entry.mean_hr_bpm, 1)
    (10.0, 74.5)
    """
    when = _time(entry.recorded_at, "hrv.recorded_at")
    if entry.rr_ms is not None:
        try:
            result = hrv_time_domain(list(entry.rr_ms))
        except (HrvError, ValueError, TypeError) as exc:
            raise InputError(str(exc), field="hrv.rr_ms") from None
        return HrvEntry(
            when,
            tuple(float(v) for v in entry.rr_ms),
            result.rmssd_ms,
            result.sdnn_ms,
            result.mean_hr_bpm,
        )
    if entry.rmssd_ms is None:
        raise InputError("an RR series or rmssd_ms is required", field="hrv.rmssd_ms")
    rmssd = check_range(entry.rmssd_ms, "hrv.rmssd_ms", RMSSD_MS)
    sdnn = None if entry.sdnn_ms is None else check_range(entry.sdnn_ms, "hrv.sdnn_ms", HRV_MS)
    mean_hr = None
    if entry.mean_hr_bpm is not None:
        try:
            mean_hr = VitalSigns("before", 0, entry.mean_hr_bpm).heart_rate_bpm
        except AutonomicError:
            raise InputError(
                "out of range", field="hrv.mean_hr_bpm", allowed="20-250 bpm"
            ) from None
    return HrvEntry(when, None, rmssd, sdnn, mean_hr)


@dataclass(frozen=True)
class VitalsEntry:
    """Heart rate and blood pressure before or after the session that started at ``session_started_at``.

    Example
    -------
    >>> VitalsEntry(datetime(2024, 1, 1, 9), "before", 5, 72, 120, 80).phase
    'before'
    """

    session_started_at: datetime
    phase: str
    minutes: float
    heart_rate_bpm: float | None = None
    systolic_mmhg: float | None = None
    diastolic_mmhg: float | None = None


def normalise_vitals(entry: VitalsEntry) -> VitalsEntry:
    """Validate with the clinic's vital-sign ranges (HR 20-250 bpm, SBP 50-300, DBP 20-200 mmHg).

    Example
    -------
    >>> try:
    ...     normalise_vitals(VitalsEntry(datetime(2024, 1, 1, 9), "after", 10, 400))
    ... except InputError as exc:
    ...     print(exc)
    vitals: after-session reading at 10 min: heart_rate_bpm 400 is outside the allowed range 20-250
    """
    when = _time(entry.session_started_at, "vitals.session_started_at")
    try:
        reading = VitalSigns(
            entry.phase,  # type: ignore[arg-type]
            entry.minutes,
            entry.heart_rate_bpm,
            entry.systolic_mmhg,
            entry.diastolic_mmhg,
        )
    except AutonomicError as exc:
        raise InputError(str(exc), field="vitals") from None
    return VitalsEntry(
        when,
        reading.phase,
        reading.minutes,
        reading.heart_rate_bpm,
        reading.systolic_mmhg,
        reading.diastolic_mmhg,
    )


# --------------------------------------------------------------------------------------
# Alerts and the full record
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlertEntry:
    """A persisted safety alert; open until acknowledged (who, when, action).

    Example
    -------
    >>> from datetime import UTC
    >>> AlertEntry("phq9_item9_positive", "urgent", "x", datetime(2024, 1, 1, tzinfo=UTC)).open
    True
    """

    code: str
    level: str
    message: str
    raised_at: datetime
    assessment_id: int | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledgement_action: str | None = None

    @property
    def open(self) -> bool:
        """Whether no clinician has acknowledged it yet.

        Example
        -------
        >>> from datetime import UTC
        >>> AlertEntry("x", "urgent", "m", datetime(2024, 1, 1, tzinfo=UTC), acknowledged_at=datetime(2024, 1, 2, tzinfo=UTC)).open
        False
        """
        return self.acknowledged_at is None


@dataclass(frozen=True)
class PatientRecord:
    """The full record of one patient (soft-deleted rows left out), each part oldest first.

    Example
    -------
    >>> from hpatwin.records.store import RecordStore
    >>> store = RecordStore("sqlite://")
    >>> _ = store.init()
    >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> record = store.load("p1")
    >>> record.patient.entry.pseudonym, record.sessions, record.open_alerts
    ('p1', (), ())
    """

    patient: Stored[PatientEntry]
    medications: tuple[Stored[MedicationEntry], ...] = ()
    episodes: tuple[Stored[EpisodeEntry], ...] = ()
    plans: tuple[Stored[PlanEntry], ...] = ()
    sessions: tuple[Stored[SessionEntry], ...] = ()
    assessments: tuple[Stored[ScoredAssessment], ...] = ()
    cortisol: tuple[Stored[CortisolEntry], ...] = ()
    hrv: tuple[Stored[HrvEntry], ...] = ()
    vitals: tuple[Stored[VitalsEntry], ...] = ()
    notes: tuple[Stored[NoteEntry], ...] = ()
    alerts: tuple[Stored[AlertEntry], ...] = field(default=())

    @property
    def open_alerts(self) -> tuple[Stored[AlertEntry], ...]:
        """Alerts not yet acknowledged by a clinician.

        Example
        -------
        >>> from datetime import UTC
        >>> t = datetime(2024, 1, 1, tzinfo=UTC)
        >>> p = Stored(1, 1, t, "a", t, "a", PatientEntry("p1"))
        >>> PatientRecord(p).open_alerts
        ()
        """
        return tuple(a for a in self.alerts if a.entry.open)
