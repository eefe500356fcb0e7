"""SQLAlchemy 2 models of the patient record store (schema: ``docs/records-schema.md``).

Every clinical row carries who created and last changed it and when, a ``version``
column used for optimistic locking (SQLAlchemy ``version_id_col``), and soft-deletion
fields (``deleted_at``, ``deleted_by``, ``deletion_reason``). Each insert, update and
soft delete also writes a :class:`Revision` (a JSON snapshot) in the same transaction.
Times are stored as naive UTC; lists and nested values as JSON.

The schema itself is created by the Alembic migrations in
:mod:`hpatwin.records.migrations`, never by ``create_all`` in production code; a test
checks that the migrations and these models agree.

Example
-------
>>> sorted(Base.metadata.tables)[:3]
['assessments', 'cortisol_samples', 'episodes']
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

__all__ = [
    "AUDITED_TABLES",
    "Assessment",
    "Audited",
    "Base",
    "CortisolSample",
    "Episode",
    "HrvRecording",
    "Medication",
    "Note",
    "Patient",
    "PatientRow",
    "Plan",
    "Revision",
    "SafetyAlert",
    "Session",
    "User",
    "VitalSignsReading",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migration names)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Audited:
    """Columns every clinical row carries: id, version, who/when, soft deletion."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(64), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(64))
    deletion_reason: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy's declared_attr
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class User(Audited, Base):
    """A user of the web app: username, role, clinic; the password hash comes later (argon2)."""

    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    clinic: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(256))


class Patient(Audited, Base):
    """A patient under a pseudonymous id, with what the safety screen needs."""

    __tablename__ = "patients"
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(16), nullable=False)
    pregnant: Mapped[bool] = mapped_column(Boolean, nullable=False)
    pregnancy_start_on: Mapped[date | None] = mapped_column(Date)
    pregnancy_due_on: Mapped[date | None] = mapped_column(Date)
    lactating: Mapped[bool] = mapped_column(Boolean, nullable=False)
    hepatic_function: Mapped[str] = mapped_column(String(32), nullable=False)
    creatinine_clearance_ml_min: Mapped[float | None] = mapped_column(Float)
    conditions: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    allergies: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    implanted_devices: Mapped[list[str]] = mapped_column(JSON, nullable=False)


class PatientRow(Audited):
    """Mixin: a row that belongs to one patient."""

    @declared_attr
    def patient_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy's declared_attr
        return mapped_column(ForeignKey("patients.id"), nullable=False, index=True)


class Medication(PatientRow, Base):
    """A medication from the drug catalogue: dose, unit, frequency, start and stop."""

    __tablename__ = "medications"
    __table_args__ = (UniqueConstraint("patient_id", "drug", "started_on"),)
    drug: Mapped[str] = mapped_column(String(64), nullable=False)
    dose: Mapped[float] = mapped_column(Float, nullable=False)
    dose_unit: Mapped[str] = mapped_column(String(16), nullable=False)
    frequency: Mapped[str] = mapped_column(String(16), nullable=False)
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    stopped_on: Mapped[date | None] = mapped_column(Date)


class Episode(PatientRow, Base):
    """A treatment episode (a course of care with a start and an optional end)."""

    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("patient_id", "started_on"),)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Plan(PatientRow, Base):
    """A stored planner output (JSON) with its alerts and the knowledge-base version used."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("patient_id", "planned_at"),)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id"))
    planned_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    alert_codes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    kb_version: Mapped[str] = mapped_column(String(64), nullable=False)
    kb_sha256: Mapped[str] = mapped_column(String(64), nullable=False)


class Session(PatientRow, Base):
    """A treatment session: modality, points, electrode pairs, EA settings, adverse events."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("patient_id", "started_at"),)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    duration_min: Mapped[float] = mapped_column(Float, nullable=False)
    modality: Mapped[str] = mapped_column(String(16), nullable=False)
    points: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    electrode_pairs: Mapped[list[list[str]]] = mapped_column(JSON, nullable=False)
    frequency_hz: Mapped[str | None] = mapped_column(String(32))
    intensity_ma: Mapped[float | None] = mapped_column(Float)
    adverse_events: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False)


class Assessment(PatientRow, Base):
    """One scored instrument administration: answers, result and the scoring version."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("patient_id", "instrument", "administered_at"),)
    instrument: Mapped[str] = mapped_column(String(16), nullable=False)
    administered_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    items: Mapped[list[int | None]] = mapped_column(JSON, nullable=False)
    difficulty: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float, nullable=False)
    severity: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    scoring_version: Mapped[str] = mapped_column(String(32), nullable=False)


class CortisolSample(PatientRow, Base):
    """A salivary cortisol sample with clock time, value in its unit, and assay."""

    __tablename__ = "cortisol_samples"
    __table_args__ = (UniqueConstraint("patient_id", "collected_at"),)
    collected_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(16), nullable=False)
    assay: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)


class HrvRecording(PatientRow, Base):
    """HRV from an RR series (``rr_ms``) or a summary (metrics only)."""

    __tablename__ = "hrv_recordings"
    __table_args__ = (UniqueConstraint("patient_id", "recorded_at"),)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    rr_ms: Mapped[list[float] | None] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class VitalSignsReading(PatientRow, Base):
    """Heart rate and blood pressure before or after a session."""

    __tablename__ = "vital_signs"
    __table_args__ = (UniqueConstraint("session_id", "phase", "minutes"),)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), nullable=False)
    phase: Mapped[str] = mapped_column(String(8), nullable=False)
    minutes: Mapped[float] = mapped_column(Float, nullable=False)
    heart_rate_bpm: Mapped[float | None] = mapped_column(Float)
    systolic_mmhg: Mapped[float | None] = mapped_column(Float)
    diastolic_mmhg: Mapped[float | None] = mapped_column(Float)


class Note(PatientRow, Base):
    """A free-text clinical note."""

    __tablename__ = "notes"
    __table_args__ = (UniqueConstraint("patient_id", "written_at"),)
    written_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)


class SafetyAlert(PatientRow, Base):
    """A persisted alert (e.g. PHQ-9 item 9), shown until a clinician acknowledges it."""

    __tablename__ = "safety_alerts"
    __table_args__ = (UniqueConstraint("assessment_id", "code"),)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    raised_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledgement_action: Mapped[str | None] = mapped_column(Text)


class Revision(Base):
    """History: one JSON snapshot per insert, update or soft delete, same transaction."""

    __tablename__ = "revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64), nullable=False)
    row_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    operation: Mapped[str] = mapped_column(String(16), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(64), nullable=False)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


AUDITED_TABLES: tuple[type[Audited], ...] = (
    User,
    Patient,
    Medication,
    Episode,
    Plan,
    Session,
    Assessment,
    CortisolSample,
    HrvRecording,
    VitalSignsReading,
    Note,
    SafetyAlert,
)
"""Every table whose rows carry audit columns and a revision history."""
