"""Tables the web app owns: server-side sessions, login throttling, the audit log, clinic of a patient.

They live next to the record store's tables in the same database, created by the web
app's own Alembic chain (:mod:`hpatwin.web.migrations`, version table
``hpatwin_web_version``), so the record store's schema and migrations stay untouched.

Example
-------
>>> sorted(metadata.tables)
['audit_log', 'login_throttle', 'patient_clinics', 'web_sessions', 'web_settings']
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "audit_log",
    "login_throttle",
    "metadata",
    "patient_clinics",
    "web_sessions",
    "web_settings",
]

metadata = MetaData()

web_sessions = Table(
    "web_sessions",
    metadata,
    # sha256 of the random session id: a stolen database does not yield live cookies
    Column("id_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("csrf_token", String(64), nullable=False),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
)

patient_clinics = Table(
    "patient_clinics",
    metadata,
    Column("pseudonym", String(64), primary_key=True),
    Column("clinic", String(128), nullable=False, index=True),
)

web_settings = Table(
    "web_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
