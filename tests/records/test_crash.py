"""kill -9 during an import or a backup leaves a consistent database (real subprocesses, SIGKILL)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from hpatwin.records.backup import backup
from hpatwin.records.entries import PatientEntry
from hpatwin.records.store import RecordStore

SRC = Path(__file__).resolve().parents[2] / "src"
ROWS = 4000


def _cli(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "hpatwin", "records", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _big_csv(path: Path) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    lines = ["patient,instrument,administered_at,item_1"]
    lines += [
        f"p{i % 20},nrs,{(start + timedelta(hours=i)).isoformat()},{i % 11}" for i in range(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n")


def _in_transaction(store: RecordStore, wal: Path) -> bool:
    if store.backend == "sqlite":
        return wal.exists() and wal.stat().st_size > 64 * 1024
    with store.engine.connect() as c:
        busy = c.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start < now() - interval '0.5 seconds'"
            )
        ).scalar()
    return bool(busy)


def _kill_when(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], timeout_s: float = 120
) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    process.wait()
    return False


@pytest.mark.slow  # imports 4,000 rows in a child process (20-60 s on a busy machine)
def test_kill_9_during_import_leaves_all_or_nothing(store_url: str, tmp_path: Path) -> None:
    store = RecordStore(store_url)
    store.init()
    store.add_patient(PatientEntry("p0"), actor="setup")
    before = store.counts()
    csv = tmp_path / "big.csv"
    _big_csv(csv)
    wal = Path(str(tmp_path / "records.db") + "-wal")
    killed = _kill_when(
        _cli("--db", store_url, "import", str(csv)), lambda: _in_transaction(store, wal)
    )
    assert killed, "the import finished before it could be killed; make the file bigger"
    if store.backend == "sqlite":
        check = (
            sqlite3.connect(tmp_path / "records.db").execute("PRAGMA integrity_check").fetchone()
        )
        assert check == ("ok",)
    assert store.counts() == before  # nothing of the killed transaction is visible
    finished = subprocess.run(
        [sys.executable, "-m", "hpatwin", "records", "--db", store_url, "import", str(csv)],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-500:]
    assert store.counts()["assessments"] == ROWS
    store.close()


def test_kill_9_during_backup_never_leaves_a_partial_backup(tmp_path: Path) -> None:
    database = tmp_path / "records.db"
    store = RecordStore(database)
    store.init()
    store.add_patient(PatientEntry("p0"), actor="setup")
    with sqlite3.connect(database) as raw:  # bulk so the copy takes a while
        raw.execute("CREATE TABLE filler (blob BLOB)")
        raw.executemany("INSERT INTO filler VALUES (randomblob(65536))", [()] * 1500)
    before = store.counts()
    destination = tmp_path / "backup.db"

    def partial() -> bool:
        return any(tmp_path.glob(".backup.db.*.partial"))

    killed = _kill_when(_cli("--db", str(database), "backup", str(destination)), partial)
    assert killed, "the backup finished before it could be killed"
    assert not destination.exists()  # never a half-written file under the real name
    assert sqlite3.connect(database).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert store.counts() == before
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "hpatwin",
            "records",
            "--db",
            str(database),
            "backup",
            str(destination),
        ],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 0
    assert sqlite3.connect(destination).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert RecordStore(destination).counts() == before
    store.close()


def test_postgresql_backup_uses_pg_dump(store: RecordStore, tmp_path: Path) -> None:
    if store.backend != "postgresql":
        pytest.skip("pg_dump applies to PostgreSQL")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    store.add_patient(PatientEntry("p1"), actor="a")
    destination = tmp_path / "dump.pgc"
    assert backup(store, destination) == "pg_dump (custom format)"
    assert destination.read_bytes()[:5] == b"PGDMP"
    assert not list(tmp_path.glob(".dump.pgc.*.partial"))
