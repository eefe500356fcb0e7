"""Backups of the record store: SQLite's online backup API, or ``pg_dump`` for PostgreSQL.

The copy is written to a temporary file next to the destination and moved into place
only when complete, so an interrupted backup (even ``kill -9``) never leaves a partial
file under the destination name, and the live database is only read.

Example
-------
>>> import tempfile, pathlib, sqlite3
>>> from hpatwin.records.store import RecordStore
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> store = RecordStore(folder / "records.db"); _ = store.init()
>>> backup(store, folder / "copy.db")
'sqlite online backup'
>>> sqlite3.connect(folder / "copy.db").execute("PRAGMA integrity_check").fetchone()
('ok',)
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import make_url

from hpatwin.errors import InputError, ResourceError
from hpatwin.records.store import RecordStore

__all__ = ["PAGES_PER_STEP", "backup"]

PAGES_PER_STEP = 256
"""SQLite pages copied per step (1 MiB at the default 4 KiB page size); between steps other
connections may write, and SQLite restarts the copy if they do. Assumption: small enough not to
hold up writers noticeably, large enough that a clinic-sized file copies in a few steps."""


def _temporary_next_to(destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
    )
    os.close(handle)
    return Path(name)


def _sqlite_backup(database: Path, destination: Path) -> None:
    partial = _temporary_next_to(destination)
    try:
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=PAGES_PER_STEP)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
            source.close()
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)


def _pg_dump(url: str, destination: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise ResourceError("backup: pg_dump not found; install the PostgreSQL client tools")
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:  # via the environment, never on the command line (ps)
        env["PGPASSWORD"] = str(parsed.password)
    target = parsed.set(password=None).render_as_string(hide_password=False)
    partial = _temporary_next_to(destination)
    try:
        result = subprocess.run(
            [pg_dump, "--format=custom", f"--file={partial}", target],
            capture_output=True,
            timeout=3600,
            check=False,
            env=env,
        )
        if result.returncode != 0:
            raise ResourceError(f"backup: pg_dump failed with exit status {result.returncode}")
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)


def backup(
    store: RecordStore, destination: str | os.PathLike[str], *, overwrite: bool = False
) -> str:
    """Copy the store to ``destination``; returns the method used.

    SQLite: a consistent copy with the online backup API (a SQLite file). PostgreSQL:
    ``pg_dump --format=custom`` (restore with ``pg_restore``).

    Example
    -------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> store = RecordStore(folder / "r.db"); _ = store.init()
    >>> _ = backup(store, folder / "b.db")
    >>> try:
    ...     backup(store, folder / "b.db")
    ... except InputError as exc:
    ...     print(exc)
    b.db: already exists (allowed: a new file, or --overwrite)
    """
    target = Path(destination)
    if target.exists() and not overwrite:
        raise InputError("already exists", source=target.name, allowed="a new file, or --overwrite")
    if store.backend == "sqlite":
        database = make_url(store.url).database
        if not database or database == ":memory:":
            raise InputError("an in-memory database cannot be backed up", field="--db")
        _sqlite_backup(Path(database), target)
        return "sqlite online backup"
    _pg_dump(store.url, target)
    return "pg_dump (custom format)"
