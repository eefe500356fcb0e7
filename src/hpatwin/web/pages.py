"""Server-rendered pages: login, patients, intake, sessions, biomarkers, plan, forecast, report,
FHIR, admin, research.

Every endpoint carries a policy (:func:`~hpatwin.web.core.allow` / ``public``) read by the one
authorisation dependency of the router. Bad form input re-renders the form with a message
naming the field and HTTP 422; nothing is stored.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from hpatwin.clinic.instruments import get_spec, instrument_names
from hpatwin.clinic.planner import (
    AssessmentError,
    Plan,
    build_plan,
    load_knowledge_base,
    render_html,
)
from hpatwin.errors import ConflictError, InputError
from hpatwin.records.entries import (
    ASSAYS,
    AdverseEvent,
    AssessmentEntry,
    CortisolEntry,
    EpisodeEntry,
    MedicationEntry,
    PatientEntry,
    SessionEntry,
    Stored,
    VitalsEntry,
)
from hpatwin.records.exchange import fhir_bundle, import_file
from hpatwin.records.store import plan_entry
from hpatwin.records.validation import (
    DOSE_UNITS,
    HEPATIC_FUNCTION,
    MEDICATION_FREQUENCIES,
    MODALITIES,
    ROLES,
    SEVERITIES,
    SEXES,
)
from hpatwin.web import audit, forms
from hpatwin.web.core import (
    CSRF_FIELD,
    WebContext,
    allow,
    assign_clinic,
    authorize,
    check_patient_access,
    context,
    current,
    public,
    visible_pseudonyms,
)
from hpatwin.web.forecast import (
    ForecastJobs,
    StoredForecast,
    describe,
    identifiability_rows,
    summary_rows,
)
from hpatwin.web.planning import planner_input
from hpatwin.web.report import LABELS, build_report, clinician_sections, patient_sections
from hpatwin.web.security import (
    SESSION_COOKIE,
    check_csrf,
    end_session,
    login_allowed,
    new_session,
    record_login_result,
)
from hpatwin.web.tables import patient_clinics
from hpatwin.web.users import check_login, create_user, disable_user, list_users
from hpatwin.web.views import (
    charts,
    flags,
    list_rows,
    record_versions,
    research_row,
    timeline_rows,
)

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"
CLINICIAN = "clinician"
LOGIN_CSRF_COOKIE = "hpatwin_login_csrf"
MAX_UPLOAD_BYTES = 50 * 2**20
"""Assumption: one clinic's FHIR export is a few MiB; 50 MiB leaves room without letting one
upload fill the disk or memory."""


def _page(
    request: Request, name: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    ctx = context(request)
    principal = getattr(request.state, "principal", None)
    values.setdefault("error", None)
    values.setdefault("form", {})
    page = ctx.templates.TemplateResponse(
        request,
        name,
        {"me": principal, "csrf_field": CSRF_FIELD, **values},
        status_code=status_code,
    )
    assert isinstance(page, HTMLResponse)
    return page


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _form(request: Request) -> dict[str, Any]:
    data = await request.form()
    return {k: v for k, v in data.multi_items() if isinstance(v, str)}


# --------------------------------------------------------------------------------------
# Public: login, health, static
# --------------------------------------------------------------------------------------
@router.get("/health")
@public
def health() -> PlainTextResponse:
    """Liveness: no data."""
    return PlainTextResponse("ok")


@router.get("/static/{name}")
@public
def static(name: str) -> Response:
    """The stylesheet (and nothing outside the static folder)."""
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    if name not in files:
        return PlainTextResponse("not found", status_code=404)
    media = "text/css" if name.endswith(".css") else "application/javascript"
    return Response(files[name].read_bytes(), media_type=media,
                    headers={"Cache-Control": "max-age=3600"})


def _login_page(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    page = _page(request, "login.html", status, login_token=token, **values)
    page.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=context(request).config.cookie_secure, path="/login", max_age=3600)
    return page


@router.get("/login")
@public
def login_form(request: Request) -> HTMLResponse:
    """The login page (with a pre-session CSRF token: double submit, cookie and form)."""
    return _login_page(request)


@router.post("/login")
@public
async def login(request: Request) -> Response:
    """Check the password; lock after repeated failures; start a server-side session."""
    ctx = context(request)
    form = await _form(request)
    username = form.get("username", "").strip()[:64]
    password = form.get("password", "")
    client = request.client.host if request.client else "unknown"
    if not ctx.limiter.hit(client):
        return _login_page(request, 429, error="Too many attempts; wait a minute.")
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE)
    if cookie_token is None or not check_csrf(cookie_token, form.get(CSRF_FIELD)):
        return _login_page(request, 403, error="The login form expired; please try again.")
    with ctx.write("web") as db:
        allowed = login_allowed(db, username, ctx.config)
    found = check_login(ctx.store, username, password) if allowed and username else None
    with ctx.write("web") as db:
        if not allowed:
            audit.append(db, at=ctx.config.now(), actor=username or "-", action="login.locked")
            return _login_page(request, 403, form={"username": username},
                         error="This account is locked after repeated failed logins; try later.")
        locked = record_login_result(db, username, found is not None, ctx.config)
        if found is None:
            audit.append(db, at=ctx.config.now(), actor=username or "-", action="login.failed",
                         detail="locked" if locked else "")
            return _login_page(request, 401, form={"username": username},
                         error="Unknown username or wrong password.")
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:  # no session fixation: a login always replaces the old session
            end_session(db, previous)
        session_id = new_session(db, found[0], ctx.config)
        audit.append(db, at=ctx.config.now(), actor=found[0], action="login.ok")
    response = _see_other("/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    response.set_cookie(
        SESSION_COOKIE, session_id, httponly=True, samesite="strict",
        secure=ctx.config.cookie_secure, path="/",
        max_age=int(ctx.config.absolute_timeout.total_seconds()),
    )
    return response


@router.post("/logout")
@allow("admin", CLINICIAN, "researcher")
def logout(request: Request) -> Response:
    """End the session."""
    ctx = context(request)
    me = current(request)
    with ctx.write(me.username) as db:
        end_session(db, request.cookies.get(SESSION_COOKIE, ""))
        audit.append(db, at=ctx.config.now(), actor=me.username, action="logout")
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
@allow("admin", CLINICIAN, "researcher")
def home(request: Request) -> Response:
    """Each role's start page."""
    role = current(request).role
    return _see_other({"admin": "/admin/audit", "researcher": "/research"}.get(role, "/patients"))


# --------------------------------------------------------------------------------------
# Patients
# --------------------------------------------------------------------------------------
@router.get("/patients")
@allow(CLINICIAN)
def patient_list(request: Request, q: str = "") -> HTMLResponse:
    """The clinic's patients with flags; ``q`` filters by pseudonym."""
    ctx, me = context(request), current(request)
    with ctx.store.reading() as db:
        mine = visible_pseudonyms(db, me)
        versions = record_versions(db)
    needle = q.strip().casefold()
    wanted = {p for p in mine if needle in p.casefold()}
    now = ctx.config.clock()
    rows = [(pseudonym, row.sessions, row.flags(now))
            for pseudonym, row in list_rows(ctx.store, wanted, versions).items()]
    rows.sort(key=lambda r: (-r[2].open_alerts, -len(r[2].review), r[0]))
    ctx.audit(me, "patient.list", detail=f"rows={len(rows)}")
    return _page(request, "patients.html", rows=rows, q=q)


def _patient_entry(form: dict[str, Any]) -> PatientEntry:
    return PatientEntry(
        pseudonym=forms.text(form, "pseudonym"),
        birth_year=forms.integer(form, "birth_year", required=False),
        sex=forms.text(form, "sex"),
        pregnant=forms.checkbox(form, "pregnant"),
        pregnancy_start_on=forms.date_field(form, "pregnancy_start_on"),
        pregnancy_due_on=forms.date_field(form, "pregnancy_due_on"),
        lactating=forms.checkbox(form, "lactating"),
        hepatic_function=forms.text(form, "hepatic_function"),
        creatinine_clearance_ml_min=forms.number(form, "creatinine_clearance_ml_min", required=False),
        conditions=forms.text_list(form, "conditions"),
        allergies=forms.text_list(form, "allergies"),
        implanted_devices=forms.text_list(form, "implanted_devices"),
    )


def _patient_form_values(entry: PatientEntry, version: int | None = None) -> dict[str, Any]:
    return {
        "pseudonym": entry.pseudonym,
        "birth_year": entry.birth_year or "",
        "sex": entry.sex,
        "pregnant": entry.pregnant,
        "pregnancy_start_on": entry.pregnancy_start_on or "",
        "pregnancy_due_on": entry.pregnancy_due_on or "",
        "lactating": entry.lactating,
        "hepatic_function": entry.hepatic_function,
        "creatinine_clearance_ml_min": entry.creatinine_clearance_ml_min or "",
        "conditions": ", ".join(entry.conditions),
        "allergies": ", ".join(entry.allergies),
        "implanted_devices": ", ".join(entry.implanted_devices),
        "version": version or "",
    }


def _patient_form(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    medications: tuple[Stored[MedicationEntry], ...] = ()
    pseudonym = values.get("form", {}).get("pseudonym")
    if not values.get("new") and pseudonym:
        medications = context(request).store.load(pseudonym).medications
    return _page(request, "patient_form.html", status, sexes=SEXES, hepatic=HEPATIC_FUNCTION,
                 medications=medications, dose_units=DOSE_UNITS,
                 frequencies=MEDICATION_FREQUENCIES, **{"med": {}, **values})


@router.post("/patients/{pseudonym}/medications/new")
@allow(CLINICIAN)
async def add_medication(request: Request, pseudonym: str) -> Response:
    """Record a medication (drug from the catalogue; the safety screen reads it)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    form = await _form(request)
    try:
        started = forms.date_field(form, "started_on", required=True)
        assert started is not None
        entry = MedicationEntry(
            forms.text(form, "drug"), forms.number(form, "dose") or 0.0,
            forms.text(form, "dose_unit"), forms.text(form, "frequency"), started,
            forms.date_field(form, "stopped_on"),
        )
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_medication(pseudonym, entry)
            ctx.audit_in(
                w.session, me, action="medication.add", target=f"{pseudonym}/medication/{stored.id}")
    except (InputError, ConflictError) as exc:
        current_patient = ctx.store.load(pseudonym).patient
        status = 422 if isinstance(exc, InputError) else 409
        message = str(exc) if status == 422 else "drug: already recorded with this start date"
        return _patient_form(request, status, new=False, med=form, error=message,
                             form=_patient_form_values(current_patient.entry,
                                                       current_patient.version))
    return _see_other(f"/patients/{pseudonym}/edit")


@router.get("/patients/new")
@allow(CLINICIAN)
def new_patient_form(request: Request) -> HTMLResponse:
    """Form: a new patient under a pseudonymous id."""
    return _patient_form(request, form={"sex": "unknown", "hepatic_function": "normal"}, new=True)


@router.post("/patients/new")
@allow(CLINICIAN)
async def new_patient(request: Request) -> Response:
    """Store a new patient in the clinician's clinic."""
    ctx, me = context(request), current(request)
    form = await _form(request)
    try:
        entry = _patient_entry(form)
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_patient(entry)
            assign_clinic(w.session, stored.entry.pseudonym, me.clinic or "")
            ctx.audit_in(w.session, me, action="patient.add", target=stored.entry.pseudonym)
    except InputError as exc:
        return _patient_form(request, 422, form=form, error=str(exc), new=True)
    except ConflictError:
        return _patient_form(request, 409, form=form, new=True,
                             error="pseudonym: a patient with this id already exists")
    return _see_other(f"/patients/{stored.entry.pseudonym}")


@router.get("/patients/{pseudonym}")
@allow(CLINICIAN)
def patient_page(request: Request, pseudonym: str) -> HTMLResponse:
    """A patient: open alerts first, flags, charts and the timeline."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    record = ctx.store.load(pseudonym)
    ctx.audit(me, "patient.read", target=pseudonym)
    return _page(
        request, "patient.html", p=record.patient, record=record,
        flags=flags(record, ctx.config.clock()), charts=charts(record),
        timeline=timeline_rows(record), instruments=instrument_names(),
    )


@router.get("/patients/{pseudonym}/edit")
@allow(CLINICIAN)
def edit_patient_form(request: Request, pseudonym: str) -> HTMLResponse:
    """Form: change a patient's safety details (based on the version shown)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    stored = ctx.store.load(pseudonym).patient
    ctx.audit(me, "patient.read", target=pseudonym, detail="edit form")
    return _patient_form(request, form=_patient_form_values(stored.entry, stored.version),
                         new=False)


@router.post("/patients/{pseudonym}/edit")
@allow(CLINICIAN)
async def edit_patient(request: Request, pseudonym: str) -> Response:
    """Save changes; a stale version (someone saved in between) is refused with 409."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    form = await _form(request)
    form["pseudonym"] = pseudonym
    try:
        version = forms.integer(form, "version")
        entry = _patient_entry(form)
        changes = {k: v for k, v in entry.__dict__.items() if k != "pseudonym"}
        with ctx.store.writing(me.username) as w:
            w.update_patient(pseudonym, version or 0, **changes)
            ctx.audit_in(w.session, me, action="patient.update", target=pseudonym)
    except InputError as exc:
        return _patient_form(request, 422, form=form, error=str(exc), new=False)
    except ConflictError:
        return _patient_form(
            request, 409, form=form, new=False,
            error="Someone else changed this patient since you opened the form; "
                  "reload to see their changes, then edit again.",
        )
    return _see_other(f"/patients/{pseudonym}")


# --------------------------------------------------------------------------------------
# Intake (instruments) and alerts
# --------------------------------------------------------------------------------------
def _assess_page(request: Request, pseudonym: str, instrument: str, status: int = 200,
                 **values: Any) -> HTMLResponse:
    ctx = context(request)
    record = ctx.store.load(pseudonym)
    return _page(request, "assess.html", status, pseudonym=pseudonym, spec=get_spec(instrument),
                 open_alerts=record.open_alerts, **values)


@router.get("/patients/{pseudonym}/assess/{instrument}")
@allow(CLINICIAN)
def assess_form(request: Request, pseudonym: str, instrument: str) -> HTMLResponse:
    """One instrument, item by item (labels from the instrument spec)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    if instrument not in instrument_names():
        raise InputError("unknown instrument", field="instrument",
                         allowed=", ".join(instrument_names()))
    ctx.audit(me, "patient.read", target=pseudonym, detail=f"intake form {instrument}")
    return _assess_page(request, pseudonym, instrument,
                        form={"administered_at": f"{ctx.config.clock():%Y-%m-%dT%H:%M}"})


@router.post("/patients/{pseudonym}/assess/{instrument}")
@allow(CLINICIAN)
async def assess(request: Request, pseudonym: str, instrument: str) -> Response:
    """Validate, score and store; an urgent alert (PHQ-9 item 9) is persisted and shown first."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    if instrument not in instrument_names():
        raise InputError("unknown instrument", field="instrument",
                         allowed=", ".join(instrument_names()))
    spec = get_spec(instrument)
    form = await _form(request)
    try:
        items = []
        for i, key in enumerate(spec.item_keys, start=1):
            value = forms.integer(form, key)
            if value is None or not spec.item_min <= value <= spec.item_max:
                raise InputError("out of range", field=f"{key} (item {i})",
                                 allowed=f"{spec.item_min}-{spec.item_max}")
            items.append(value)
        difficulty = forms.integer(form, "difficulty", required=False) if spec.name == "phq9" else None
        entry = AssessmentEntry(spec.name, forms.datetime_field(form, "administered_at"),
                                tuple(items), difficulty)
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_assessment(pseudonym, entry)
            ctx.audit_in(
                w.session, me, action="assessment.add",
                target=f"{pseudonym}/assessment/{stored.id}", detail=f"instrument={spec.name}",
            )
    except InputError as exc:
        return _assess_page(request, pseudonym, instrument, 422, form=form, error=str(exc))
    except ConflictError:
        return _assess_page(request, pseudonym, instrument, 409, form=form,
                            error="administered_at: an administration at this time is already stored")
    return _see_other(f"/patients/{pseudonym}#alerts")


@router.post("/patients/{pseudonym}/alerts/{alert_id}/acknowledge")
@allow(CLINICIAN)
async def acknowledge(request: Request, pseudonym: str, alert_id: int) -> Response:
    """Acknowledge an urgent alert with the action taken (who and when are recorded)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    record = ctx.store.load(pseudonym)
    if alert_id not in {a.id for a in record.alerts}:
        raise InputError("no such alert for this patient", field="alert")
    form = await _form(request)
    try:
        action = forms.text(form, "action")
        with ctx.store.writing(me.username) as w:
            w.acknowledge_alert(alert_id, action)
            ctx.audit_in(
                w.session, me, action="alert.acknowledge", target=f"{pseudonym}/alert/{alert_id}")
    except InputError as exc:
        return _page(request, "patient.html", 422, p=record.patient, record=record,
                     flags=flags(record, ctx.config.clock()), charts=charts(record),
                     timeline=timeline_rows(record), instruments=instrument_names(),
                     error=f"action: {exc.problem}")
    return _see_other(f"/patients/{pseudonym}")


# --------------------------------------------------------------------------------------
# Sessions and biomarkers
# --------------------------------------------------------------------------------------
def _session_page(request: Request, pseudonym: str, status: int = 200, **values: Any) -> HTMLResponse:
    episodes = [e.entry for e in context(request).store.load(pseudonym).episodes]
    return _page(request, "session_form.html", status, pseudonym=pseudonym, modalities=MODALITIES,
                 episodes=episodes,
                 severities=SEVERITIES, catalogue=sorted(load_knowledge_base().points), **values)


@router.get("/patients/{pseudonym}/sessions/new")
@allow(CLINICIAN)
def session_form(request: Request, pseudonym: str) -> HTMLResponse:
    """Form: log a treatment session."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    ctx.audit(me, "patient.read", target=pseudonym, detail="session form")
    return _session_page(request, pseudonym, form={
        "started_at": f"{ctx.config.clock():%Y-%m-%dT%H:%M}", "modality": "ea",
        "duration_min": "30"})


def _pairs(raw: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for i, text in enumerate(raw):
        parts = [p.strip() for p in text.replace("–", "-").split("-")]
        if len(parts) != 2:
            raise InputError("not a pair", field=f"electrode_pairs[{i}]", allowed="e.g. LI4-PC6")
        pairs.append((parts[0], parts[1]))
    return tuple(pairs)


@router.post("/patients/{pseudonym}/sessions/new")
@allow(CLINICIAN)
async def log_session(request: Request, pseudonym: str) -> Response:
    """Store a session (points from the catalogue; EA settings only for EA)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    form = await _form(request)
    try:
        modality = forms.text(form, "modality")
        events = []
        description = forms.text(form, "adverse_event", required=False)
        if description:
            events.append(AdverseEvent(description, forms.text(form, "adverse_severity")))
        entry = SessionEntry(
            started_at=forms.datetime_field(form, "started_at"),
            duration_min=forms.number(form, "duration_min") or 0.0,
            modality=modality,
            points=forms.text_list(form, "points"),
            electrode_pairs=_pairs(forms.text_list(form, "electrode_pairs")),
            frequency_hz=forms.text(form, "frequency_hz", required=False) or None,
            intensity_ma=forms.number(form, "intensity_ma", required=False),
            adverse_events=tuple(events),
            episode_started_on=forms.date_field(form, "episode_started_on"),
        )
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_session(pseudonym, entry)
            ctx.audit_in(
                w.session, me, action="session.add", target=f"{pseudonym}/session/{stored.id}")
    except InputError as exc:
        return _session_page(request, pseudonym, 422, form=form, error=str(exc))
    except ConflictError:
        return _session_page(request, pseudonym, 409, form=form,
                             error="started_at: a session at this time is already stored")
    return _see_other(f"/patients/{pseudonym}")


@router.post("/patients/{pseudonym}/episodes/new")
@allow(CLINICIAN)
async def add_episode(request: Request, pseudonym: str) -> Response:
    """Start a treatment episode (sessions and plans can belong to it)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    form = await _form(request)
    try:
        started = forms.date_field(form, "episode_started", required=True)
        assert started is not None
        entry = EpisodeEntry(forms.text(form, "episode_title"), started)
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_episode(pseudonym, entry)
            ctx.audit_in(
                w.session, me, action="episode.add", target=f"{pseudonym}/episode/{stored.id}")
    except InputError as exc:
        return _session_page(request, pseudonym, 422, form=form, error=str(exc))
    except ConflictError:
        return _session_page(request, pseudonym, 409, form=form,
                             error="episode_started: an episode starting that day exists")
    return _see_other(f"/patients/{pseudonym}/sessions/new")


def _biomarker_page(request: Request, pseudonym: str, status: int = 200, **values: Any) -> HTMLResponse:
    ctx = context(request)
    sessions = [s.entry.started_at for s in ctx.store.load(pseudonym).sessions]
    return _page(request, "biomarkers.html", status, pseudonym=pseudonym, assays=ASSAYS,
                 units=("nmol/L", "µg/dL", "ng/dL", "ng/mL"), sessions=sessions, **values)


@router.get("/patients/{pseudonym}/biomarkers")
@allow(CLINICIAN)
def biomarker_form(request: Request, pseudonym: str) -> HTMLResponse:
    """Forms: salivary cortisol (clock time, unit, assay) and BP/HR around a session."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    ctx.audit(me, "patient.read", target=pseudonym, detail="biomarker forms")
    return _biomarker_page(request, pseudonym, form={"unit": "nmol/L", "assay": "LC-MS/MS"})


@router.post("/patients/{pseudonym}/biomarkers/cortisol")
@allow(CLINICIAN)
async def add_cortisol(request: Request, pseudonym: str) -> Response:
    """Store a salivary cortisol sample."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    form = await _form(request)
    try:
        entry = CortisolEntry(
            forms.datetime_field(form, "collected_at"), forms.number(form, "value") or 0.0,
            forms.text(form, "unit"), forms.text(form, "assay"),
            forms.text(form, "label", required=False),
        )
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_cortisol(pseudonym, entry)
            ctx.audit_in(
                w.session, me, action="cortisol.add", target=f"{pseudonym}/cortisol/{stored.id}")
    except InputError as exc:
        return _biomarker_page(request, pseudonym, 422, form=form, error=str(exc))
    except ConflictError:
        return _biomarker_page(request, pseudonym, 409, form=form,
                               error="collected_at: a sample at this time is already stored")
    return _see_other(f"/patients/{pseudonym}")


@router.post("/patients/{pseudonym}/biomarkers/vitals")
@allow(CLINICIAN)
async def add_vitals(request: Request, pseudonym: str) -> Response:
    """Store heart rate / blood pressure before or after a stored session."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    form = await _form(request)
    try:
        entry = VitalsEntry(
            forms.datetime_field(form, "session_started_at"), forms.text(form, "phase"),
            forms.number(form, "minutes") or 0.0,
            forms.number(form, "heart_rate_bpm", required=False),
            forms.number(form, "systolic_mmhg", required=False),
            forms.number(form, "diastolic_mmhg", required=False),
        )
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_vitals(pseudonym, entry)
            ctx.audit_in(
                w.session, me, action="vitals.add", target=f"{pseudonym}/vitals/{stored.id}")
    except InputError as exc:
        return _biomarker_page(request, pseudonym, 422, form=form, error=str(exc))
    except ConflictError:
        return _biomarker_page(request, pseudonym, 409, form=form,
                               error="minutes: a reading at this time is already stored")
    return _see_other(f"/patients/{pseudonym}")


# --------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------
def _plan_body(html: str) -> str:
    start, end = html.find("<body>"), html.rfind("</body>")
    style_start, style_end = html.find("<style>"), html.find("</style>")
    style = html[style_start: style_end + 8] if style_start >= 0 else ""
    return style + (html[start + 6: end] if start >= 0 else html)


@router.get("/patients/{pseudonym}/plan")
@allow(CLINICIAN)
def plan_page(request: Request, pseudonym: str) -> HTMLResponse:
    """The latest stored plan with its graded, sourced alerts, and a form for a new one."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    record = ctx.store.load(pseudonym)
    ctx.audit(me, "plan.read", target=pseudonym)
    latest = record.plans[-1] if record.plans else None
    return _page(request, "plan.html", pseudonym=pseudonym, latest=latest,
                 form={"pain_duration_months": "", "pain_regions": ""},
                 plan_html=_stored_plan_html(latest.entry.plan) if latest else None)


def _stored_plan_html(plan_json: Any) -> str | None:
    try:
        plan = Plan.model_validate(plan_json)
    except ValueError:  # a plan stored by an older planner that no longer validates
        return None
    return _plan_body(render_html(plan))


@router.post("/patients/{pseudonym}/plan")
@allow(CLINICIAN)
async def make_plan(request: Request, pseudonym: str) -> Response:
    """Build a plan from the stored record plus pain duration and regions; store it."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    form = await _form(request)
    record = ctx.store.load(pseudonym)
    try:
        data = planner_input(
            record, forms.number(form, "pain_duration_months", required=False),
            forms.text_list(form, "pain_regions"), ctx.config.clock().date(),
        )
        plan = build_plan(data)
        with ctx.store.writing(me.username) as w:
            stored, _ = w.add_plan(pseudonym, plan_entry(plan, ctx.config.clock()))
            ctx.audit_in(
                w.session, me, action="plan.add", target=f"{pseudonym}/plan/{stored.id}",
                detail=f"alerts={len(plan.alerts)}",
            )
    except (InputError, AssessmentError) as exc:
        latest = record.plans[-1] if record.plans else None
        return _page(request, "plan.html", 422, pseudonym=pseudonym, latest=latest, form=form,
                     plan_html=None, error=str(exc))
    return _see_other(f"/patients/{pseudonym}/plan")


# --------------------------------------------------------------------------------------
# Patient twin: forecast (a background job; results stored as files)
# --------------------------------------------------------------------------------------
def _jobs(ctx: WebContext) -> ForecastJobs:
    assert ctx.forecasts is not None  # create_app always sets it
    return ctx.forecasts


@router.get("/patients/{pseudonym}/forecast")
@allow(CLINICIAN)
def forecast_page(request: Request, pseudonym: str) -> HTMLResponse:
    """The forecast job's state (refreshing while it runs) and the latest stored forecast."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    jobs = _jobs(ctx)
    job = jobs.job(pseudonym)
    stored = jobs.latest(pseudonym)
    state = job.state if job is not None else ("stored" if stored else "none")
    ctx.audit(me, "forecast.read", target=pseudonym, detail=f"state={state}")
    return _page(request, "forecast.html", pseudonym=pseudonym, job=job,
                 job_text=describe(job), f=stored,
                 rows=summary_rows(stored) if stored else [],
                 identifiability=identifiability_rows(stored) if stored else [],
                 refresh=job is not None and job.active)


@router.post("/patients/{pseudonym}/forecast")
@allow(CLINICIAN)
def request_forecast(request: Request, pseudonym: str) -> Response:
    """Queue a forecast (or join the patient's queued or running one); back to the page."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    record = ctx.store.load(pseudonym)
    job, created = _jobs(ctx).submit(record, me.username)
    ctx.audit(me, "forecast.request", target=pseudonym,
              detail=f"job={job.id} {'queued' if created else 'joined ' + job.state}")
    return _see_other(f"/patients/{pseudonym}/forecast")


# --------------------------------------------------------------------------------------
# Patient report (HTML and PDF from one template)
# --------------------------------------------------------------------------------------
def _stored_forecast(ctx: WebContext, pseudonym: str) -> StoredForecast | None:
    return _jobs(ctx).latest(pseudonym)


def _report_page(request: Request, pseudonym: str, *, standalone: bool) -> HTMLResponse:
    ctx = context(request)
    record = ctx.store.load(pseudonym)
    data = build_report(record, ctx.config.clock(), charts=charts(record),
                        forecast=_stored_forecast(ctx, pseudonym))
    return _page(request, "report.html", r=data, clinician=clinician_sections(data),
                 patient=patient_sections(data), labels=LABELS, standalone=standalone)


@router.get("/patients/{pseudonym}/report")
@allow(CLINICIAN)
def report_page(request: Request, pseudonym: str) -> HTMLResponse:
    """The patient report: a one-page clinician summary and a plain-language patient summary."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    page = _report_page(request, pseudonym, standalone=False)
    ctx.audit(me, "report.read", target=pseudonym, detail="html")
    return page


@router.get("/patients/{pseudonym}/report.pdf")
@allow(CLINICIAN)
def report_pdf(request: Request, pseudonym: str) -> Response:
    """The same report as an A4 PDF download (Chromium print-to-PDF; 503 when unavailable)."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    ctx.pdf.check()  # no Chromium: 503 before the record is read
    page = _report_page(request, pseudonym, standalone=True)
    pdf = ctx.pdf.render(bytes(page.body).decode("utf-8"))
    ctx.audit(me, "report.read", target=pseudonym, detail="pdf")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pseudonym}-report.pdf"'})


# --------------------------------------------------------------------------------------
# FHIR export and import
# --------------------------------------------------------------------------------------
@router.get("/patients/{pseudonym}/fhir")
@allow(CLINICIAN)
def export_fhir(request: Request, pseudonym: str) -> Response:
    """Download the patient's FHIR R4 Bundle."""
    ctx, me = context(request), current(request)
    check_patient_access(ctx, me, pseudonym)
    data = fhir_bundle(ctx.store.load(pseudonym))
    ctx.audit(me, "patient.export_fhir", target=pseudonym)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="{pseudonym}.fhir.json"'},
    )


@router.get("/import")
@allow(CLINICIAN)
def import_form(request: Request) -> HTMLResponse:
    """Form: upload a FHIR Bundle (.json) or CSV."""
    return _page(request, "import.html")


@router.post("/import")
@allow(CLINICIAN)
async def import_upload(request: Request) -> Response:
    """Import an uploaded file in one transaction; new patients join the clinician's clinic."""
    ctx, me = context(request), current(request)
    data = await request.form()
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, "import.html", 422, error="file: choose a .json or .csv file")
    suffix = Path(upload.filename).suffix.lower()
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    await upload.close()
    if len(content) > MAX_UPLOAD_BYTES:
        return _page(request, "import.html", 422,
                     error=f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(content)
            named = _import_pseudonyms(path)
            with ctx.store.reading() as db:
                clinics = {r.pseudonym: r.clinic for r in db.execute(select(patient_clinics))}
            if any(clinics.get(p, me.clinic) != me.clinic for p in named):
                raise InputError("names a patient of another clinic", field="patient")
            report = import_file(ctx.store, path, actor=me.username)
    except (InputError, ConflictError) as exc:
        message = str(exc).replace(f"upload{suffix}", upload.filename[:100])
        return _page(request, "import.html", 422 if isinstance(exc, InputError) else 409,
                     error=message)
    with ctx.write(me.username) as db:
        for pseudonym in sorted(named):
            assign_clinic(db, pseudonym, me.clinic or "")
        ctx.audit_in(db, me, action="import", detail=report.summary()[:500])
    return _page(request, "import.html", summary=report.summary())


def _import_pseudonyms(path: Path) -> set[str]:
    """The patients a FHIR Bundle or CSV file names (unreadable files: import_file reports)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return set()
    if path.suffix == ".csv":
        rows = csv.DictReader(io.StringIO(text))
        return {row["patient"].strip() for row in rows if (row.get("patient") or "").strip()}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return set()
    found: set[str] = set()
    for entry in data.get("entry", []) if isinstance(data, dict) else []:
        resource = entry.get("resource", {}) if isinstance(entry, dict) else {}
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            for ident in resource.get("identifier", []) or []:
                if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                    found.add(ident["value"])
    return found


# --------------------------------------------------------------------------------------
# Admin and research
# --------------------------------------------------------------------------------------
@router.get("/admin/users")
@allow("admin")
def users_page(request: Request) -> HTMLResponse:
    """Users and a form to add one."""
    return _page(request, "users.html", users=list_users(context(request).store), roles=ROLES)


@router.post("/admin/users")
@allow("admin")
async def add_user(request: Request) -> Response:
    """Add a user with a password."""
    ctx, me = context(request), current(request)
    form = await _form(request)
    try:
        create_user(ctx.store, forms.text(form, "username"), forms.text(form, "role"),
                    forms.text(form, "clinic", required=False) or None,
                    form.get("password", ""), actor=me.username)
    except InputError as exc:
        return _page(request, "users.html", 422, users=list_users(ctx.store), roles=ROLES,
                     form={k: v for k, v in form.items() if k != "password"}, error=str(exc))
    except ConflictError:
        return _page(request, "users.html", 409, users=list_users(ctx.store), roles=ROLES,
                     error="username: already taken")
    return _see_other("/admin/users")


@router.post("/admin/users/{username}/disable")
@allow("admin")
async def disable(request: Request, username: str) -> Response:
    """Disable a user (kept, with a reason) and end their sessions."""
    ctx, me = context(request), current(request)
    form = await _form(request)
    try:
        disable_user(ctx.store, username, forms.text(form, "reason"), actor=me.username)
    except InputError as exc:
        return _page(request, "users.html", 422, users=list_users(ctx.store), roles=ROLES,
                     error=str(exc))
    return _see_other("/admin/users")


@router.get("/admin/audit")
@allow("admin")
def audit_page(request: Request, page: int = 0) -> HTMLResponse:
    """The audit log, newest first, with the hash-chain check."""
    ctx = context(request)
    with ctx.store.engine.connect() as connection:
        report = audit.verify_audit_chain(connection)
        rows = audit.read_entries(connection, limit=200, offset=max(page, 0) * 200)
    return _page(request, "audit.html", report=report, rows=rows, page=max(page, 0))


@router.get("/research")
@allow("researcher")
def research_page(request: Request) -> HTMLResponse:
    """De-identified summaries of every patient (read-only)."""
    ctx, me = context(request), current(request)
    key = request.app.state.research_key
    rows = [research_row(key, ctx.store.load(p.entry.pseudonym)) for p in ctx.store.patients()]
    ctx.audit(me, "research.read", detail=f"rows={len(rows)}")
    return _page(request, "research.html", rows=rows)


