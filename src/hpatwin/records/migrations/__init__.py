"""Alembic migrations of the record store, shipped inside the package and run in-process.

The revision scripts live in ``versions/``; :func:`upgrade` and :func:`downgrade` run them
on an open SQLAlchemy connection without an ``alembic.ini`` or ``env.py``.

Example
-------
>>> from sqlalchemy import create_engine
>>> engine = create_engine("sqlite://")
>>> with engine.begin() as connection:
...     upgrade(connection)
...     current_revision(connection) == HEAD
True
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

__all__ = ["HEAD", "current_revision", "downgrade", "revisions", "script_directory", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent


def script_directory() -> ScriptDirectory:
    """The Alembic script directory of the shipped revisions."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


HEAD: str = script_directory().get_current_head() or ""
"""The newest revision id."""


def revisions() -> list[str]:
    """Revision ids from oldest to newest.

    Example
    -------
    >>> revisions()
    ['0001_initial', '0002_safety_alerts']
    """
    return [s.revision for s in reversed(list(script_directory().walk_revisions()))]


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def _run(connection: Connection, target: str, upgrading: bool) -> None:
    script = script_directory()

    def steps(revision: Any, _context: MigrationContext) -> Iterable[Any]:
        if upgrading:
            return script._upgrade_revs(target, revision)
        return script._downgrade_revs(target, revision)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with EnvironmentContext(config, script, fn=steps, destination_rev=target) as env:
        env.configure(connection=connection, render_as_batch=True)
        with env.begin_transaction():
            env.run_migrations()


def upgrade(connection: Connection, target: str = "head") -> None:
    """Upgrade the database on ``connection`` to ``target`` (default: the newest)."""
    _run(connection, target, upgrading=True)


def downgrade(connection: Connection, target: str) -> None:
    """Downgrade to ``target`` (a revision id, or ``"base"`` for an empty schema)."""
    _run(connection, target, upgrading=False)
