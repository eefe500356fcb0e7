"""Security: every route behind the one authorisation dependency, roles, CSRF, session expiry,
lockout, no patient data in logs, the audit hash chain, optimistic locking (409)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text

from hpatwin.web import api, pages
from hpatwin.web.app import create_app
from hpatwin.web.audit import verify_audit_chain
from hpatwin.web.core import authorize, policy_of
from hpatwin.web.pdf import PdfRenderer
from hpatwin.web.users import list_users
from tests.web.conftest import PASSWORD, Clock, add_patient, login, new_client, phq9, post_login

PUBLIC = {"/login", "/health", "/static/{name}"}


def _routes(app: FastAPI) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in app.routes:
        original = getattr(route, "original_router", None)
        found += [r for r in (original.routes if original else [route]) if isinstance(r, APIRoute)]
    return found


def _ok_statuses(path: str) -> tuple[int, ...]:
    """What a permitted GET may answer (a PDF is 503 where Chromium is not installed)."""
    no_pdf = path.endswith(".pdf") and not PdfRenderer.default().available
    return (200, 303, 404, 422, 503) if no_pdf else (200, 303, 404, 422)


def _concrete(path: str) -> str:
    values = {"{instrument}": "phq9", "{name}": "app.css", "{pseudonym}": "p001"}
    return re.sub(r"\{[^}]+\}", lambda m: values.get(m.group(0), "1"), path)


def test_every_route_uses_the_one_authorisation_dependency_and_has_a_policy(app: FastAPI) -> None:
    routes = _routes(app)
    assert len(routes) == len(pages.router.routes) + len(api.router.routes) > 25
    for route in routes:
        calls = [d.call for d in route.dependant.dependencies]
        assert calls.count(authorize) == 1, route.path
        assert policy_of(route.endpoint) is not None, route.path
    assert {r.path for r in routes if policy_of(r.endpoint).public} == PUBLIC  # type: ignore[union-attr]


def test_anonymous_requests_are_refused_everywhere_but_login_static_health(app: FastAPI) -> None:
    client = new_client(app)
    for route in _routes(app):
        if route.path in PUBLIC:
            continue
        for method in route.methods:
            response = client.request(method, _concrete(route.path))
            expected = 401 if route.path.startswith("/api/") else 303
            assert response.status_code == expected, (method, route.path, response.status_code)
            if expected == 303:
                assert response.headers["location"] == "/login"
    assert client.get("/health").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/static/..%2Fapp.py").status_code == 404


ROLE_HOME = {"admin": "/admin/audit", "clinician": "/patients", "researcher": "/research"}


@pytest.mark.parametrize("user,role", [("admin", "admin"), ("dr_a", "clinician"), ("res", "researcher")])
def test_role_by_route_matrix(app: FastAPI, user: str, role: str) -> None:
    client = new_client(app)
    setup = new_client(app)
    add_patient(setup, login(setup, "dr_a"))
    token = login(client, user)
    for route in _routes(app):
        policy = policy_of(route.endpoint)
        assert policy is not None
        if route.path in PUBLIC:
            continue
        if "GET" in route.methods:
            response = client.get(_concrete(route.path))
            if role in policy.roles:
                assert response.status_code in _ok_statuses(route.path), (user, route.path)
            else:
                assert response.status_code == 403, (user, route.path, response.status_code)
        elif role not in policy.roles:  # POST with a valid token: refused on role alone
            response = client.post(_concrete(route.path), data={"csrf_token": token},
                                   headers={"X-CSRF-Token": token})
            assert response.status_code == 403, (user, route.path, response.status_code)
    assert client.get("/").headers["location"] == ROLE_HOME[role]


def test_clinicians_see_only_their_own_clinic(app: FastAPI) -> None:
    a, b = new_client(app), new_client(app)
    add_patient(a, login(a, "dr_a"))
    login(b, "dr_b")
    assert b.get("/patients/p001").status_code == 404
    assert "p001" not in b.get("/patients").text
    assert b.get("/api/patients/p001/assessments").status_code == 404
    assert [p["pseudonym"] for p in b.get("/api/patients").json()] == []


def test_csrf_token_required_for_every_state_change(app: FastAPI, clock: Clock) -> None:
    client = new_client(app)
    token = login(client, "dr_a")
    add_patient(client, token)
    at = f"{clock():%Y-%m-%dT%H:%M}"
    form = {"administered_at": at, **{f"phq9_{i}": "1" for i in range(1, 10)}}
    assert client.post("/patients/p001/assess/phq9", data=form).status_code == 403
    wrong = client.post("/patients/p001/assess/phq9", data={**form, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    body = {"instrument": "nrs", "administered_at": clock().isoformat(), "items": [5]}
    assert client.post("/api/patients/p001/assessments", json=body).status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.app.state.ctx.store.load("p001").assessments == ()
    ok = client.post("/api/patients/p001/assessments", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201 and ok.json()["total"] == 5


def test_idle_and_absolute_session_expiry(app: FastAPI, clock: Clock) -> None:
    client = new_client(app)
    login(client, "dr_a")
    clock.advance(minutes=14)
    assert client.get("/patients").status_code == 200
    clock.advance(minutes=16)
    assert client.get("/patients").headers["location"] == "/login"
    login(client, "dr_a")
    started = clock.now
    while clock.now - started < timedelta(hours=9):  # active every 14 min: never idle
        clock.advance(minutes=14)
        response = client.get("/patients")
        if response.status_code != 200:
            break
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert timedelta(hours=8) < clock.now - started <= timedelta(hours=8, minutes=14)


def test_session_cookie_flags(app: FastAPI) -> None:
    client = new_client(app)
    response = post_login(client, "dr_a", PASSWORD)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert len(client.cookies["hpatwin_session"]) >= 40


def test_lockout_after_five_failures(app: FastAPI, clock: Clock) -> None:
    client = new_client(app)
    for _ in range(5):
        bad = post_login(client, "dr_a", "wrong password!")
        assert bad.status_code == 401
    locked = post_login(client, "dr_a", PASSWORD)
    assert locked.status_code == 403 and "locked" in locked.text
    clock.advance(minutes=16)
    assert post_login(client, "dr_a", PASSWORD).status_code == 303


def test_login_rate_limit_per_client(app: FastAPI) -> None:
    client = new_client(app)
    codes = [post_login(client, f"u{i}", "x").status_code
             for i in range(22)]
    assert codes[:20] == [401] * 20 and codes[-1] == 429


def test_canary_patient_data_never_reaches_the_logs(
    app: FastAPI, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "CANARYzq81"
    caplog.set_level(logging.DEBUG)
    client = new_client(app)
    token = login(client, "dr_a")
    add_patient(client, token, pseudonym=canary, conditions=f"{canary}-condition")
    phq9(client, token, canary, [3] * 9, f"{clock():%Y-%m-%dT%H:%M}")
    client.post(f"/patients/{canary}/sessions/new", data={
        "csrf_token": token, "started_at": f"{clock():%Y-%m-%dT%H:%M}", "modality": "manual",
        "points": "LI4", "duration_min": "20", "adverse_event": f"{canary} bruise",
        "adverse_severity": "mild"})
    client.post(f"/patients/{canary}/sessions/new", data={
        "csrf_token": token, "started_at": "bad", "modality": "manual",
        "adverse_event": f"{canary} again", "duration_min": "x"})
    client.get(f"/patients/{canary}")
    client.get(f"/api/patients/{canary}/sessions")
    client.get("/patients", params={"q": canary})
    assert any(r.name == "hpatwin.web" for r in caplog.records)
    client_side = ("httpx", "httpcore")  # the test client's own request lines
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(client_side)
    )
    assert canary not in logged and canary.lower() not in logged.lower()


def test_audit_chain_records_reads_and_writes_and_detects_tampering(app: FastAPI) -> None:
    client = new_client(app)
    token = login(client, "dr_a")
    add_patient(client, token)
    client.get("/patients/p001")
    engine = app.state.ctx.store.engine
    with engine.connect() as connection:
        report = verify_audit_chain(connection)
        actions = [r[0] for r in connection.execute(
            text("SELECT action FROM audit_log WHERE actor = 'dr_a' ORDER BY id"))]
    assert report.ok and report.rows >= 4
    assert actions == ["login.ok", "patient.list", "patient.add", "patient.read"]
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'someone' WHERE action = 'patient.read'"))
    with engine.connect() as connection:
        broken = verify_audit_chain(connection)
    assert not broken.ok and broken.first_broken_id is not None
    admin = new_client(app)
    login(admin, "admin")
    assert "BROKEN" in admin.get("/admin/audit").text


def test_second_clinician_editing_a_stale_record_gets_409(app: FastAPI) -> None:
    first, second = new_client(app), new_client(app)
    token1 = login(first, "dr_a")
    add_patient(first, token1)
    token2 = login(second, "dr_a2")
    form1 = first.get("/patients/p001/edit").text
    form2 = second.get("/patients/p001/edit").text
    version = re.search(r'name="version" value="(\d+)"', form1)
    assert version and version.group(1) in form2
    common = {"birth_year": "1975", "sex": "female", "hepatic_function": "normal",
              "version": version.group(1)}
    saved = first.post("/patients/p001/edit", data={**common, "csrf_token": token1,
                                                    "creatinine_clearance_ml_min": "45"})
    assert saved.status_code == 303
    stale = second.post("/patients/p001/edit", data={**common, "csrf_token": token2,
                                                     "creatinine_clearance_ml_min": "90"})
    assert stale.status_code == 409 and "Someone else changed" in stale.text
    assert app.state.ctx.store.load("p001").patient.entry.creatinine_clearance_ml_min == 45


def test_researcher_sees_only_de_identified_rows(app: FastAPI, clock: Clock) -> None:
    a = new_client(app)
    token = login(a, "dr_a")
    add_patient(a, token, pseudonym="secretname1")
    phq9(a, token, "secretname1", [1] * 9, f"{clock():%Y-%m-%dT%H:%M}")
    r = new_client(app)
    login(r, "res")
    page = r.get("/research").text
    assert "secretname1" not in page and "R-" in page and "1975" not in page
    assert r.get("/patients/secretname1").status_code == 403
    assert r.get("/api/patients").status_code == 403
    rows = r.get("/api/research/patients").json()
    assert [row["phq9_first"] for row in rows] == [9.0] and "secretname1" not in str(rows)
    assert a.get("/api/research/patients").status_code == 403


def test_every_patient_page_and_api_read_is_audited(app: FastAPI) -> None:
    client = new_client(app)
    add_patient(client, login(client, "dr_a"))
    engine = app.state.ctx.store.engine
    patient_reads = [r for r in _routes(app)
                     if "GET" in r.methods and "{pseudonym}" in r.path and "{alert_id}" not in r.path]
    assert len(patient_reads) >= 10
    if not PdfRenderer.default().available:  # 503 before any read: nothing to audit
        patient_reads = [r for r in patient_reads if not r.path.endswith(".pdf")]
    for route in patient_reads:
        with engine.connect() as connection:
            before = connection.execute(text("SELECT count(*) FROM audit_log WHERE actor = 'dr_a' "
                                             "AND target LIKE 'p001%'")).scalar()
        assert client.get(_concrete(route.path)).status_code == 200, route.path
        with engine.connect() as connection:
            after = connection.execute(text("SELECT count(*) FROM audit_log WHERE actor = 'dr_a' "
                                            "AND target LIKE 'p001%'")).scalar()
        assert after == (before or 0) + 1, route.path


def test_disabling_a_user_ends_their_sessions_and_logins(app: FastAPI) -> None:
    clinician, admin = new_client(app), new_client(app)
    login(clinician, "dr_a")
    token = login(admin, "admin")
    assert admin.post("/admin/users/dr_a/disable", data={"csrf_token": token}).status_code == 422
    done = admin.post("/admin/users/dr_a/disable", data={"csrf_token": token, "reason": "left"})
    assert done.status_code == 303
    assert clinician.get("/patients").headers["location"] == "/login"
    again = post_login(clinician, "dr_a", PASSWORD)
    assert again.status_code == 401
    assert "dr_a" not in [u for u, _, _ in list_users(app.state.ctx.store)]


def test_login_replaces_any_previous_session(app: FastAPI) -> None:
    client = new_client(app)
    login(client, "dr_a")
    old = client.cookies["hpatwin_session"]
    login(client, "dr_a")
    assert client.cookies["hpatwin_session"] != old
    stale = new_client(app)
    stale.cookies.set("hpatwin_session", old)
    assert stale.get("/patients").headers["location"] == "/login"


def test_login_form_needs_its_csrf_token(app: FastAPI) -> None:
    client = new_client(app)
    bare = client.post("/login", data={"username": "dr_a", "password": PASSWORD})
    assert bare.status_code == 403 and "hpatwin_session" not in client.cookies
    client.get("/login")
    forged = client.post("/login", data={"username": "dr_a", "password": PASSWORD,
                                         "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert post_login(client, "dr_a", PASSWORD).status_code == 303


def test_research_ids_are_stable_across_restarts(db_url: str) -> None:
    first = create_app(db_url).state.research_key
    assert create_app(db_url).state.research_key == first and len(first) == 32
