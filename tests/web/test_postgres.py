"""The web app on PostgreSQL (schema, login, intake with the item-9 alert), and concurrent audit
appends on both backends: all rows land, the chain never forks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hpatwin.records.store import RecordStore
from hpatwin.records.testing import ThrowawayPostgres, find_postgres_bindir
from hpatwin.web import audit
from hpatwin.web.app import create_app
from hpatwin.web.audit import verify_audit_chain
from hpatwin.web.security import SecurityConfig
from hpatwin.web.tables import audit_log
from hpatwin.web.users import create_user
from tests.records.conftest import postgres_missing
from tests.web.conftest import PASSWORD, Clock, add_patient, login, phq9


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    bindir = find_postgres_bindir()
    if bindir is None:
        postgres_missing()
    pg = ThrowawayPostgres(bindir)
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()


def test_web_app_on_postgresql(cluster: ThrowawayPostgres) -> None:
    clock = Clock()
    app = create_app(cluster.new_database(), config=SecurityConfig(clock=clock))
    store = app.state.ctx.store
    create_user(store, "dr_a", "clinician", "clinic-a", PASSWORD, actor="setup")
    client = TestClient(app, follow_redirects=False)
    token = login(client, "dr_a")
    add_patient(client, token)
    assert phq9(client, token, "p001", [1] * 9, f"{clock():%Y-%m-%dT%H:%M}").status_code == 303
    assert "URGENT" in client.get("/patients/p001").text

    _concurrent_appends_keep_one_chain(store)
    store.close()


def test_concurrent_appends_on_sqlite(app: FastAPI) -> None:
    _concurrent_appends_keep_one_chain(app.state.ctx.store)


def _concurrent_appends_keep_one_chain(store: RecordStore) -> None:
    def append_many(n: int) -> None:
        for _ in range(n):
            with store.writing("t") as w:
                audit.append(w.session, at=datetime.now(UTC), actor="t", action="probe")

    threads = [threading.Thread(target=append_many, args=(15,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.engine.connect() as connection:
        report = verify_audit_chain(connection)
        probes = connection.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "probe")
        ).scalar()
    assert report.ok and probes == 60
