"""Fixtures for the web app: an app on a fresh SQLite store with an injected clock and users."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hpatwin.web.app import create_app
from hpatwin.web.forecast import ForecastSettings
from hpatwin.web.security import SecurityConfig
from hpatwin.web.users import create_user

PASSWORD = "correct horse battery"
SMALL_TWIN = ForecastSettings(n_particles=64, n_islands=4, draws=64)
"""Forecasts in tests: 64 particles and 64 draws (production: 1,024 and 256)."""
USERS = {
    "admin": ("admin", None),
    "dr_a": ("clinician", "clinic-a"),
    "dr_a2": ("clinician", "clinic-a"),
    "dr_b": ("clinician", "clinic-b"),
    "res": ("researcher", None),
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LOGIN_CSRF = re.compile(r'action="/login" class="stack">\s*<input type="hidden" name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    """A settable clock (aware UTC)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'web.db'}"


@pytest.fixture
def app(db_url: str, clock: Clock, tmp_path: Path) -> FastAPI:
    application = create_app(db_url, config=SecurityConfig(clock=clock), key=b"k" * 32,
                             forecast=replace(SMALL_TWIN, folder=tmp_path / "twin"))
    store = application.state.ctx.store
    for name, (role, clinic) in USERS.items():
        create_user(store, name, role, clinic, PASSWORD, actor="setup")
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def post_login(client: TestClient, username: str, password: str) -> Any:
    """Submit the login form as a browser does (its pre-session CSRF token included)."""
    form = client.get("/login")
    match = _LOGIN_CSRF.search(form.text)
    assert match, form.text[:300]
    data = {"username": username, "password": password, "csrf_token": match.group(1)}
    return client.post("/login", data=data)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in; return the session's CSRF token (read from a page's logout form)."""
    response = post_login(client, username, password)
    assert response.status_code == 303, response.text[:500]
    page = client.get("/", follow_redirects=True)
    match = _CSRF.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


def new_client(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def add_patient(client: TestClient, token: str, pseudonym: str = "p001", **fields: str) -> None:
    data = {"csrf_token": token, "pseudonym": pseudonym, "birth_year": "1975", "sex": "female",
            "hepatic_function": "normal", **fields}
    response = client.post("/patients/new", data=data)
    assert response.status_code == 303, response.text[:800]


def phq9(client: TestClient, token: str, pseudonym: str, items: list[int], at: str) -> object:
    data = {"csrf_token": token, "administered_at": at}
    data.update({f"phq9_{i}": str(v) for i, v in enumerate(items, start=1)})
    return client.post(f"/patients/{pseudonym}/assess/phq9", data=data)
