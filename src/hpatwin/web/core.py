"""The request context, the one authorisation dependency, auditing and patient access.

Every route is declared with a policy (:func:`allow` or :func:`public`) and every router is
built with ``dependencies=[Depends(authorize)]``; :func:`authorize` reads the matched
route's policy, so a route without one is refused (fail closed). A test walks
``app.routes`` to check both.

Example
-------
>>> @allow("clinician")
... def endpoint() -> None: ...
>>> policy_of(endpoint)
Policy(roles=frozenset({'clinician'}), public=False)
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from hpatwin.errors import NotFoundError, PermissionDeniedError
from hpatwin.records import models
from hpatwin.records.entries import check_pseudonym
from hpatwin.records.store import RecordStore
from hpatwin.web import audit
from hpatwin.web.forecast import ForecastJobs
from hpatwin.web.pdf import PdfRenderer
from hpatwin.web.security import (
    SESSION_COOKIE,
    Principal,
    SecurityConfig,
    check_csrf,
    resolve_session,
    session_needs_write,
)
from hpatwin.web.tables import patient_clinics

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "POLICY_ATTR",
    "LoginRequired",
    "Policy",
    "WebContext",
    "allow",
    "authorize",
    "context",
    "policy_of",
    "public",
]

LOG = logging.getLogger("hpatwin.web")
POLICY_ATTR = "__hpatwin_policy__"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    """Who may call a route: ``public`` routes anyone; others only the named roles."""

    roles: frozenset[str]
    public: bool = False


def allow(*roles: str) -> Callable[[_F], _F]:
    """Mark an endpoint as open to the given roles (logged in)."""

    def mark(function: _F) -> _F:
        setattr(function, POLICY_ATTR, Policy(frozenset(roles)))
        return function

    return mark


def public(function: _F) -> _F:
    """Mark an endpoint as open without login (login page, health, static files)."""
    setattr(function, POLICY_ATTR, Policy(frozenset(), public=True))
    return function


def policy_of(endpoint: Any) -> Policy | None:
    """The policy set by :func:`allow` / :func:`public`, or ``None``."""
    policy = getattr(endpoint, POLICY_ATTR, None)
    return policy if isinstance(policy, Policy) else None


class LoginRequired(Exception):  # noqa: N818 - control flow, handled by the app
    """No valid session: HTML requests go to the login page, API requests get 401."""


class CsrfFailed(Exception):  # noqa: N818
    """A state-changing request without the session's CSRF token (403)."""


class RateLimited(Exception):  # noqa: N818
    """Too many login attempts from one client (429)."""


@dataclass
class RateLimiter:
    """A sliding-window limit per client address (login attempts)."""

    limit: int = 20
    window_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _hits: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def hit(self, key: str) -> bool:
        """Record an attempt; False when over the limit."""
        now = self.clock()
        hits = self._hits[key]
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


@dataclass
class WebContext:
    """What every request needs: the store, security settings, templates, the login limiter,
    the PDF renderer of the patient report and the patient-twin forecast jobs."""

    store: RecordStore
    config: SecurityConfig
    templates: Jinja2Templates
    limiter: RateLimiter
    pdf: PdfRenderer = field(default_factory=PdfRenderer.default)
    forecasts: ForecastJobs | None = None

    @contextmanager
    def write(self, actor: str) -> Iterator[Session]:
        """A write transaction (records and web tables commit together)."""
        with self.store.writing(actor) as writer:
            yield writer.session

    def audit(self, principal: Principal, action: str, target: str = "", detail: str = "") -> None:
        """Append an audit row in its own transaction."""
        with self.write(principal.username) as db:
            self.audit_in(db, principal, action, target, detail)

    def audit_in(
        self, db: Session, principal: Principal, action: str, target: str = "", detail: str = ""
    ) -> None:
        """Append an audit row inside the caller's write transaction (it commits with the write)."""
        audit.append(
            db, at=self.config.now(), actor=principal.username, action=action,
            target=target, detail=detail,
        )


def context(request: Request) -> WebContext:
    """The app's :class:`WebContext`."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, WebContext)
    return ctx


def _user(db: Session, username: str) -> models.User | None:
    row = db.scalars(select(models.User).where(models.User.username == username)).first()
    return None if row is None or row.deleted_at is not None else row


async def authorize(request: Request) -> Principal | None:
    """The one authorisation dependency: session, role and CSRF checks from the route's policy."""
    route = request.scope.get("route")
    policy = policy_of(getattr(route, "endpoint", None))
    if policy is None:
        raise PermissionDeniedError("this route has no access policy")
    ctx = context(request)
    principal: Principal | None = None
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        # a read transaction unless the session must be touched or deleted (most requests)
        with ctx.store.reading() as db:
            needs_write = session_needs_write(db, session_id, ctx.config)
        with ctx.write("web") if needs_write else ctx.store.reading() as db:
            found = resolve_session(db, session_id, ctx.config)
            user = _user(db, found[0]) if found else None
            if found and user is not None:
                principal = Principal(user.username, user.role, user.clinic, found[1])
    request.state.principal = principal
    if policy.public:
        return principal
    if principal is None:
        raise LoginRequired()
    if principal.role not in policy.roles:
        raise PermissionDeniedError("your role may not open this page")
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None and "form" in request.headers.get("content-type", ""):
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not check_csrf(principal.csrf_token, given):
            raise CsrfFailed()
    return principal


def current(request: Request) -> Principal:
    """The logged-in principal set by :func:`authorize` (protected routes only)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise LoginRequired()
    return principal


def visible_pseudonyms(db: Session, principal: Principal) -> set[str]:
    """Pseudonyms of the patients of the clinician's clinic."""
    if principal.role != "clinician" or principal.clinic is None:
        return set()
    rows = db.execute(
        select(patient_clinics.c.pseudonym).where(patient_clinics.c.clinic == principal.clinic)
    )
    return {r[0] for r in rows}


def check_patient_access(ctx: WebContext, principal: Principal, pseudonym: str) -> None:
    """A clinician may open only their own clinic's patients (others: not found)."""
    check_pseudonym(pseudonym)
    with ctx.store.reading() as db:
        clinic = db.execute(
            select(patient_clinics.c.clinic).where(patient_clinics.c.pseudonym == pseudonym)
        ).scalar()
    if principal.role != "clinician" or clinic is None or clinic != principal.clinic:
        raise NotFoundError("patient: no such patient in your clinic")


def assign_clinic(db: Session, pseudonym: str, clinic: str) -> None:
    """Put a patient in a clinic (first assignment wins)."""
    exists = db.execute(
        select(patient_clinics.c.pseudonym).where(patient_clinics.c.pseudonym == pseudonym)
    ).first()
    if exists is None:
        db.execute(patient_clinics.insert().values(pseudonym=pseudonym, clinic=clinic))
