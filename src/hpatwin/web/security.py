"""Passwords (argon2id), server-side sessions with idle and absolute timeouts, CSRF tokens, login lockout.

* Passwords are hashed with argon2id (``argon2-cffi`` defaults: RFC 9106 low-memory
  profile); unknown usernames are checked against a dummy hash so timing does not tell
  whether an account exists.
* A session id is 32 random bytes (``secrets.token_urlsafe``) sent in an HttpOnly,
  SameSite=Strict cookie; the database keeps only its SHA-256, with the user, creation
  and last-seen times and a per-session CSRF token.
* A session ends after :attr:`SecurityConfig.idle_timeout` without a request or
  :attr:`SecurityConfig.absolute_timeout` after login, whichever comes first.
* :attr:`SecurityConfig.max_failures` failed logins in a row lock the username for
  :attr:`SecurityConfig.lockout`.

Example
-------
>>> h = hash_password("correct horse battery staple")
>>> verify_password(h, "correct horse battery staple"), verify_password(h, "wrong")
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from hpatwin.web.tables import login_throttle, web_sessions

__all__ = [
    "SESSION_COOKIE",
    "Principal",
    "SecurityConfig",
    "check_csrf",
    "end_session",
    "hash_password",
    "login_allowed",
    "new_session",
    "record_login_result",
    "resolve_session",
    "verify_password",
]

SESSION_COOKIE = "hpatwin_session"
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password; equalises timing for unknown users")
MIN_PASSWORD_LENGTH = 12
"""Assumption: NIST SP 800-63B asks for at least 8 characters; 12 for clinical data."""


@dataclass(frozen=True)
class SecurityConfig:
    """Timeouts and lockout; ``clock`` returns aware UTC times (tests inject their own)."""

    idle_timeout: timedelta = timedelta(minutes=15)
    absolute_timeout: timedelta = timedelta(hours=8)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    cookie_secure: bool = False
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def now(self) -> datetime:
        """The current time as naive UTC (how the tables store it)."""
        return self.clock().astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Principal:
    """The logged-in user of a request."""

    username: str
    role: str
    clinic: str | None
    csrf_token: str


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing hash still costs one verification."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def new_session(db: Session, username: str, config: SecurityConfig) -> str:
    """Create a session for ``username``; returns the raw id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    now = config.now()
    db.execute(
        insert(web_sessions).values(
            id_hash=_digest(session_id),
            username=username,
            created_at=now,
            last_seen_at=now,
            csrf_token=secrets.token_urlsafe(32),
        )
    )
    return session_id


TOUCH_INTERVAL = timedelta(seconds=30)
"""A session's last-seen time is written at most this often (one write per request cost a
database write transaction on every page; idle expiry is therefore exact to 30 s)."""


def session_needs_write(db: Session, session_id: str, config: SecurityConfig) -> bool:
    """Whether :func:`resolve_session` would write: a live session seen over 30 s ago, or an
    expired one to delete (read-only check; unknown sessions need no write)."""
    row = db.execute(
        select(web_sessions.c.last_seen_at).where(web_sessions.c.id_hash == _digest(session_id))
    ).first()
    return row is not None and config.now() - row[0] >= TOUCH_INTERVAL


def resolve_session(
    db: Session, session_id: str, config: SecurityConfig
) -> tuple[str, str] | None:
    """``(username, csrf_token)`` of a live session (touching it when last seen 30 s or more
    ago), else ``None`` (expired ones are deleted)."""
    key = _digest(session_id)
    row = db.execute(select(web_sessions).where(web_sessions.c.id_hash == key)).mappings().first()
    if row is None:
        return None
    now = config.now()
    if (
        now - row["last_seen_at"] > config.idle_timeout
        or now - row["created_at"] > config.absolute_timeout
    ):
        db.execute(delete(web_sessions).where(web_sessions.c.id_hash == key))
        return None
    if now - row["last_seen_at"] >= TOUCH_INTERVAL:
        db.execute(
            update(web_sessions).where(web_sessions.c.id_hash == key).values(last_seen_at=now)
        )
    return str(row["username"]), str(row["csrf_token"])


def end_session(db: Session, session_id: str) -> None:
    """Delete a session (logout)."""
    db.execute(delete(web_sessions).where(web_sessions.c.id_hash == _digest(session_id)))


def check_csrf(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's token with the one sent."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def login_allowed(db: Session, username: str, config: SecurityConfig) -> bool:
    """False while ``username`` is locked out."""
    row = db.execute(
        select(login_throttle).where(login_throttle.c.username == username[:64])
    ).mappings().first()
    return not (row and row["locked_until"] and row["locked_until"] > config.now())


def record_login_result(db: Session, username: str, ok: bool, config: SecurityConfig) -> bool:
    """Count a failure (locking after ``max_failures``) or reset on success; True if now locked."""
    name = username[:64]
    row = db.execute(
        select(login_throttle).where(login_throttle.c.username == name)
    ).mappings().first()
    if ok:
        if row is not None:
            db.execute(delete(login_throttle).where(login_throttle.c.username == name))
        return False
    failures = (row["failures"] if row else 0) + 1
    locked_until = None
    if failures >= config.max_failures:
        locked_until, failures = config.now() + config.lockout, 0
    if row is None:
        db.execute(
            insert(login_throttle).values(
                username=name, failures=failures, locked_until=locked_until
            )
        )
    else:
        db.execute(
            update(login_throttle)
            .where(login_throttle.c.username == name)
            .values(failures=failures, locked_until=locked_until)
        )
    return locked_until is not None
