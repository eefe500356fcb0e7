"""One patient's data as the twin sees it: observations on a day axis and delivered treatment.

:class:`PatientData` holds what the likelihood reads (PHQ-9 and NRS per visit, salivary
cortisol with clock time, RMSSD, pre-session heart rate and systolic pressure) and what
drives the model (delivered sessions and medications as a treatment-plan document), all on
days counted from the first visit (day 0, midnight). :func:`patient_data_from_record` builds
it from a clinic record (:mod:`hpatwin.records`, from the database or a FHIR/CSV file via an
in-memory store), optionally *as of* a moment, so a fit sees only what was known then.

Every conversion choice the record does not dictate is listed in ``notes`` (for example a
recorded session without points, a medication taken "as needed" that is not simulated).

Example
-------
>>> data = PatientData.from_arrays(phq9=[(0, 18), (7, 16)], nrs=[(0, 7), (7, 6)])
>>> data.last_day, data.phq9.values.tolist()
(7, [18.0, 16.0])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hpatwin.clinic.cortisol import convert_cortisol
from hpatwin.clinic.planner.knowledge import LiverStatus
from hpatwin.data.drugs import UnknownDrugError, resolve_drug
from hpatwin.errors import InputError
from hpatwin.records.entries import PatientRecord, normalise_assessment
from hpatwin.records.exchange import import_file
from hpatwin.records.store import RecordStore, load_patient_record
from hpatwin.treatments.from_protocol import LIVER_STATUS_TO_HEPATIC
from hpatwin.treatments.patient import PatientFactors
from hpatwin.treatments.plan import GRID_MIN, WEEKDAYS, PlanError, TreatmentPlan

Array = NDArray[np.float64]
#: clock times of each recorded medication frequency (``prn`` and ``weekly`` are not simulated)
DOSE_TIMES: dict[str, tuple[str, ...]] = {
    "once": ("08:00",),
    "qd": ("08:00",),
    "bid": ("08:00", "20:00"),
    "tid": ("08:00", "14:00", "20:00"),
    "qid": ("08:00", "12:00", "16:00", "20:00"),
    "qhs": ("22:00",),
}
#: defaults for what a session record does not hold, each listed in the notes when used
DEFAULT_EA_POINTS = ("GV20", "EX-HN3", "ST36", "SP6")
#: the electrode pair delivered EA is simulated on (pairing does not enter the model's inputs)
CANONICAL_EA_PAIR = ("GV20", "EX-HN3")
DEFAULT_DRY_NEEDLING = {"region": "cervical", "muscle": "upper_trapezius"}
ASSUMED_AGE_YEARS = 45.0


@dataclass(frozen=True)
class Series:
    """Observations of one measure: ``days`` (from day 0), ``values`` and ``minutes`` of day.

    Example
    -------
    >>> Series.of([(3, 12.0), (0, 15.0)]).days.tolist()
    [0, 3]
    """

    days: NDArray[np.int64]
    values: Array
    minutes: Array

    @classmethod
    def of(cls, rows: Iterable[Sequence[float]]) -> Series:
        """From ``(day, value)`` or ``(day, value, minute_of_day)`` rows, sorted by time."""
        cleaned = sorted(
            (int(r[0]), float(r[2]) if len(r) > 2 else 720.0, float(r[1])) for r in rows
        )
        return cls(
            np.array([r[0] for r in cleaned], dtype=np.int64),
            np.array([r[2] for r in cleaned], dtype=np.float64),
            np.array([r[1] for r in cleaned], dtype=np.float64),
        )

    @property
    def size(self) -> int:
        """Number of observations."""
        return len(self.days)

    def until(self, day: int) -> Series:
        """Observations on or before ``day``."""
        keep = self.days <= day
        return Series(self.days[keep], self.values[keep], self.minutes[keep])

    def rows(self) -> list[list[float]]:
        """``[day, value, minute]`` rows (for storage)."""
        return [
            [int(d), float(v), float(m)]
            for d, v, m in zip(self.days, self.values, self.minutes, strict=True)
        ]


EMPTY = Series.of([])
MEASURES = ("phq9", "nrs", "cortisol", "rmssd", "heart_rate", "systolic")


@dataclass(frozen=True)
class PatientData:
    """Everything the twin fits for one patient (see the module docstring).

    ``treatment`` is a treatment-plan document (:class:`~hpatwin.treatments.plan.TreatmentPlan`)
    on the same day axis; ``background_daily_mg`` the medications already taken before day 0
    (drug key → mg/day), which the untreated warm-up includes; ``session_days`` the day of
    every delivered session (for "session 6").
    """

    label: str = "patient"
    baseline_date: date | None = None
    phq9: Series = EMPTY
    nrs: Series = EMPTY
    cortisol: Series = EMPTY
    rmssd: Series = EMPTY
    heart_rate: Series = EMPTY
    systolic: Series = EMPTY
    treatment: Mapping[str, Any] = field(default_factory=dict)
    background_daily_mg: Mapping[str, float] = field(default_factory=dict)
    session_days: tuple[int, ...] = ()
    age_years: float | None = None
    sex: str = "unknown"
    hepatic: str = "none"
    creatinine_clearance_ml_min: float | None = None
    pregnancy_trimester: int = 0
    notes: tuple[str, ...] = ()

    @classmethod
    def from_arrays(cls, **measures: Any) -> PatientData:
        """Build from ``measure=[(day, value[, minute]), …]`` lists and other fields.

        Example
        -------
        >>> PatientData.from_arrays(cortisol=[(0, 14.0, 480)]).cortisol.minutes.tolist()
        [480.0]
        """
        fields: dict[str, Any] = {}
        for name, rows in measures.items():
            fields[name] = Series.of(rows) if name in MEASURES else rows
        return cls(**fields)

    @property
    def last_day(self) -> int:
        """The last day with an observation (0 without any)."""
        days = [int(s.days.max()) for s in self.series().values() if s.size]
        return max(days, default=0)

    def series(self) -> dict[str, Series]:
        """The observed series by measure name."""
        return {name: getattr(self, name) for name in MEASURES}

    @property
    def n_observations(self) -> int:
        """Number of observations over all measures."""
        return sum(s.size for s in self.series().values())

    def until(self, day: int) -> PatientData:
        """The data as known at the end of ``day``: later observations and sessions dropped.

        Example
        -------
        >>> PatientData.from_arrays(phq9=[(0, 18), (28, 10)]).until(7).phq9.size
        1
        """
        measures: dict[str, Any] = {name: s.until(day) for name, s in self.series().items()}
        return replace(
            self,
            **measures,
            treatment=treatment_until(self.treatment, day),
            session_days=tuple(d for d in self.session_days if d <= day),
        )

    def patient_factors(self) -> PatientFactors:
        """Drug-exposure covariates (an unknown sex or age falls back to a stated default)."""
        return PatientFactors(
            age_years=self.age_years if self.age_years is not None else ASSUMED_AGE_YEARS,
            sex="male" if self.sex == "male" else "female",
            pregnancy_trimester=self.pregnancy_trimester if self.sex == "female" else 0,
            hepatic=self.hepatic,
            creatinine_clearance_ml_min=self.creatinine_clearance_ml_min,
        )

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the data (stored with every fit).

        Example
        -------
        >>> snap = PatientData.from_arrays(phq9=[(0, 18)]).snapshot()
        >>> PatientData.from_snapshot(snap).phq9.values.tolist()
        [18.0]
        """
        out: dict[str, Any] = {name: s.rows() for name, s in self.series().items()}
        out.update(
            label=self.label,
            baseline_date=None if self.baseline_date is None else self.baseline_date.isoformat(),
            treatment=dict(self.treatment),
            background_daily_mg=dict(self.background_daily_mg),
            session_days=list(self.session_days),
            age_years=self.age_years,
            sex=self.sex,
            hepatic=self.hepatic,
            creatinine_clearance_ml_min=self.creatinine_clearance_ml_min,
            pregnancy_trimester=self.pregnancy_trimester,
            notes=list(self.notes),
        )
        return out

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> PatientData:
        """Rebuild from :meth:`snapshot`."""
        fields = dict(snapshot)
        baseline = fields.pop("baseline_date", None)
        measures: dict[str, Any] = {name: Series.of(fields.pop(name, [])) for name in MEASURES}
        return cls(
            **measures,
            baseline_date=None if baseline is None else date.fromisoformat(baseline),
            session_days=tuple(int(d) for d in fields.pop("session_days", ())),
            notes=tuple(fields.pop("notes", ())),
            **fields,
        )


def treatment_until(treatment: Mapping[str, Any], day: int) -> dict[str, Any]:
    """Sessions on or before ``day`` and medications started by then (they continue as recorded).

    Example
    -------
    >>> treatment_until({"cbt_sessions": [{"day": 0, "start": "10:00"},
    ...                                   {"day": 9, "start": "10:00"}]}, 7)["cbt_sessions"]
    [{'day': 0, 'start': '10:00'}]
    """
    out: dict[str, Any] = {}
    for key, entries in treatment.items():
        if key.endswith("_sessions"):
            out[key] = [e for e in entries if int(e["day"]) <= day]
        elif key == "drugs":
            out[key] = [e for e in entries if int(e.get("start_day", 0)) <= day]
        else:
            out[key] = entries
    return out


def _day(moment: datetime | date, origin: date) -> int:
    moment_date = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return (moment_date - origin).days


def _minute(moment: datetime) -> float:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return float(utc.hour * 60 + utc.minute)


def _clock(moment: datetime) -> str:
    minutes = int(_minute(moment)) // GRID_MIN * GRID_MIN
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _grid_duration(minutes: float) -> int:
    return max(GRID_MIN, round(minutes / GRID_MIN) * GRID_MIN)


def _session_entry(session: Any, day: int, notes: list[str]) -> tuple[str, dict[str, Any]] | None:
    base = {"day": day, "start": _clock(session.started_at)}
    duration = _grid_duration(session.duration_min)
    points = list(session.points)
    if session.modality == "cbt":
        return "cbt_sessions", {**base, "duration_min": duration}
    if session.modality == "sham":
        return "sham_sessions", {**base, "duration_min": duration, "points": points}
    if session.modality == "dry_needling":
        notes.append(
            "dry-needling sessions: region and muscle are not recorded; simulated as "
            f"{DEFAULT_DRY_NEEDLING['muscle'].replace('_', ' ')} ({DEFAULT_DRY_NEEDLING['region']})"
        )
        return "dry_needling_sessions", {**base, "duration_min": duration, **DEFAULT_DRY_NEEDLING}
    if not points:
        notes.append(
            "needling sessions without recorded points: simulated at "
            + ", ".join(DEFAULT_EA_POINTS)
        )
        points = list(DEFAULT_EA_POINTS)
    if session.modality == "manual":
        return "manual_acupuncture_sessions", {**base, "duration_min": duration, "points": points}
    intensity = float(session.intensity_ma or 0.0)
    if intensity <= 0:
        notes.append("EA sessions without an intensity: simulated as needling without current")
        return "manual_acupuncture_sessions", {**base, "duration_min": duration, "points": points}
    notes.append(
        "EA tolerance is not recorded: the recorded intensity is taken as the patient's "
        "tolerance (relative intensity 1)"
    )
    notes.append(
        "EA points and electrode pairs do not change the model's inputs (frequency, intensity "
        "and duration do): delivered EA is simulated on one canonical head pair"
    )
    entry: dict[str, Any] = {
        **base,
        "duration_min": duration,
        "frequency": session.frequency_hz,
        "intensity_ma": intensity,
        "tolerance_ma": intensity,
        "points": list(CANONICAL_EA_PAIR),
        "electrode_pairs": [list(CANONICAL_EA_PAIR)],
    }
    return "ea_sessions", entry


def _medications(
    record: PatientRecord, origin: date, as_of_day: int, notes: list[str]
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    drugs: list[dict[str, Any]] = []
    background: dict[str, float] = {}
    for stored in record.medications:
        med = stored.entry
        try:
            key = resolve_drug(med.drug).key
        except UnknownDrugError:
            notes.append(f"medication {med.drug}: not in the drug catalogue; not simulated")
            continue
        times = DOSE_TIMES.get(med.frequency)
        if times is None or med.dose_unit.lower() != "mg":
            notes.append(
                f"medication {key} ({med.frequency}, {med.dose_unit}): not simulated "
                "(only scheduled oral doses in mg are)"
            )
            continue
        start = _day(med.started_on, origin)
        stop = None if med.stopped_on is None else _day(med.stopped_on, origin)
        if stop is not None and stop <= 0:
            continue  # stopped before the first visit
        if start > as_of_day:
            continue
        entry: dict[str, Any] = {
            "name": key,
            "dose_mg": float(med.dose),
            "times": list(times),
            "start_day": max(start, 0),
        }
        if stop is not None:
            entry["end_day"] = stop
        drugs.append(entry)
        if start < 0:
            background[key] = background.get(key, 0.0) + float(med.dose) * len(times)
    return drugs, background


def patient_data_from_record(
    record: PatientRecord, *, as_of: datetime | None = None, label: str = "patient"
) -> PatientData:
    """The twin's view of a clinic record (only what was recorded up to ``as_of``).

    Day 0 is the date of the first PHQ-9 or NRS. Sessions and medications become the
    treatment-plan document; medications started before day 0 are also part of the warm-up.

    Example
    -------
    >>> from datetime import datetime, UTC
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> from hpatwin.records.store import RecordStore
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr")
    >>> _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, 2, 9, tzinfo=UTC),
    ...                                                 (7,)), actor="dr")
    >>> patient_data_from_record(store.load("p1")).nrs.values.tolist()
    [7.0]
    """
    notes: list[str] = []
    moments = [
        (normalise_assessment(a.entry.entry)[0], a)
        for a in record.assessments
        if normalise_assessment(a.entry.entry)[0].instrument in ("phq9", "nrs")
    ]
    if as_of is not None:
        moments = [(e, a) for e, a in moments if e.administered_at <= as_of]
    if not moments:
        raise InputError(
            "no PHQ-9 or pain NRS is recorded: the twin needs at least one to fit",
            field="assessments",
        )
    origin = min(e.administered_at for e, _ in moments).astimezone(UTC).date()
    limit = as_of if as_of is not None else datetime.max.replace(tzinfo=UTC)
    as_of_day = _day(limit, origin) if as_of is not None else 10**6
    scores: dict[str, list[tuple[int, float, float]]] = {"phq9": [], "nrs": []}
    for entry, stored in moments:
        scores[entry.instrument].append(
            (
                _day(entry.administered_at, origin),
                stored.entry.total,
                _minute(entry.administered_at),
            )
        )
    cortisol = [
        (
            _day(c.entry.collected_at, origin),
            convert_cortisol(c.entry.value, c.entry.unit, "nmol/L"),
            _minute(c.entry.collected_at),
        )
        for c in record.cortisol
        if c.entry.collected_at <= limit and _day(c.entry.collected_at, origin) >= 0
    ]
    rmssd = [
        (_day(h.entry.recorded_at, origin), float(h.entry.rmssd_ms), _minute(h.entry.recorded_at))
        for h in record.hrv
        if h.entry.rmssd_ms is not None
        and h.entry.recorded_at <= limit
        and _day(h.entry.recorded_at, origin) >= 0
    ]
    heart: list[tuple[int, float, float]] = []
    systolic: list[tuple[int, float, float]] = []
    for v in record.vitals:
        entry_v = v.entry
        if entry_v.phase != "before" or entry_v.session_started_at > limit:
            continue
        day = _day(entry_v.session_started_at, origin)
        if day < 0:
            continue
        if entry_v.heart_rate_bpm is not None:
            heart.append((day, float(entry_v.heart_rate_bpm), _minute(entry_v.session_started_at)))
        if entry_v.systolic_mmhg is not None:
            systolic.append(
                (day, float(entry_v.systolic_mmhg), _minute(entry_v.session_started_at))
            )

    treatment: dict[str, Any] = {"start_weekday": WEEKDAYS[origin.weekday()]}
    session_days: list[int] = []
    for stored_session in record.sessions:
        session = stored_session.entry
        if session.started_at > limit:
            continue
        day = _day(session.started_at, origin)
        if day < 0:
            notes.append("sessions before the first PHQ-9/NRS: not simulated")
            continue
        converted = _session_entry(session, day, notes)
        if converted is not None:
            treatment.setdefault(converted[0], []).append(converted[1])
            session_days.append(day)
    drugs, background = _medications(record, origin, as_of_day, notes)
    if drugs:
        treatment["drugs"] = drugs
    try:
        TreatmentPlan.parse(treatment)
    except PlanError as exc:
        raise InputError(
            f"the recorded sessions and medications do not form a valid treatment history: {exc}",
            field="sessions",
        ) from None
    patient = record.patient.entry
    age = None if patient.birth_year is None else float(origin.year - patient.birth_year)
    return PatientData(
        label=label,
        baseline_date=origin,
        phq9=Series.of(scores["phq9"]),
        nrs=Series.of(scores["nrs"]),
        cortisol=Series.of(cortisol),
        rmssd=Series.of(rmssd),
        heart_rate=Series.of(heart),
        systolic=Series.of(systolic),
        treatment=treatment,
        background_daily_mg=background,
        session_days=tuple(sorted(session_days)),
        age_years=age,
        sex=patient.sex,
        hepatic=_hepatic(patient.hepatic_function),
        creatinine_clearance_ml_min=patient.creatinine_clearance_ml_min,
        pregnancy_trimester=0,
        notes=tuple(dict.fromkeys(notes)),
    )


def _hepatic(text: str) -> str:
    return LIVER_STATUS_TO_HEPATIC[LiverStatus(text)].value


def finite(values: Iterable[float]) -> bool:
    """Whether every value is a finite number.

    Example
    -------
    >>> finite([1.0, 2.0]), finite([math.nan])
    (True, False)
    """
    return all(math.isfinite(v) for v in values)


def patient_data_from_store(
    store: RecordStore, patient: str, *, as_of: datetime | None = None
) -> PatientData:
    """The twin's view of one patient in a records database (pseudonymous id).

    Example
    -------
    >>> from datetime import datetime, UTC
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr")
    >>> _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, 2, tzinfo=UTC),
    ...                                                 (6,)), actor="dr")
    >>> patient_data_from_store(store, "p1").label
    'p1'
    """
    return patient_data_from_record(load_patient_record(store, patient), as_of=as_of, label=patient)


def patient_data_from_file(
    path: str | Path, patient: str | None = None, *, as_of: datetime | None = None
) -> PatientData:
    """The twin's view of a patient in a FHIR Bundle (``.json``) or records CSV file.

    The file is imported into an in-memory store with the records' own importer (the same
    validation as ``hpatwin records import``); ``patient`` may be omitted when the file
    holds one patient.
    """
    store = RecordStore.in_memory()
    try:
        import_file(store, path, actor="twin-import")
        pseudonyms = [p.entry.pseudonym for p in store.patients()]
        if patient is None:
            if len(pseudonyms) != 1:
                raise InputError(
                    f"the file holds {len(pseudonyms)} patients; name one with --patient",
                    source=Path(path).name,
                    field="patient",
                )
            patient = pseudonyms[0]
        elif patient not in pseudonyms:
            raise InputError(
                "no such patient id in this file", source=Path(path).name, field="patient"
            )
        return patient_data_from_store(store, patient, as_of=as_of)
    finally:
        store.close()
