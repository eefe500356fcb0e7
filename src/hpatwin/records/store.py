"""The record store: one class with a method for every write path, over SQLite or PostgreSQL.

Each write runs in one transaction that also writes a :class:`~hpatwin.records.models.Revision`
per changed row, so nothing is overwritten without a trace; deletion is soft, with a
reason. Updates name the version they were based on; a stale version raises
:class:`hpatwin.errors.ConflictError`. Bad input raises :class:`hpatwin.errors.InputError`
before anything is written.

Example
-------
>>> from datetime import datetime
>>> store = RecordStore("sqlite://")
>>> store.init()
'0002_safety_alerts'
>>> _ = store.add_patient(PatientEntry("p1", birth_year=1970, sex="female"), actor="dr_a")
>>> a = store.add_assessment("p1", AssessmentEntry("phq9", datetime(2024, 1, 5, 9), (1,) * 9),
...                          actor="dr_a")
>>> a.entry.total, [x.entry.code for x in store.load("p1").open_alerts]
(9.0, ['phq9_item9_positive'])
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from hpatwin.clinic.planner import Plan as PlannerPlan
from hpatwin.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    ResourceError,
)
from hpatwin.records import models
from hpatwin.records.db import WRITE_OPTION, make_engine, redacted, resolve_url
from hpatwin.records.entries import (
    AdverseEvent,
    AlertEntry,
    AssessmentEntry,
    CortisolEntry,
    EpisodeEntry,
    HrvEntry,
    MedicationEntry,
    NoteEntry,
    PatientEntry,
    PatientRecord,
    PlanEntry,
    ScoredAssessment,
    SessionEntry,
    Stored,
    VitalsEntry,
    check_pseudonym,
    normalise_assessment,
    normalise_cortisol,
    normalise_episode,
    normalise_hrv,
    normalise_medication,
    normalise_note,
    normalise_patient,
    normalise_session,
    normalise_vitals,
    score_assessment,
)
from hpatwin.records.migrations import HEAD, current_revision, upgrade
from hpatwin.records.validation import (
    DURATION_MIN,
    ROLES,
    check_choice,
    check_text,
    not_in_future,
    utc,
)

__all__ = ["IfExists", "RecordStore", "RecordWriter", "load_patient_record", "plan_entry"]

IfExists = Literal["error", "same"]
"""On a natural-key match: ``error`` raises ConflictError; ``same`` accepts an identical
row (idempotent import) and raises ConflictError if the stored one differs."""

_E = TypeVar("_E")
_R = TypeVar("_R", bound=models.Audited)


def _to_db(when: datetime) -> datetime:
    return utc(when).replace(tzinfo=None)


def _from_db(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC)


def _opt_from_db(when: datetime | None) -> datetime | None:
    return None if when is None else _from_db(when)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _stored(row: models.Audited, entry: _E) -> Stored[_E]:
    return Stored(
        id=row.id,
        version=row.version,
        created_at=_from_db(row.created_at),
        created_by=row.created_by,
        updated_at=_from_db(row.updated_at),
        updated_by=row.updated_by,
        entry=entry,
    )


# --------------------------------------------------------------------------------------
# Row <-> entry conversions
# --------------------------------------------------------------------------------------
def _patient_entry(row: models.Patient) -> PatientEntry:
    return PatientEntry(
        pseudonym=row.pseudonym,
        birth_year=row.birth_year,
        sex=row.sex,
        pregnant=row.pregnant,
        pregnancy_start_on=row.pregnancy_start_on,
        pregnancy_due_on=row.pregnancy_due_on,
        lactating=row.lactating,
        hepatic_function=row.hepatic_function,
        creatinine_clearance_ml_min=row.creatinine_clearance_ml_min,
        conditions=tuple(row.conditions),
        allergies=tuple(row.allergies),
        implanted_devices=tuple(row.implanted_devices),
    )


def _patient_columns(entry: PatientEntry) -> dict[str, Any]:
    values = asdict(entry)
    for key in ("conditions", "allergies", "implanted_devices"):
        values[key] = list(values[key])
    return values


def _medication_entry(row: models.Medication) -> MedicationEntry:
    return MedicationEntry(
        row.drug, row.dose, row.dose_unit, row.frequency, row.started_on, row.stopped_on
    )


def _episode_entry(row: models.Episode) -> EpisodeEntry:
    return EpisodeEntry(row.title, row.started_on, row.ended_on)


def _episode_start(row: models.Session | models.Plan) -> date | None:
    if row.episode_id is None:
        return None
    session = object_session(row)
    episode = session.get(models.Episode, row.episode_id) if session is not None else None
    return None if episode is None else episode.started_on


def _plan_entry(row: models.Plan) -> PlanEntry:
    return PlanEntry(
        _from_db(row.planned_at),
        row.plan,
        tuple(row.alert_codes),
        row.kb_version,
        row.kb_sha256,
        _episode_start(row),
    )


def _session_entry(row: models.Session) -> SessionEntry:
    return SessionEntry(
        started_at=_from_db(row.started_at),
        duration_min=row.duration_min,
        modality=row.modality,
        points=tuple(row.points),
        electrode_pairs=tuple((a, b) for a, b in row.electrode_pairs),
        frequency_hz=row.frequency_hz,
        intensity_ma=row.intensity_ma,
        adverse_events=tuple(
            AdverseEvent(e["description"], e["severity"]) for e in row.adverse_events
        ),
        episode_started_on=_episode_start(row),
    )


def _assessment_entry(row: models.Assessment) -> ScoredAssessment:
    return ScoredAssessment(
        entry=AssessmentEntry(
            row.instrument,
            _from_db(row.administered_at),
            tuple(int(v) for v in row.items if v is not None),
            row.difficulty,
        ),
        total=row.total,
        severity=row.severity,
        subscales=dict(row.result.get("subscales", {})),
        alert_codes=tuple(row.result.get("alert_codes", ())),
        scoring_version=row.scoring_version,
    )


def _cortisol_entry(row: models.CortisolSample) -> CortisolEntry:
    return CortisolEntry(_from_db(row.collected_at), row.value, row.unit, row.assay, row.label)


def _hrv_entry(row: models.HrvRecording) -> HrvEntry:
    rr = None if row.rr_ms is None else tuple(float(v) for v in row.rr_ms)
    metrics = row.metrics
    return HrvEntry(
        _from_db(row.recorded_at),
        rr,
        metrics.get("rmssd_ms"),
        metrics.get("sdnn_ms"),
        metrics.get("mean_hr_bpm"),
    )


def _vitals_entry(row: models.VitalSignsReading, session_start: datetime) -> VitalsEntry:
    return VitalsEntry(
        _from_db(session_start),
        row.phase,
        row.minutes,
        row.heart_rate_bpm,
        row.systolic_mmhg,
        row.diastolic_mmhg,
    )


def _note_entry(row: models.Note) -> NoteEntry:
    return NoteEntry(_from_db(row.written_at), row.text)


def _alert_entry(row: models.SafetyAlert) -> AlertEntry:
    return AlertEntry(
        code=row.code,
        level=row.level,
        message=row.message,
        raised_at=_from_db(row.raised_at),
        assessment_id=row.assessment_id,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=_opt_from_db(row.acknowledged_at),
        acknowledgement_action=row.acknowledgement_action,
    )


# --------------------------------------------------------------------------------------
# Writer: all write paths inside one transaction
# --------------------------------------------------------------------------------------
@dataclass
class RecordWriter:
    """Write paths bound to one open transaction (see :meth:`RecordStore.writing`).

    Everything done through one writer commits together or not at all. Each ``add_*``
    method validates like its :class:`RecordStore` namesake and returns ``(stored,
    created)``; with ``if_exists="same"`` a row already stored with the same natural key
    and content is returned with ``created=False`` (idempotent import).

    Example
    -------
    >>> store = RecordStore.in_memory()
    >>> with store.writing("dr_a") as w:
    ...     first = w.add_patient(PatientEntry("p1"))[1]
    ...     again = w.add_patient(PatientEntry("p1"), if_exists="same")[1]
    >>> first, again
    (True, False)
    """

    session: Session
    actor: str
    now: datetime

    # ---- generic helpers -------------------------------------------------------------
    def _revision(self, row: models.Audited, operation: str) -> None:
        table = row.__table__  # type: ignore[attr-defined]
        snapshot = {c.name: _jsonable(getattr(row, c.key)) for c in table.columns}
        self.session.add(
            models.Revision(
                table_name=table.name,
                row_id=row.id,
                row_version=row.version,
                operation=operation,
                changed_at=_to_db(self.now),
                changed_by=self.actor,
                snapshot=snapshot,
            )
        )

    def _insert(self, row: _R) -> _R:
        stamp = _to_db(self.now)
        row.created_at = row.updated_at = stamp
        row.created_by = row.updated_by = self.actor
        self.session.add(row)
        self.session.flush()
        self._revision(row, "insert")
        return row

    def _update(self, row: _R, expected_version: int, changes: Mapping[str, Any]) -> _R:
        kind = row.__tablename__  # type: ignore[attr-defined]
        if row.version != expected_version:
            raise ConflictError(
                f"{kind}: the record changed since version {expected_version} "
                f"(now version {row.version}); reload and try again"
            )
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = _to_db(self.now)
        row.updated_by = self.actor
        try:
            self.session.flush()
        except StaleDataError:
            raise ConflictError(
                f"{kind}: the record was changed by someone else; reload and try again"
            ) from None
        self._revision(row, "update")
        return row

    def _add(
        self,
        model: type[_R],
        natural_key: Mapping[str, Any],
        make_row: Callable[[], _R],
        same_as_stored: Callable[[_R], bool],
        if_exists: IfExists,
    ) -> tuple[_R, bool]:
        existing = self.session.scalars(select(model).filter_by(**natural_key)).first()
        if existing is not None:
            if if_exists == "same" and same_as_stored(existing):
                return existing, False
            what = "differs from the stored one" if if_exists == "same" else "already exists"
            raise ConflictError(
                f"{model.__tablename__}: a record with the same "  # type: ignore[attr-defined]
                f"{', '.join(k for k in natural_key if k != 'patient_id')} {what}"
            )
        return self._insert(make_row()), True

    def _episode_id(self, patient_id: int, started_on: date | None, field: str) -> int | None:
        if started_on is None:
            return None
        episode = self.session.scalars(
            select(models.Episode).where(
                models.Episode.patient_id == patient_id,
                models.Episode.started_on == started_on,
                models.Episode.deleted_at.is_(None),
            )
        ).first()
        if episode is None:
            raise InputError(
                "no episode of this patient starts on this date",
                field=field,
                allowed="the start date of a stored episode",
            )
        return episode.id

    def _patient(self, pseudonym: str, *, lock: bool = True) -> models.Patient:
        check_pseudonym(pseudonym)
        query = select(models.Patient).where(models.Patient.pseudonym == pseudonym)
        if lock:  # serialises writes per patient on PostgreSQL (SQLite: BEGIN IMMEDIATE)
            query = query.with_for_update()
        row = self.session.scalars(query).first()
        if row is None or row.deleted_at is not None:
            raise NotFoundError("patient: no such patient id in this store")
        return row

    # ---- users and patients ----------------------------------------------------------
    def add_user(
        self, username: str, role: str, clinic: str | None = None, *, if_exists: IfExists = "error"
    ) -> Stored[tuple[str, str, str | None]]:
        """Add a web-app user (``role``: admin, clinician or researcher)."""
        name = check_text(username, "user.username", max_length=64)
        check_choice(role, "user.role", ROLES)
        place = None if clinic is None else check_text(clinic, "user.clinic", max_length=128)
        row, _ = self._add(
            models.User,
            {"username": name},
            lambda: models.User(username=name, role=role, clinic=place),
            lambda r: (r.role, r.clinic) == (role, place),
            if_exists,
        )
        return _stored(row, (row.username, row.role, row.clinic))

    def add_patient(
        self, entry: PatientEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[PatientEntry], bool]:
        """Add a patient; returns the stored patient and whether it was created."""
        clean = normalise_patient(entry)
        row, created = self._add(
            models.Patient,
            {"pseudonym": clean.pseudonym},
            lambda: models.Patient(**_patient_columns(clean)),
            lambda r: _patient_entry(r) == clean and r.deleted_at is None,
            if_exists,
        )
        return _stored(row, _patient_entry(row)), created

    def update_patient(
        self, pseudonym: str, expected_version: int, **changes: Any
    ) -> Stored[PatientEntry]:
        """Change patient fields, based on ``expected_version`` (stale: ConflictError)."""
        row = self._patient(pseudonym)
        unknown = set(changes) - set(PatientEntry.__dataclass_fields__) | {"pseudonym"} & set(
            changes
        )
        if unknown:
            raise InputError(
                "cannot be changed", field=f"patient.{sorted(unknown)[0]}", allowed="patient fields"
            )
        clean = normalise_patient(replace(_patient_entry(row), **changes))
        columns = _patient_columns(clean)
        self._update(row, expected_version, {k: columns[k] for k in changes})
        return _stored(row, _patient_entry(row))

    def soft_delete(
        self, table: str, row_id: int, reason: str, expected_version: int | None = None
    ) -> None:
        """Mark a row deleted with a reason (kept, with its history; never removed)."""
        model = _AUDITED_BY_NAME.get(table)
        if model is None:
            raise InputError("unknown table", field="table", allowed=", ".join(_AUDITED_BY_NAME))
        why = check_text(reason, "deletion_reason", max_length=500)
        row = self.session.get(model, row_id, with_for_update=True)
        if row is None or row.deleted_at is not None:
            raise NotFoundError(f"{table}: no such record")
        version = row.version if expected_version is None else expected_version
        self._update(
            row,
            version,
            {"deleted_at": _to_db(self.now), "deleted_by": self.actor, "deletion_reason": why},
        )
        self.session.flush()

    # ---- clinical rows ---------------------------------------------------------------
    def add_medication(
        self, pseudonym: str, entry: MedicationEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[MedicationEntry], bool]:
        """Add a medication (drug from the catalogue, stored by generic name)."""
        clean = normalise_medication(entry)
        patient = self._patient(pseudonym)
        row, created = self._add(
            models.Medication,
            {"patient_id": patient.id, "drug": clean.drug, "started_on": clean.started_on},
            lambda: models.Medication(patient_id=patient.id, **asdict(clean)),
            lambda r: _medication_entry(r) == clean,
            if_exists,
        )
        return _stored(row, _medication_entry(row)), created

    def add_episode(
        self, pseudonym: str, entry: EpisodeEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[EpisodeEntry], bool]:
        """Add a treatment episode."""
        clean = normalise_episode(entry)
        patient = self._patient(pseudonym)
        row, created = self._add(
            models.Episode,
            {"patient_id": patient.id, "started_on": clean.started_on},
            lambda: models.Episode(patient_id=patient.id, **asdict(clean)),
            lambda r: _episode_entry(r) == clean,
            if_exists,
        )
        return _stored(row, _episode_entry(row)), created

    def add_plan(
        self, pseudonym: str, entry: PlanEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[PlanEntry], bool]:
        """Store a plan (JSON) with its alert codes and knowledge-base version."""
        if not isinstance(entry.planned_at, datetime):
            raise InputError("not a date and time", field="plan.planned_at", allowed="ISO 8601")
        planned_at = utc(entry.planned_at)
        not_in_future(planned_at, "plan.planned_at")
        if entry.episode_started_on is not None and not isinstance(entry.episode_started_on, date):
            raise InputError("not a date", field="plan.episode_started_on", allowed="YYYY-MM-DD")
        if not isinstance(entry.plan, Mapping) or not entry.plan:
            raise InputError("is empty", field="plan.plan", allowed="the planner's JSON output")
        plan_json = json.loads(json.dumps(dict(entry.plan)))
        clean = replace(entry, planned_at=planned_at, plan=plan_json)
        patient = self._patient(pseudonym)
        episode_id = self._episode_id(
            patient.id, clean.episode_started_on, "plan.episode_started_on"
        )
        row, created = self._add(
            models.Plan,
            {"patient_id": patient.id, "planned_at": _to_db(planned_at)},
            lambda: models.Plan(
                patient_id=patient.id,
                episode_id=episode_id,
                planned_at=_to_db(planned_at),
                plan=plan_json,
                alert_codes=list(clean.alert_codes),
                kb_version=clean.kb_version,
                kb_sha256=clean.kb_sha256,
            ),
            lambda r: _plan_entry(r) == clean,
            if_exists,
        )
        return _stored(row, _plan_entry(row)), created

    def _check_overlap(self, patient_id: int, entry: SessionEntry) -> None:
        start = _to_db(entry.started_at)
        end = start + timedelta(minutes=entry.duration_min)
        earliest = start - timedelta(minutes=DURATION_MIN.high)
        nearby = self.session.scalars(
            select(models.Session).where(
                models.Session.patient_id == patient_id,
                models.Session.deleted_at.is_(None),
                models.Session.started_at > earliest,
                models.Session.started_at < end,
                models.Session.started_at != start,
            )
        )
        for other in nearby:
            if other.started_at + timedelta(minutes=other.duration_min) > start:
                raise InputError(
                    "overlaps another session of this patient",
                    field="session.started_at",
                    allowed="a time after the previous session ends",
                )

    def add_session(
        self, pseudonym: str, entry: SessionEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[SessionEntry], bool]:
        """Add a session; overlapping sessions of one patient are refused."""
        clean = normalise_session(entry)
        patient = self._patient(pseudonym)
        self._check_overlap(patient.id, clean)
        episode_id = self._episode_id(
            patient.id, clean.episode_started_on, "session.episode_started_on"
        )
        row, created = self._add(
            models.Session,
            {"patient_id": patient.id, "started_at": _to_db(clean.started_at)},
            lambda: models.Session(
                patient_id=patient.id,
                episode_id=episode_id,
                started_at=_to_db(clean.started_at),
                duration_min=clean.duration_min,
                modality=clean.modality,
                points=list(clean.points),
                electrode_pairs=[list(p) for p in clean.electrode_pairs],
                frequency_hz=clean.frequency_hz,
                intensity_ma=clean.intensity_ma,
                adverse_events=[asdict(e) for e in clean.adverse_events],
            ),
            lambda r: _session_entry(r) == clean,
            if_exists,
        )
        return _stored(row, _session_entry(row)), created

    def add_assessment(
        self, pseudonym: str, entry: AssessmentEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[ScoredAssessment], bool]:
        """Score and store an administration; an urgent alert (PHQ-9 item 9) is persisted."""
        scored = score_assessment(entry)
        clean = scored.entry
        patient = self._patient(pseudonym)
        row, created = self._add(
            models.Assessment,
            {
                "patient_id": patient.id,
                "instrument": clean.instrument,
                "administered_at": _to_db(clean.administered_at),
            },
            lambda: models.Assessment(
                patient_id=patient.id,
                instrument=clean.instrument,
                administered_at=_to_db(clean.administered_at),
                items=list(clean.items),
                difficulty=clean.difficulty,
                total=scored.total,
                severity=scored.severity,
                result={
                    "subscales": dict(scored.subscales),
                    "alert_codes": list(scored.alert_codes),
                },
                scoring_version=scored.scoring_version,
            ),
            lambda r: _assessment_entry(r).entry == clean,
            if_exists,
        )
        if created:
            self._raise_alerts(patient.id, row.id, entry)
        return _stored(row, _assessment_entry(row)), created

    def _raise_alerts(self, patient_id: int, assessment_id: int, entry: AssessmentEntry) -> None:
        _, result = normalise_assessment(entry)
        for alert in result.alerts:
            if alert.level != "urgent":
                continue
            self._insert(
                models.SafetyAlert(
                    patient_id=patient_id,
                    assessment_id=assessment_id,
                    code=alert.code,
                    level=alert.level,
                    message=alert.message,
                    raised_at=_to_db(self.now),
                )
            )

    def acknowledge_alert(
        self, alert_id: int, action: str, expected_version: int | None = None
    ) -> Stored[AlertEntry]:
        """Record who acknowledged an alert, when, and the action taken.

        A registered user (``users`` table) must be a clinician or an admin; a researcher
        may not acknowledge a safety alert (PermissionDeniedError).
        """
        what = check_text(action, "alert.action", max_length=1000)
        user = self.session.scalars(
            select(models.User).where(models.User.username == self.actor)
        ).first()
        if user is not None and user.role not in ("clinician", "admin"):
            raise PermissionDeniedError("alert: only a clinician or an admin can acknowledge it")
        row = self.session.get(models.SafetyAlert, alert_id, with_for_update=True)
        if row is None or row.deleted_at is not None:
            raise NotFoundError("alert: no such alert")
        if row.acknowledged_at is not None:
            raise ConflictError("alert: already acknowledged")
        self._update(
            row,
            row.version if expected_version is None else expected_version,
            {
                "acknowledged_by": self.actor,
                "acknowledged_at": _to_db(self.now),
                "acknowledgement_action": what,
            },
        )
        return _stored(row, _alert_entry(row))

    def add_cortisol(
        self, pseudonym: str, entry: CortisolEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[CortisolEntry], bool]:
        """Add a salivary cortisol sample."""
        clean = normalise_cortisol(entry)
        patient = self._patient(pseudonym)
        row, created = self._add(
            models.CortisolSample,
            {"patient_id": patient.id, "collected_at": _to_db(clean.collected_at)},
            lambda: models.CortisolSample(
                patient_id=patient.id,
                collected_at=_to_db(clean.collected_at),
                value=clean.value,
                unit=clean.unit,
                assay=clean.assay,
                label=clean.label,
            ),
            lambda r: _cortisol_entry(r) == clean,
            if_exists,
        )
        return _stored(row, _cortisol_entry(row)), created

    def add_hrv(
        self, pseudonym: str, entry: HrvEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[HrvEntry], bool]:
        """Add an HRV recording (an RR series, or a summary)."""
        clean = normalise_hrv(entry)
        patient = self._patient(pseudonym)
        metrics = {
            "rmssd_ms": clean.rmssd_ms,
            "sdnn_ms": clean.sdnn_ms,
            "mean_hr_bpm": clean.mean_hr_bpm,
        }
        row, created = self._add(
            models.HrvRecording,
            {"patient_id": patient.id, "recorded_at": _to_db(clean.recorded_at)},
            lambda: models.HrvRecording(
                patient_id=patient.id,
                recorded_at=_to_db(clean.recorded_at),
                rr_ms=None if clean.rr_ms is None else list(clean.rr_ms),
                metrics=metrics,
            ),
            lambda r: _hrv_entry(r) == clean,
            if_exists,
        )
        return _stored(row, _hrv_entry(row)), created

    def add_vitals(
        self, pseudonym: str, entry: VitalsEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[VitalsEntry], bool]:
        """Add a heart-rate / blood-pressure reading around an existing session."""
        clean = normalise_vitals(entry)
        patient = self._patient(pseudonym)
        session_row = self.session.scalars(
            select(models.Session).where(
                models.Session.patient_id == patient.id,
                models.Session.started_at == _to_db(clean.session_started_at),
                models.Session.deleted_at.is_(None),
            )
        ).first()
        if session_row is None:
            raise InputError(
                "no session of this patient starts at this time",
                field="vitals.session_started_at",
                allowed="the start time of a stored session",
            )
        start = session_row.started_at
        row, created = self._add(
            models.VitalSignsReading,
            {"session_id": session_row.id, "phase": clean.phase, "minutes": clean.minutes},
            lambda: models.VitalSignsReading(
                patient_id=patient.id,
                session_id=session_row.id,
                phase=clean.phase,
                minutes=clean.minutes,
                heart_rate_bpm=clean.heart_rate_bpm,
                systolic_mmhg=clean.systolic_mmhg,
                diastolic_mmhg=clean.diastolic_mmhg,
            ),
            lambda r: _vitals_entry(r, start) == clean,
            if_exists,
        )
        return _stored(row, _vitals_entry(row, start)), created

    def add_note(
        self, pseudonym: str, entry: NoteEntry, *, if_exists: IfExists = "error"
    ) -> tuple[Stored[NoteEntry], bool]:
        """Add a clinical note."""
        clean = normalise_note(entry)
        patient = self._patient(pseudonym)
        row, created = self._add(
            models.Note,
            {"patient_id": patient.id, "written_at": _to_db(clean.written_at)},
            lambda: models.Note(
                patient_id=patient.id, written_at=_to_db(clean.written_at), text=clean.text
            ),
            lambda r: _note_entry(r) == clean,
            if_exists,
        )
        return _stored(row, _note_entry(row)), created

    def update_note(self, note_id: int, expected_version: int, text: str) -> Stored[NoteEntry]:
        """Change a note's text, based on ``expected_version`` (the old text stays in history)."""
        new_text = check_text(text, "note.text")
        row = self.session.get(models.Note, note_id, with_for_update=True)
        if row is None or row.deleted_at is not None:
            raise NotFoundError("note: no such note")
        self._update(row, expected_version, {"text": new_text})
        return _stored(row, _note_entry(row))


_AUDITED_BY_NAME: dict[str, type[models.Audited]] = {
    m.__tablename__: m  # type: ignore[attr-defined]
    for m in models.AUDITED_TABLES
}


# --------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------
class RecordStore:
    """Patient records in SQLite (default) or PostgreSQL, opened by URL or file path.

    ``url``: a SQLAlchemy URL, a file path, or ``None`` for ``HPATWIN_DATABASE_URL`` or
    the default file (see :mod:`hpatwin.records.db`). Call :meth:`init` once to create
    or upgrade the schema.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None) -> None:
        self.url = resolve_url(url)
        self.engine: Engine = make_engine(self.url)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._schema_checked = False

    @classmethod
    def in_memory(cls) -> RecordStore:
        """An initialised, empty in-memory SQLite store (examples and tests).

        Example
        -------
        >>> RecordStore.in_memory().patients()
        []
        """
        store = cls("sqlite://")
        store.init()
        return store

    def __repr__(self) -> str:
        return f"RecordStore({redacted(self.url)!r})"

    def close(self) -> None:
        """Release the connections.

        Example
        -------
        >>> RecordStore("sqlite://").close()
        """
        self.engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``.

        Example
        -------
        >>> RecordStore("sqlite://").backend
        'sqlite'
        """
        return self.engine.dialect.name

    def init(self) -> str:
        """Create or upgrade the schema to the newest revision; returns it.

        Example
        -------
        >>> RecordStore("sqlite://").init()
        '0002_safety_alerts'
        """
        with self._write_engine.begin() as connection:
            upgrade(connection)
            revision = current_revision(connection) or ""
        self._schema_checked = True
        return revision

    def revision(self) -> str | None:
        """The schema revision of the database (``None`` if not initialised).

        Example
        -------
        >>> RecordStore("sqlite://").revision() is None
        True
        """
        with self.engine.connect() as connection:
            return current_revision(connection)

    def _check_schema(self) -> None:
        if self._schema_checked:
            return
        if self.revision() != HEAD:
            raise InputError(
                "the record store is not initialised or not up to date",
                field="--db",
                allowed="run `hpatwin records init` first",
            )
        self._schema_checked = True

    @contextmanager
    def writing(self, actor: str) -> Iterator[RecordWriter]:
        """One write transaction: everything done through the writer commits together.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> with store.writing("dr_a") as w:
        ...     _ = w.add_note("p1", NoteEntry(datetime(2024, 3, 1, 9), "a"))
        ...     _ = w.add_note("p1", NoteEntry(datetime(2024, 3, 1, 10), "b"))
        >>> len(store.load("p1").notes)
        2
        """
        who = check_text(actor, "actor", max_length=64)
        self._check_schema()
        session = Session(self._write_engine, expire_on_commit=False)
        try:
            with session.begin():
                yield RecordWriter(session, who, datetime.now(UTC))
        except IntegrityError:
            raise ConflictError(
                "a record with the same natural key was written concurrently; retry"
            ) from None
        except OperationalError as exc:
            raise ResourceError(f"database error ({type(exc.orig).__name__})") from None
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (nothing is committed).

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> with store.reading() as session:
        ...     session.get(models.Patient, 1).pseudonym
        'p1'
        """
        self._check_schema()
        with Session(self.engine) as session:
            yield session

    # ---- one-call write paths (each its own transaction) ------------------------------
    def add_user(
        self, username: str, role: str, clinic: str | None = None, *, actor: str
    ) -> Stored[tuple[str, str, str | None]]:
        """Add a web-app user.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> store.add_user("dr_a", "clinician", "Clinic A", actor="admin").entry
        ('dr_a', 'clinician', 'Clinic A')
        """
        with self.writing(actor) as w:
            return w.add_user(username, role, clinic)

    def add_patient(self, entry: PatientEntry, *, actor: str) -> Stored[PatientEntry]:
        """Add a patient (a duplicate pseudonym raises ConflictError).

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> store.add_patient(PatientEntry("p1", sex="female"), actor="dr_a").version
        1
        """
        with self.writing(actor) as w:
            return w.add_patient(entry)[0]

    def update_patient(
        self, pseudonym: str, expected_version: int, *, actor: str, **changes: Any
    ) -> Stored[PatientEntry]:
        """Change patient fields based on ``expected_version``.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> p = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> store.update_patient("p1", p.version, birth_year=1970, actor="dr_a").version
        2
        """
        with self.writing(actor) as w:
            return w.update_patient(pseudonym, expected_version, **changes)

    def soft_delete(
        self,
        table: str,
        row_id: int,
        reason: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> None:
        """Soft-delete a row with a reason.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> n = store.add_note("p1", NoteEntry(datetime(2024, 1, 1, 9), "x"), actor="dr_a")
        >>> store.soft_delete("notes", n.id, "wrong patient", actor="dr_a")
        >>> store.load("p1").notes, store.history("notes", n.id)[-1]["operation"]
        ((), 'update')
        """
        with self.writing(actor) as w:
            w.soft_delete(table, row_id, reason, expected_version)

    def add_medication(
        self, pseudonym: str, entry: MedicationEntry, *, actor: str
    ) -> Stored[MedicationEntry]:
        """Add a medication.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> m = MedicationEntry("Cymbalta", 60, "mg", "qd", date(2024, 1, 2))
        >>> store.add_medication("p1", m, actor="dr_a").entry.drug
        'duloxetine'
        """
        with self.writing(actor) as w:
            return w.add_medication(pseudonym, entry)[0]

    def add_episode(
        self, pseudonym: str, entry: EpisodeEntry, *, actor: str
    ) -> Stored[EpisodeEntry]:
        """Add a treatment episode.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> store.add_episode("p1", EpisodeEntry("EA course", date(2024, 3, 1)), actor="dr_a").entry.title
        'EA course'
        """
        with self.writing(actor) as w:
            return w.add_episode(pseudonym, entry)[0]

    def add_plan(
        self,
        pseudonym: str,
        plan: PlannerPlan | PlanEntry,
        *,
        actor: str,
        planned_at: datetime | None = None,
        episode_started_on: date | None = None,
    ) -> Stored[PlanEntry]:
        """Store a planner :class:`~hpatwin.clinic.planner.Plan` (or a :class:`PlanEntry`).

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> from hpatwin.clinic.planner import build_plan
        >>> plan = build_plan({"age_years": 40, "sex": "female", "phq9_total": 12, "phq9_item9": 0,
        ...                    "pain_nrs": 6, "pain_duration_months": 12})
        >>> stored = store.add_plan("p1", plan, actor="dr_a", planned_at=datetime(2024, 3, 1, 9))
        >>> stored.entry.kb_sha256 == plan.knowledge_base.sha256
        True
        """
        entry = (
            plan
            if isinstance(plan, PlanEntry)
            else plan_entry(plan, planned_at, episode_started_on)
        )
        with self.writing(actor) as w:
            return w.add_plan(pseudonym, entry)[0]

    def add_session(
        self, pseudonym: str, entry: SessionEntry, *, actor: str
    ) -> Stored[SessionEntry]:
        """Add a treatment session.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> s = store.add_session("p1", SessionEntry(datetime(2024, 3, 1, 9), 30, "ea", points=("LI4", "LR3"),
        ...     frequency_hz="2/100", intensity_ma=2.5), actor="dr_a")
        >>> s.entry.frequency_hz, s.entry.intensity_ma
        ('2/100', 2.5)
        """
        with self.writing(actor) as w:
            return w.add_session(pseudonym, entry)[0]

    def add_assessment(
        self, pseudonym: str, entry: AssessmentEntry, *, actor: str
    ) -> Stored[ScoredAssessment]:
        """Score and add an instrument administration.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> a = AssessmentEntry("gad7", datetime(2024, 3, 1, 9), (1,) * 7)
        >>> store.add_assessment("p1", a, actor="dr_a").entry.severity
        'mild'
        """
        with self.writing(actor) as w:
            return w.add_assessment(pseudonym, entry)[0]

    def add_cortisol(
        self, pseudonym: str, entry: CortisolEntry, *, actor: str
    ) -> Stored[CortisolEntry]:
        """Add a salivary cortisol sample.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> c = CortisolEntry(datetime(2024, 3, 1, 23), 120, "ng/dL", "LC-MS/MS", "late night")
        >>> store.add_cortisol("p1", c, actor="dr_a").entry.unit
        'ng/dL'
        """
        with self.writing(actor) as w:
            return w.add_cortisol(pseudonym, entry)[0]

    def add_hrv(self, pseudonym: str, entry: HrvEntry, *, actor: str) -> Stored[HrvEntry]:
        """Add an HRV recording.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> store.add_hrv("p1", HrvEntry(datetime(2024, 3, 1, 8), rmssd_ms=32.0), actor="dr_a").entry.rmssd_ms
        32.0
        """
        with self.writing(actor) as w:
            return w.add_hrv(pseudonym, entry)[0]

    def add_vitals(self, pseudonym: str, entry: VitalsEntry, *, actor: str) -> Stored[VitalsEntry]:
        """Add a vital-signs reading around a session.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> _ = store.add_session("p1", SessionEntry(datetime(2024, 3, 1, 9), 30, "manual", ("LI4",)), actor="dr_a")
        >>> v = VitalsEntry(datetime(2024, 3, 1, 9), "after", 10, 66, 118, 76)
        >>> store.add_vitals("p1", v, actor="dr_a").entry.heart_rate_bpm
        66.0
        """
        with self.writing(actor) as w:
            return w.add_vitals(pseudonym, entry)[0]

    def add_note(self, pseudonym: str, entry: NoteEntry, *, actor: str) -> Stored[NoteEntry]:
        """Add a clinical note.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> store.add_note("p1", NoteEntry(datetime(2024, 3, 1, 9), "tolerated well"), actor="dr_a").version
        1
        """
        with self.writing(actor) as w:
            return w.add_note(pseudonym, entry)[0]

    def update_note(
        self, note_id: int, expected_version: int, text: str, *, actor: str
    ) -> Stored[NoteEntry]:
        """Change a note's text based on ``expected_version``.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> n = store.add_note("p1", NoteEntry(datetime(2024, 3, 1, 9), "first"), actor="dr_a")
        >>> store.update_note(n.id, n.version, "second", actor="dr_b").entry.text
        'second'
        """
        with self.writing(actor) as w:
            return w.update_note(note_id, expected_version, text)

    def acknowledge_alert(
        self, alert_id: int, action: str, *, actor: str, expected_version: int | None = None
    ) -> Stored[AlertEntry]:
        """Acknowledge an alert: who (``actor``), when (now) and what was done.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> a = AssessmentEntry("phq9", datetime(2024, 3, 1, 9), (0,) * 8 + (1,))
        >>> _ = store.add_assessment("p1", a, actor="nurse")
        >>> alert = store.load("p1").open_alerts[0]
        >>> store.acknowledge_alert(alert.id, "risk assessment", actor="dr_a").entry.acknowledged_by
        'dr_a'
        """
        with self.writing(actor) as w:
            return w.acknowledge_alert(alert_id, action, expected_version)

    # ---- reads -----------------------------------------------------------------------
    def patients(self) -> list[Stored[PatientEntry]]:
        """All patients not deleted, by pseudonym.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> [p.entry.pseudonym for p in store.patients()]
        ['p1']
        """
        with self.reading() as s:
            rows = s.scalars(
                select(models.Patient)
                .where(models.Patient.deleted_at.is_(None))
                .order_by(models.Patient.pseudonym)
            )
            return [_stored(r, _patient_entry(r)) for r in rows]

    def load(self, pseudonym: str) -> PatientRecord:
        """The full record of one patient (see :func:`load_patient_record`).

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> store.load("p1").patient.entry.pseudonym
        'p1'
        """
        return load_patient_record(self, pseudonym)

    def history(self, table: str, row_id: int) -> list[dict[str, Any]]:
        """Every revision of a row, oldest first (operation, who, when, snapshot).

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> [h["operation"] for h in store.history("patients", 1)]
        ['insert']
        """
        with self.reading() as s:
            rows = s.scalars(
                select(models.Revision)
                .where(models.Revision.table_name == table, models.Revision.row_id == row_id)
                .order_by(models.Revision.id)
            )
            return [
                {
                    "operation": r.operation,
                    "version": r.row_version,
                    "changed_by": r.changed_by,
                    "changed_at": _from_db(r.changed_at).isoformat(),
                    "snapshot": r.snapshot,
                }
                for r in rows
            ]

    def counts(self) -> dict[str, int]:
        """Row counts per table (including soft-deleted rows), for reports and tests.

        Example
        -------
        >>> store = RecordStore.in_memory()
        >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
        >>> store.counts()["patients"], store.counts()["revisions"]
        (1, 1)
        """
        with self.reading() as s:
            return {
                name: len(s.scalars(select(model.id)).all())  # type: ignore[attr-defined]
                for name, model in {**_AUDITED_BY_NAME, "revisions": models.Revision}.items()
            }


def plan_entry(
    plan: PlannerPlan, planned_at: datetime | None = None, episode_started_on: date | None = None
) -> PlanEntry:
    """A :class:`PlanEntry` from a planner plan: JSON, alert codes, KB version and hash.

    Example
    -------
    >>> from hpatwin.clinic.planner import build_plan
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> plan_entry(plan, datetime(2024, 1, 1, 9)).plan["kind"]
    'hpatwin.plan'
    """
    return PlanEntry(
        planned_at=utc(planned_at or datetime.now(UTC)),
        plan=json.loads(plan.to_json()),
        alert_codes=tuple(a.code for a in plan.alerts),
        kb_version=plan.knowledge_base.version,
        kb_sha256=plan.knowledge_base.sha256,
        episode_started_on=episode_started_on,
    )


def _live(rows: Sequence[_R]) -> list[_R]:
    return [r for r in rows if r.deleted_at is None]


def load_patient_record(store: RecordStore, pseudonym: str) -> PatientRecord:
    """The full record of a patient as frozen dataclasses (soft-deleted rows left out).

    Example
    -------
    >>> store = RecordStore("sqlite://"); _ = store.init()
    >>> _ = store.add_patient(PatientEntry("p9"), actor="dr_a")
    >>> load_patient_record(store, "p9").patient.version
    1
    """
    check_pseudonym(pseudonym)
    with store.reading() as s:
        patient = s.scalars(
            select(models.Patient).where(models.Patient.pseudonym == pseudonym)
        ).first()
        if patient is None or patient.deleted_at is not None:
            raise NotFoundError("patient: no such patient id in this store")

        def rows(model: type[_R], order: Any) -> list[_R]:
            query = select(model).where(model.patient_id == patient.id)  # type: ignore[attr-defined]
            return _live(list(s.scalars(query.order_by(order, model.id))))

        sessions = rows(models.Session, models.Session.started_at)
        starts = {r.id: r.started_at for r in sessions}
        return PatientRecord(
            patient=_stored(patient, _patient_entry(patient)),
            medications=tuple(
                _stored(r, _medication_entry(r))
                for r in rows(models.Medication, models.Medication.started_on)
            ),
            episodes=tuple(
                _stored(r, _episode_entry(r))
                for r in rows(models.Episode, models.Episode.started_on)
            ),
            plans=tuple(
                _stored(r, _plan_entry(r)) for r in rows(models.Plan, models.Plan.planned_at)
            ),
            sessions=tuple(_stored(r, _session_entry(r)) for r in sessions),
            assessments=tuple(
                _stored(r, _assessment_entry(r))
                for r in rows(models.Assessment, models.Assessment.administered_at)
            ),
            cortisol=tuple(
                _stored(r, _cortisol_entry(r))
                for r in rows(models.CortisolSample, models.CortisolSample.collected_at)
            ),
            hrv=tuple(
                _stored(r, _hrv_entry(r))
                for r in rows(models.HrvRecording, models.HrvRecording.recorded_at)
            ),
            vitals=tuple(
                _stored(r, _vitals_entry(r, starts[r.session_id]))
                for r in rows(models.VitalSignsReading, models.VitalSignsReading.session_id)
                if r.session_id in starts
            ),
            notes=tuple(
                _stored(r, _note_entry(r)) for r in rows(models.Note, models.Note.written_at)
            ),
            alerts=tuple(
                _stored(r, _alert_entry(r))
                for r in rows(models.SafetyAlert, models.SafetyAlert.raised_at)
            ),
        )
