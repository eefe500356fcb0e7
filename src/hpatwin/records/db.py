"""Database URLs and engines: SQLite by default (WAL, busy timeout, immediate writes), PostgreSQL by URL.

Where the store lives, first match wins: an explicit ``--db`` / ``url`` argument (a
SQLAlchemy URL or a file path), the ``HPATWIN_DATABASE_URL`` environment variable, then
``records.db`` in the user's data folder (``$XDG_DATA_HOME/hpatwin`` or
``~/.local/share/hpatwin`` on Linux, ``~/Library/Application Support/hpatwin`` on macOS,
``%LOCALAPPDATA%\\hpatwin`` on Windows).

SQLite connections use write-ahead logging (readers never block the writer), a busy
timeout (a writer waits for the lock instead of failing) and ``BEGIN IMMEDIATE`` for
write transactions (the write lock is taken at the start, so two writers never both
read and then fail to upgrade their lock). ``postgresql://`` URLs use psycopg 3.

Example
-------
>>> resolve_url("postgresql://u@localhost/hpa")
'postgresql+psycopg://u@localhost/hpa'
>>> resolve_url("/tmp/r.db")
'sqlite:////tmp/r.db'
>>> engine = make_engine("sqlite://")
>>> engine.dialect.name
'sqlite'
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError

from hpatwin.errors import InputError

__all__ = [
    "BUSY_TIMEOUT_S",
    "DATABASE_URL_ENV",
    "WRITE_OPTION",
    "default_database_path",
    "make_engine",
    "redacted",
    "resolve_url",
]

DATABASE_URL_ENV = "HPATWIN_DATABASE_URL"
BUSY_TIMEOUT_S = 60.0
"""Assumption: a writer waits up to 60 s for the SQLite lock; writes take milliseconds, so
only a stuck process or a long import makes another writer wait that long."""
WRITE_OPTION = "hpatwin_write"
"""Execution option that marks a write transaction (``BEGIN IMMEDIATE`` on SQLite)."""


def default_database_path() -> Path:
    """``records.db`` in the platform's per-user data folder (like platformdirs).

    Example
    -------
    >>> default_database_path().name
    'records.db'
    """
    if sys.platform == "win32":  # pragma: no cover - platform specific
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":  # pragma: no cover - platform specific
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "hpatwin" / "records.db"


def resolve_url(url: str | os.PathLike[str] | None = None) -> str:
    """A SQLAlchemy URL from an argument, the environment, or the default file.

    A plain path becomes a SQLite URL; ``postgresql://`` and ``postgres://`` select psycopg 3.

    Example
    -------
    >>> resolve_url("sqlite:///x.db"), resolve_url("postgres://h/db")
    ('sqlite:///x.db', 'postgresql+psycopg://h/db')
    """
    chosen = url if url is not None else os.environ.get(DATABASE_URL_ENV)
    if chosen is None:
        path = default_database_path()
        # patient data: the default folder is private to the user (rwx------)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    text = os.fspath(chosen)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text


def redacted(url: str) -> str:
    """The URL with any password hidden (for messages).

    Example
    -------
    >>> redacted("postgresql+psycopg://u:secret@h/db")
    'postgresql+psycopg://u:***@h/db'
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun explicitly below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str | os.PathLike[str] | None = None) -> Engine:
    """An engine for ``url`` (see :func:`resolve_url`) with the SQLite settings above.

    Example
    -------
    >>> with make_engine("sqlite://").connect() as c:
    ...     c.exec_driver_sql("PRAGMA busy_timeout").scalar()
    60000
    """
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        raise InputError(
            "not a database URL",
            field="--db",
            allowed="a file path or sqlite:// / postgresql:// URL",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise InputError(
        f"unsupported database backend {backend!r}", field="--db", allowed="sqlite, postgresql"
    )
