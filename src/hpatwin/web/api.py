"""The JSON API under ``/api`` (OpenAPI at ``/api/openapi.json``): patients, assessments, sessions, alerts.

Clinicians only (their own clinic's patients), through the same authorisation dependency
as the pages; state-changing calls need the session's token in ``X-CSRF-Token``.
Errors are ``{"detail": ...}`` with 401, 403, 404, 409 or 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hpatwin.errors import NotFoundError
from hpatwin.records.entries import (
    AdverseEvent,
    AlertEntry,
    AssessmentEntry,
    ScoredAssessment,
    SessionEntry,
    Stored,
)
from hpatwin.web.core import (
    allow,
    authorize,
    check_patient_access,
    context,
    current,
    visible_pseudonyms,
)
from hpatwin.web.views import flags, research_row

__all__ = ["router"]


class ErrorOut(BaseModel):
    """An error: a message naming the field, or FastAPI's validation list."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)
}
router = APIRouter(prefix="/api", dependencies=[Depends(authorize)], responses=ERRORS)


def _plausible(value: datetime) -> datetime:
    if not 1900 <= value.year <= 2200:
        raise ValueError("year outside 1900-2200")
    return value


class PatientOut(BaseModel):
    """A patient in the list, with flags."""

    pseudonym: str
    sessions: int
    open_alerts: int
    review_flags: list[str]
    assessments_due: list[str]


class ResearchRowOut(BaseModel):
    """A de-identified patient summary (keyed research id; no pseudonym, dates or free text)."""

    research_id: str
    sex: str
    age_band: str
    sessions: int
    phq9_first: float | None
    phq9_last: float | None
    nrs_first: float | None
    nrs_last: float | None


class AssessmentIn(BaseModel):
    """An administration: instrument, time, answers in item order."""

    model_config = ConfigDict(extra="forbid")
    instrument: Literal["phq9", "gad7", "nrs", "bpi", "pcs", "isi"]
    administered_at: datetime
    items: list[int] = Field(min_length=1, max_length=13)
    difficulty: int | None = None

    _when = field_validator("administered_at")(_plausible)


class AssessmentOut(BaseModel):
    """A stored, scored administration."""

    id: int
    version: int
    instrument: str
    administered_at: datetime
    items: list[int]
    total: float
    severity: str | None
    alert_codes: list[str]


class AdverseEventIn(BaseModel):
    """An adverse event."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field(max_length=500)
    severity: Literal["mild", "moderate", "severe"]


class SessionIn(BaseModel):
    """A treatment session as delivered."""

    model_config = ConfigDict(extra="forbid")
    started_at: datetime
    duration_min: float = Field(allow_inf_nan=False)
    modality: Literal["ea", "manual", "sham", "dry_needling", "cbt"]
    points: list[str] = Field(default_factory=list, max_length=40)
    electrode_pairs: list[tuple[str, str]] = Field(default_factory=list, max_length=20)
    frequency_hz: str | None = Field(default=None, max_length=32)
    intensity_ma: float | None = Field(default=None, allow_inf_nan=False)
    adverse_events: list[AdverseEventIn] = Field(default_factory=list, max_length=20)

    _when = field_validator("started_at")(_plausible)


class SessionOut(BaseModel):
    """A stored session."""

    id: int
    version: int
    started_at: datetime
    duration_min: float
    modality: str
    points: list[str]
    electrode_pairs: list[tuple[str, str]]
    frequency_hz: str | None
    intensity_ma: float | None
    adverse_events: list[AdverseEventIn]


class AlertOut(BaseModel):
    """A persisted safety alert."""

    id: int
    version: int
    code: str
    level: str
    message: str
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledgement_action: str | None


class AcknowledgeIn(BaseModel):
    """What the clinician did about the alert."""

    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=1000)


def _assessment(s: Stored[ScoredAssessment]) -> AssessmentOut:
    e = s.entry
    return AssessmentOut(
        id=s.id, version=s.version, instrument=e.entry.instrument,
        administered_at=e.entry.administered_at, items=list(e.entry.items), total=e.total,
        severity=e.severity, alert_codes=list(e.alert_codes),
    )


def _session(s: Stored[SessionEntry]) -> SessionOut:
    e = s.entry
    return SessionOut(
        id=s.id, version=s.version, started_at=e.started_at, duration_min=e.duration_min,
        modality=e.modality, points=list(e.points), electrode_pairs=list(e.electrode_pairs),
        frequency_hz=e.frequency_hz, intensity_ma=e.intensity_ma,
        adverse_events=[AdverseEventIn(description=a.description, severity=a.severity)
                        for a in e.adverse_events],
    )


def _alert(s: Stored[AlertEntry]) -> AlertOut:
    e = s.entry
    return AlertOut(
        id=s.id, version=s.version, code=e.code, level=e.level, message=e.message,
        raised_at=e.raised_at, acknowledged_by=e.acknowledged_by,
        acknowledged_at=e.acknowledged_at, acknowledgement_action=e.acknowledgement_action,
    )


@router.get("/openapi.json", include_in_schema=False)
@allow("admin", "clinician", "researcher")
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI schema (for logged-in users)."""
    return JSONResponse(request.app.openapi())


@router.get("/patients")
@allow("clinician")
def list_patients(request: Request) -> list[PatientOut]:
    """The clinic's patients with flags."""
    ctx, me = context(request), current(request)
    with ctx.store.reading() as db:
        mine = visible_pseudonyms(db, me)
    out = []
    for stored in ctx.store.patients():
        if stored.entry.pseudonym not in mine:
            continue
        record = ctx.store.load(stored.entry.pseudonym)
        f = flags(record, ctx.config.clock())
        out.append(PatientOut(pseudonym=stored.entry.pseudonym, sessions=len(record.sessions),
                              open_alerts=f.open_alerts, review_flags=list(f.review),
                              assessments_due=list(f.due)))
    ctx.audit(me, "api.patient.list", detail=f"rows={len(out)}")
    return out


@router.get("/patients/{pseudonym}/assessments")
@allow("clinician")
def list_assessments(request: Request, pseudonym: str) -> list[AssessmentOut]:
    """A patient's assessments, oldest first."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    record = ctx.store.load(pseudonym)
    ctx.audit(me, "api.assessment.read", target=pseudonym)
    return [_assessment(a) for a in record.assessments]


@router.post("/patients/{pseudonym}/assessments", status_code=201)
@allow("clinician")
def add_assessment(request: Request, pseudonym: str, body: AssessmentIn) -> AssessmentOut:
    """Score and store an administration (an urgent PHQ-9 item-9 alert is persisted)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    entry = AssessmentEntry(body.instrument, body.administered_at, tuple(body.items),
                            body.difficulty)
    with ctx.store.writing(me.username) as w:
        stored, _ = w.add_assessment(pseudonym, entry)
        ctx.audit_in(
            w.session, me, action="api.assessment.add", target=f"{pseudonym}/assessment/{stored.id}")
    return _assessment(stored)


@router.get("/patients/{pseudonym}/sessions")
@allow("clinician")
def list_sessions(request: Request, pseudonym: str) -> list[SessionOut]:
    """A patient's sessions, oldest first."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    record = ctx.store.load(pseudonym)
    ctx.audit(me, "api.session.read", target=pseudonym)
    return [_session(s) for s in record.sessions]


@router.post("/patients/{pseudonym}/sessions", status_code=201)
@allow("clinician")
def add_session(request: Request, pseudonym: str, body: SessionIn) -> SessionOut:
    """Store a session."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    entry = SessionEntry(
        body.started_at, body.duration_min, body.modality, tuple(body.points),
        tuple(body.electrode_pairs), body.frequency_hz, body.intensity_ma,
        tuple(AdverseEvent(a.description, a.severity) for a in body.adverse_events),
    )
    with ctx.store.writing(me.username) as w:
        stored, _ = w.add_session(pseudonym, entry)
        ctx.audit_in(
            w.session, me, action="api.session.add", target=f"{pseudonym}/session/{stored.id}")
    return _session(stored)


@router.get("/patients/{pseudonym}/alerts")
@allow("clinician")
def list_alerts(request: Request, pseudonym: str) -> list[AlertOut]:
    """A patient's safety alerts (open and acknowledged)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    record = ctx.store.load(pseudonym)
    ctx.audit(me, "api.alert.read", target=pseudonym)
    return [_alert(a) for a in record.alerts]


@router.post("/patients/{pseudonym}/alerts/{alert_id}/acknowledge")
@allow("clinician")
def acknowledge_alert(
    request: Request, pseudonym: str, alert_id: int, body: AcknowledgeIn
) -> AlertOut:
    """Acknowledge an alert with the action taken."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    if alert_id not in {a.id for a in ctx.store.load(pseudonym).alerts}:
        raise NotFoundError("alert: no such alert for this patient")
    with ctx.store.writing(me.username) as w:
        stored = w.acknowledge_alert(alert_id, body.action)
        ctx.audit_in(
            w.session, me, action="api.alert.acknowledge", target=f"{pseudonym}/alert/{alert_id}")
    return _alert(stored)


@router.get("/research/patients")
@allow("researcher")
def research_rows(request: Request) -> list[ResearchRowOut]:
    """De-identified summaries of every patient (researchers, read-only)."""
    ctx, me = context(request), current(request)
    key = request.app.state.research_key
    rows = [
        ResearchRowOut.model_validate(research_row(key, ctx.store.load(p.entry.pseudonym)))
        for p in ctx.store.patients()
    ]
    ctx.audit(me, "api.research.read", detail=f"rows={len(rows)}")
    return rows
