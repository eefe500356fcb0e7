"""The forecast page: access, CSRF, the background job's life, stored results, audit, report.

One real job runs (64 particles, 64 draws: tens of seconds on a busy 2-core machine); the
queue rules and the prior-based label use a stand-in runner that writes a result folder.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hpatwin.records.entries import PatientRecord
from hpatwin.web.app import create_app
from hpatwin.web.forecast import (
    RESULT_FILE,
    ForecastJobs,
    ForecastSettings,
    result_folder_name,
)
from hpatwin.web.security import SecurityConfig
from tests.web.conftest import SMALL_TWIN, Clock, add_patient, login, new_client, phq9


def _audit(app: FastAPI, action: str, target: str = "p001") -> list[tuple[str, str]]:
    with app.state.ctx.store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT actor, detail FROM audit_log WHERE action = :a AND target = :t ORDER BY id"),
            {"a": action, "t": target})
        return [(r[0], r[1]) for r in rows]


def _patient(client: TestClient, clock: Clock, pseudonym: str = "p001") -> str:
    token = login(client, "dr_a")
    add_patient(client, token, pseudonym=pseudonym)
    at = [f"{clock() - timedelta(days=d):%Y-%m-%dT%H:%M}" for d in (28, 14, 1)]
    for when, items in zip(at, ([2] * 6 + [1, 1, 0], [2, 1, 2, 1, 2, 1, 1, 1, 0],
                                [1, 1, 2, 1, 1, 1, 1, 1, 0]), strict=True):
        assert phq9(client, token, pseudonym, items, when).status_code == 303
    for when, value in ((at[0], "7"), (at[2], "5")):
        client.post(f"/patients/{pseudonym}/assess/nrs",
                    data={"csrf_token": token, "administered_at": when, "nrs": value})
    client.post(f"/patients/{pseudonym}/sessions/new", data={
        "csrf_token": token, "started_at": at[1], "modality": "ea", "points": "LI4, PC6",
        "electrode_pairs": "LI4-PC6", "frequency_hz": "2/100", "intensity_ma": "2",
        "duration_min": "30"})
    response = client.post(f"/patients/{pseudonym}/plan", data={
        "csrf_token": token, "pain_duration_months": "12", "pain_regions": "neck"})
    assert response.status_code == 303
    return token


def test_forecast_needs_login_role_clinic_and_csrf(app: FastAPI, clock: Clock) -> None:
    anonymous = new_client(app)
    for method in ("GET", "POST"):
        response = anonymous.request(method, "/patients/p001/forecast")
        assert response.status_code == 303 and response.headers["location"] == "/login"
    client = new_client(app)
    token = login(client, "dr_a")
    add_patient(client, token)
    for user in ("admin", "res"):
        other = new_client(app)
        other_token = login(other, user)
        assert other.get("/patients/p001/forecast").status_code == 403
        assert other.post("/patients/p001/forecast",
                          data={"csrf_token": other_token}).status_code == 403
    other_clinic = new_client(app)
    other_token = login(other_clinic, "dr_b")
    assert other_clinic.get("/patients/p001/forecast").status_code == 404
    assert other_clinic.post("/patients/p001/forecast",
                             data={"csrf_token": other_token}).status_code == 404
    assert client.post("/patients/p001/forecast").status_code == 403  # no CSRF token
    assert client.post("/patients/p001/forecast", data={"csrf_token": "x"}).status_code == 403
    assert app.state.ctx.forecasts.job("p001") is None  # nothing was queued
    page = client.get("/patients/p001/forecast")
    assert page.status_code == 200 and "No forecast stored" in page.text
    assert _audit(app, "forecast.read") == [("dr_a", "state=none")]


def test_forecast_job_runs_in_the_background_and_its_result_is_stored(
    app: FastAPI, clock: Clock, tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = new_client(app)
    token = _patient(client, clock)
    response = client.post("/patients/p001/forecast", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/patients/p001/forecast"
    job = app.state.ctx.forecasts.job("p001")
    assert job is not None and job.state in ("queued", "running", "done")
    page = client.get("/patients/p001/forecast").text
    if job.active:  # the page refreshes itself while the job is queued or running
        assert 'http-equiv="refresh"' in page and 'id="job-status"' in page
        again = client.post("/patients/p001/forecast", data={"csrf_token": token})
        assert again.status_code == 303 and app.state.ctx.forecasts.job("p001") is job
    assert app.state.ctx.forecasts.wait(timeout=900)
    assert job.state == "done", job.message

    page = client.get("/patients/p001/forecast").text
    assert 'http-equiv="refresh"' not in page and 'data-state="done"' in page
    rows = re.findall(r'<tr class="protocol-([a-z0-9_]+)">', page)
    assert rows[0] == "planner_plan" and "usual_care" in rows and len(rows) == 9
    assert page.count("<svg") >= 2 and 'id="fan-phq9"' in page and 'id="fan-nrs"' in page
    assert 'id="prior-based"' not in page  # three visits: fitted to this patient
    assert '<details id="diagnostics">' in page and "64 particles in 4 islands" in page
    assert "R-hat" in page and "prior only" in page and 'id="identifiability"' in page
    assert "not a recommendation" in page  # the plain-language summary

    # files: <folder>/<pseudonym>/<time>-<job>/ with the fit, the forecast and the page data
    folders = list((tmp_path / "twin" / "p001").iterdir())
    assert job.folder is not None and folders == [job.folder]
    names = {p.name for p in folders[0].iterdir()}
    assert names == {"fit.nc", "forecast.nc", "forecast_summary.csv", "identifiability.csv",
                     "phq9_fan.svg", "pain_nrs_fan.svg", RESULT_FILE}
    assert json.loads((folders[0] / RESULT_FILE).read_text())["diagnostics"]["particles"] == 64

    # audit: the request, each view, the job's end (codes only)
    requests = _audit(app, "forecast.request")
    assert requests[0][0] == "dr_a" and requests[0][1] == f"job={job.id} queued"
    assert [d for _, d in _audit(app, "forecast.done")] and all(
        d.startswith(f"job={job.id} seconds=") for _, d in _audit(app, "forecast.done"))
    assert len(_audit(app, "forecast.read")) >= 2

    # the report: a forecast page after the one-page summary; sentences in the patient summary
    report = client.get("/patients/p001/report").text
    assert 'id="report-page-forecast"' in report and 'id="report-fan-phq9"' in report
    assert report.index('id="clinician-summary"') < report.index('id="report-page-forecast"')
    assert 'class="forecast-planner_plan"' in report and 'id="patient-forecast"' in report
    summary = report[report.index('id="patient-summary"'):]
    assert "not a recommendation" in summary and "we recommend" not in summary.lower()

    # after a restart the page shows the stored forecast (no job in memory)
    restarted = create_app(db_url, config=SecurityConfig(clock=clock), key=b"k" * 32,
                           forecast=ForecastSettings(n_particles=64, draws=64,
                                                     folder=tmp_path / "twin"))
    again = new_client(restarted)
    login(again, "dr_a")
    page = again.get("/patients/p001/forecast").text
    assert 'id="job-status"' not in page and len(re.findall(r'<tr class="protocol-', page)) == 9
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if not r.name.startswith(("httpx", "httpcore")))
    assert "forecast job done" in logged and "p001" not in logged


def test_a_patient_without_phq9_or_nrs_fails_with_a_clear_message(
    app: FastAPI, tmp_path: Path
) -> None:
    client = new_client(app)
    token = login(client, "dr_a")
    add_patient(client, token, pseudonym="CANARYfc1")
    assert client.post("/patients/CANARYfc1/forecast", data={"csrf_token": token}).status_code == 303
    assert app.state.ctx.forecasts.wait(timeout=120)
    page = client.get("/patients/CANARYfc1/forecast").text
    assert 'data-state="failed"' in page and "no PHQ-9 or pain NRS is recorded" in page
    assert "Traceback" not in page
    assert [d.endswith("failed") for _, d in _audit(app, "forecast.failed", "CANARYfc1")] == [True]
    assert not any((tmp_path / "twin" / "CANARYfc1").glob("*"))  # nothing stored


def _fake_result(folder: Path, pseudonym: str, job_id: str, *, prior_based: bool) -> Path:
    target = folder / pseudonym / result_folder_name(datetime.now(UTC), job_id)
    target.mkdir(parents=True)
    row = {"protocol": "usual_care", "label": "Usual care (no new sessions)", "sessions_added": 0,
           "phq9_end_median": 12.0, "phq9_end_p10": 7.0, "phq9_end_p90": 20.0,
           "nrs_end_median": 6.0, "p_response": 0.1, "p_remission": 0.05,
           "p_pain_response": 0.2, "session6_visit_day": None, "p_session6_flag": None,
           "session6_phq9_p10": None, "session6_phq9_p90": None}
    (target / RESULT_FILE).write_text(json.dumps({
        "format": 1, "created_at": "2024-01-01T00:00:00+00:00", "prior_based": prior_based,
        "horizon_days": 84, "summary": [row], "flags": ["PHQ-9/NRS from 1 visit only"],
        "notes": [], "identifiability": [], "plain_language": ["one sentence"],
        "diagnostics": {"particles": 64, "islands": 4, "evaluations": 3, "stages": 1,
                        "max_rhat": 1.01, "rhat": {}, "final_ess_per_island": 9.0,
                        "unique_fraction": 0.5, "truncated": False, "fit_seconds": 1.0,
                        "n_observations": 2},
        "settings": {"particles": 64, "islands": 4, "draws": 64, "fit_version": "test"}}))
    for name in ("phq9_fan.svg", "pain_nrs_fan.svg"):
        (target / name).write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    return target


def test_second_request_joins_the_active_job_and_a_full_queue_is_a_503(
    app: FastAPI, tmp_path: Path
) -> None:
    release = threading.Event()
    calls: list[str] = []

    def slow(record: PatientRecord, settings: ForecastSettings, folder: Path, *,
             job_id: str) -> Path:
        calls.append(record.patient.entry.pseudonym)
        release.wait(timeout=60)
        return _fake_result(folder, record.patient.entry.pseudonym, job_id, prior_based=True)

    ctx = app.state.ctx
    ctx.forecasts = ForecastJobs(ForecastSettings(n_particles=64, draws=64, queue_size=1),
                                 tmp_path / "twin", runner=slow, clock=ctx.config.clock)
    client = new_client(app)
    token = login(client, "dr_a")
    for name in ("q1", "q2", "q3"):
        add_patient(client, token, pseudonym=name)
    client.post("/patients/q1/forecast", data={"csrf_token": token})
    first = ctx.forecasts.job("q1")
    for _ in range(200):  # the worker takes q1 off the queue
        if first.state == "running":
            break
        threading.Event().wait(0.01)
    client.post("/patients/q1/forecast", data={"csrf_token": token})  # joins the running job
    assert ctx.forecasts.job("q1") is first and calls == ["q1"]
    assert "joined running" in _audit(app, "forecast.request", "q1")[-1][1]
    assert client.post("/patients/q2/forecast", data={"csrf_token": token}).status_code == 303
    busy = client.post("/patients/q3/forecast", data={"csrf_token": token})
    assert busy.status_code == 503 and "queue is full" in busy.text
    page = client.get("/patients/q2/forecast").text
    assert 'data-state="queued"' in page and 'http-equiv="refresh"' in page
    release.set()
    assert ctx.forecasts.wait(timeout=30)
    page = client.get("/patients/q1/forecast").text
    assert 'id="prior-based"' in page and "PRIOR-BASED" in page
    assert calls == ["q1", "q2"]
    report = client.get("/patients/q1/report").text
    assert 'id="report-prior-based"' in report


def test_default_result_folder_is_next_to_the_database(db_url: str, tmp_path: Path) -> None:
    application = create_app(db_url, key=b"k" * 32)
    assert application.state.ctx.forecasts.folder == tmp_path / "twin"
    assert application.state.ctx.forecasts.settings.n_particles == 1024
    assert SMALL_TWIN.n_particles == 64
