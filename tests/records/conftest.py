"""Fixtures for the record store: a throwaway PostgreSQL cluster and filled stores.

The PostgreSQL cluster is created with ``initdb`` in a temporary folder and started with
``pg_ctl`` on a free loopback port (as the ``postgres`` user when the tests run as root,
because PostgreSQL refuses to run as root). Without the binaries the PostgreSQL tests
are skipped locally, but fail under ``CI=true`` (``scripts/test.sh`` installs them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import pytest

from hpatwin.records.entries import (
    AdverseEvent,
    AssessmentEntry,
    CortisolEntry,
    EpisodeEntry,
    HrvEntry,
    MedicationEntry,
    NoteEntry,
    PatientEntry,
    SessionEntry,
    VitalsEntry,
)
from hpatwin.records.store import RecordStore
from hpatwin.records.testing import ThrowawayPostgres, find_postgres_bindir

BACKENDS = ("sqlite", "postgresql")
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def postgres_missing() -> NoReturn:
    """Skip the PostgreSQL tests locally; fail them under ``CI=true``."""
    reason = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must test PostgreSQL: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL cluster for the session (skip locally, fail under CI, without binaries)."""
    bindir = find_postgres_bindir()
    if bindir is None:
        postgres_missing()
    cluster = ThrowawayPostgres(bindir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.db'}"
    cluster: ThrowawayPostgres = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def store(store_url: str) -> Iterator[RecordStore]:
    """An initialised, empty store on each backend."""
    s = RecordStore(store_url)
    s.init()
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[RecordStore]:
    """An initialised, empty SQLite store (for tests that do not depend on the backend)."""
    s = RecordStore(tmp_path / "records.db")
    s.init()
    yield s
    s.close()


def fill_patient(store: RecordStore, pseudonym: str = "p1", actor: str = "dr_a") -> None:
    """Every kind of row for one patient."""
    store.add_patient(
        PatientEntry(
            pseudonym,
            birth_year=1978,
            sex="female",
            pregnant=True,
            pregnancy_start_on=date(2024, 1, 10),
            pregnancy_due_on=date(2024, 10, 16),
            lactating=False,
            hepatic_function="mild impairment",
            creatinine_clearance_ml_min=55.5,
            conditions=("epilepsy",),
            allergies=("latex",),
            implanted_devices=("pacemaker",),
        ),
        actor=actor,
    )
    with store.writing(actor) as w:
        w.add_medication(pseudonym, MedicationEntry("Cymbalta", 60, "mg", "qd", date(2024, 1, 2)))
        w.add_medication(
            pseudonym,
            MedicationEntry("ibuprofen", 400, "mg", "tid", date(2024, 1, 2), date(2024, 2, 1)),
        )
        w.add_episode(pseudonym, EpisodeEntry("EA course", date(2024, 3, 1)))
        for week in range(7):
            start = T0 + timedelta(days=7 * week)
            w.add_session(
                pseudonym,
                SessionEntry(
                    start,
                    30,
                    "ea",
                    points=("LI4", "LR3", "GV20"),
                    electrode_pairs=(("LI4", "LR3"),),
                    frequency_hz="2/100",
                    intensity_ma=2.5,
                    adverse_events=(AdverseEvent("bruising", "mild"),) if week == 1 else (),
                    episode_started_on=date(2024, 3, 1),
                ),
            )
            w.add_assessment(
                pseudonym,
                AssessmentEntry("phq9", start - timedelta(minutes=10), (2,) * 8 + (week % 2,), 1),
            )
            w.add_assessment(
                pseudonym, AssessmentEntry("nrs", start - timedelta(minutes=9), (7 - week // 2,))
            )
        w.add_session(pseudonym, SessionEntry(T0 + timedelta(days=60), 50, "cbt"))
        w.add_vitals(pseudonym, VitalsEntry(T0, "before", 5, 72, 124, 80))
        w.add_vitals(pseudonym, VitalsEntry(T0, "after", 10, 66, None, None))
        w.add_cortisol(
            pseudonym, CortisolEntry(T0 - timedelta(hours=1), 14.2, "nmol/L", "LC-MS/MS", "waking")
        )
        w.add_cortisol(
            pseudonym, CortisolEntry(T0 + timedelta(hours=14), 120, "ng/dL", "ECLIA", "")
        )
        w.add_hrv(
            pseudonym, HrvEntry(T0 + timedelta(hours=1), tuple(800.0 + (i % 7) for i in range(400)))
        )
        w.add_hrv(pseudonym, HrvEntry(T0 + timedelta(hours=2), None, 31.5, 44.0, 71.0))
        w.add_note(pseudonym, NoteEntry(T0 + timedelta(hours=3), "tolerated well"))


@pytest.fixture
def filled() -> Callable[[RecordStore, str], None]:
    """The :func:`fill_patient` helper."""
    return fill_patient
