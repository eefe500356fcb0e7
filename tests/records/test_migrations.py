"""Migrations: upgrade from empty and from the previous revision, downgrade, and agreement with the models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from hpatwin.records.entries import AssessmentEntry, PatientEntry
from hpatwin.records.migrations import HEAD, current_revision, downgrade, revisions, upgrade
from hpatwin.records.models import Base
from hpatwin.records.store import RecordStore

from .conftest import postgres_missing


def test_upgrade_from_empty_reaches_head_and_matches_the_models(store_url: str) -> None:
    store = RecordStore(store_url)
    assert store.revision() is None
    assert store.init() == HEAD
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert store.init() == HEAD  # idempotent
    store.close()


def test_upgrade_from_the_previous_revision_keeps_data(store_url: str) -> None:
    previous, head = revisions()[-2:]
    store = RecordStore(store_url)
    with store.engine.begin() as connection:
        upgrade(connection, previous)
        assert current_revision(connection) == previous
        assert "safety_alerts" not in inspect(connection).get_table_names()
        connection.execute(
            text(
                "INSERT INTO patients (pseudonym, sex, pregnant, lactating, hepatic_function, "
                "conditions, allergies, implanted_devices, version, created_at, created_by, "
                "updated_at, updated_by) VALUES ('p1', 'female', false, false, 'normal', '[]', "
                "'[]', '[]', 1, :t, 'x', :t, 'x')"
            ),
            {"t": datetime(2024, 1, 1)},
        )
    assert store.init() == head
    when = datetime(2024, 1, 2, 9, tzinfo=UTC)
    store.add_assessment("p1", AssessmentEntry("phq9", when, (1,) * 9), actor="dr_a")
    assert [a.entry.code for a in store.load("p1").open_alerts] == ["phq9_item9_positive"]
    store.close()


def test_downgrade_to_previous_and_to_base(store_url: str) -> None:
    store = RecordStore(store_url)
    store.init()
    store.add_patient(PatientEntry("p1"), actor="dr_a")
    previous = revisions()[-2]
    with store.engine.begin() as connection:
        downgrade(connection, previous)
        assert current_revision(connection) == previous
        assert "safety_alerts" not in inspect(connection).get_table_names()
        assert connection.execute(text("SELECT count(*) FROM patients")).scalar() == 1
        downgrade(connection, "base")
        assert current_revision(connection) is None
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set()
    store.close()


def test_missing_postgresql_skips_locally_but_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        postgres_missing()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must test PostgreSQL"):
        postgres_missing()
