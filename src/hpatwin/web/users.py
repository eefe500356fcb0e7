"""Web users: create with an argon2id password hash; look up for login.

Users live in the record store's ``users`` table (username, role, clinic,
``password_hash``); the hash is set after the insert, so the insert's revision snapshot
never holds it.

Example
-------
>>> from hpatwin.records.store import RecordStore
>>> from hpatwin.web.app import init_database
>>> store = RecordStore("sqlite://"); init_database(store)
>>> create_user(store, "admin", "admin", None, "a long enough password", actor="setup")
'admin'
>>> check_login(store, "admin", "a long enough password")
('admin', 'admin', None)
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from hpatwin.errors import InputError, NotFoundError
from hpatwin.records import models
from hpatwin.records.store import RecordStore
from hpatwin.records.validation import ROLES
from hpatwin.web import audit
from hpatwin.web.security import MIN_PASSWORD_LENGTH, hash_password, verify_password
from hpatwin.web.tables import web_sessions

__all__ = ["check_login", "create_user", "disable_user", "list_users"]


def create_user(
    store: RecordStore,
    username: str,
    role: str,
    clinic: str | None,
    password: str,
    *,
    actor: str,
) -> str:
    """Add a user with a password (at least 12 characters); clinicians need a clinic."""
    if role not in ROLES:
        raise InputError("unknown role", field="role", allowed=", ".join(ROLES))
    if role == "clinician" and not (clinic and clinic.strip()):
        raise InputError("a clinician needs a clinic", field="clinic", allowed="a clinic name")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("too short", field="password",
                         allowed=f"at least {MIN_PASSWORD_LENGTH} characters")
    with store.writing(actor) as w:
        stored = w.add_user(username, role, clinic.strip() if clinic else None)
        row = w.session.get(models.User, stored.id)
        assert row is not None
        row.password_hash = hash_password(password)
        w.session.flush()
        audit.append(
            w.session, at=datetime.now(UTC), actor=actor, action="user.create",
            target=f"user:{row.username}", detail=f"role={role}",
        )
    return stored.entry[0]


def check_login(store: RecordStore, username: str, password: str) -> tuple[str, str, str | None] | None:
    """``(username, role, clinic)`` when the password matches, else ``None``."""
    with store.reading() as db:
        row = db.scalars(select(models.User).where(models.User.username == username)).first()
        live = row is not None and row.deleted_at is None
        stored_hash = row.password_hash if row is not None and live else None
        ok = verify_password(stored_hash, password)
        if ok and row is not None:
            return row.username, row.role, row.clinic
    return None


def list_users(store: RecordStore) -> list[tuple[str, str, str | None]]:
    """Every live user as ``(username, role, clinic)``."""
    with store.reading() as db:
        rows = db.scalars(
            select(models.User).where(models.User.deleted_at.is_(None)).order_by(models.User.username)
        )
        return [(r.username, r.role, r.clinic) for r in rows]


def disable_user(store: RecordStore, username: str, reason: str, *, actor: str) -> None:
    """Disable a user (soft delete with a reason) and end their sessions at once."""
    if username == actor:
        raise InputError("you cannot disable yourself", field="username")
    with store.writing(actor) as w:
        row = w.session.scalars(select(models.User).where(models.User.username == username)).first()
        if row is None or row.deleted_at is not None:
            raise NotFoundError("user: no such user")
        w.soft_delete("users", row.id, reason)
        w.session.execute(delete(web_sessions).where(web_sessions.c.username == username))
        audit.append(w.session, at=datetime.now(UTC), actor=actor, action="user.disable",
                     target=f"user:{username}")
