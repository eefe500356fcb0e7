"""Alembic migrations of the web app's own tables (sessions, throttle, audit log, patient clinics).

A separate chain with its own version table (``hpatwin_web_version``), run in-process like
the record store's (:mod:`hpatwin.records.migrations`), so the two schemas evolve
independently in one database.

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

__all__ = ["HEAD", "VERSION_TABLE", "current_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "hpatwin_web_version"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def script_directory() -> ScriptDirectory:
    """The Alembic script directory of the web app's revisions."""
    return ScriptDirectory.from_config(_config())


HEAD: str = script_directory().get_current_head() or ""


def current_revision(connection: Connection) -> str | None:
    """The web schema revision of the database (``None`` before the first upgrade)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: Connection, target: str = "head") -> None:
    """Upgrade the web tables on ``connection`` to ``target``."""
    script = script_directory()

    def steps(revision: Any, _context: MigrationContext) -> Iterable[Any]:
        return script._upgrade_revs(target, revision)

    with EnvironmentContext(_config(), script, fn=steps, destination_rev=target) as env:
        env.configure(connection=connection, render_as_batch=True, version_table=VERSION_TABLE)
        with env.begin_transaction():
            env.run_migrations()
