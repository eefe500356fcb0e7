"""The clinic web app: :func:`create_app` builds the FastAPI application on a record store.

Example
-------
>>> from fastapi.testclient import TestClient
>>> client = TestClient(create_app("sqlite://"), follow_redirects=False)
>>> client.get("/health").text, client.get("/patients").headers["location"]
('ok', '/login')
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from hpatwin.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from hpatwin.records.db import WRITE_OPTION
from hpatwin.records.store import RecordStore
from hpatwin.web import api, audit, pages
from hpatwin.web.core import LOG, CsrfFailed, LoginRequired, RateLimited, RateLimiter, WebContext
from hpatwin.web.forecast import (
    ForecastBusyError,
    ForecastJob,
    ForecastJobs,
    ForecastSettings,
    default_forecast_folder,
)
from hpatwin.web.migrations import upgrade as upgrade_web
from hpatwin.web.pdf import PdfRenderer, PdfUnavailable
from hpatwin.web.security import SecurityConfig
from hpatwin.web.tables import web_settings

__all__ = ["create_app", "init_database", "research_key_of"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def init_database(store: RecordStore) -> None:
    """Create or upgrade the record store's schema and the web app's tables."""
    store.init()
    with store.engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        upgrade_web(connection)


def research_key_of(store: RecordStore) -> bytes:
    """The researchers' HMAC key, created once and kept in ``web_settings`` (stable ids)."""
    with store.writing("web") as writer:
        db = writer.session
        value = db.execute(
            select(web_settings.c.value).where(web_settings.c.name == "research_key")
        ).scalar()
        if value is None:
            value = secrets.token_hex(32)
            db.execute(web_settings.insert().values(name="research_key", value=value))
    return bytes.fromhex(value)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    ctx: WebContext = request.app.state.ctx
    principal = getattr(request.state, "principal", None)
    return ctx.templates.TemplateResponse(
        request, "error.html", {"me": principal, "message": message, "status": status},
        status_code=status,
    )


def _audit_job(ctx: WebContext, job: ForecastJob) -> None:
    """The end of a forecast job in the audit log (codes and counts only)."""
    seconds = ((job.finished_at or job.requested_at) - (job.started_at or job.requested_at))
    detail = f"job={job.id} seconds={seconds.total_seconds():.0f}"
    if job.state == "failed":
        detail += " failed"
    with ctx.write(job.requested_by) as db:
        audit.append(db, at=ctx.config.now(), actor=job.requested_by,
                     action=f"forecast.{job.state}", target=job.pseudonym, detail=detail)


def create_app(
    database_url: str | os.PathLike[str] | None = None,
    *,
    config: SecurityConfig | None = None,
    key: bytes | None = None,
    login_rate_limit: int = 20,
    init: bool = True,
    pdf: PdfRenderer | None = None,
    forecast: ForecastSettings | None = None,
) -> FastAPI:
    """The web app on the store at ``database_url`` (SQLite path/URL or PostgreSQL URL).

    ``config`` sets timeouts, lockout, cookie ``Secure`` and the clock (tests inject one);
    ``key`` keys the researchers' de-identified ids (default: the store's own, created once);
    ``init`` creates/upgrades the schema first; ``pdf`` prints the patient report (default:
    the Chromium that :func:`hpatwin.web.pdf.find_chromium` finds); ``forecast`` sets the
    patient twin's particles, draws and result folder (default: 1,024 particles, results in
    ``twin/`` next to the database).
    """
    store = RecordStore(database_url)
    if init:
        init_database(store)
    settings = config or SecurityConfig()
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app = FastAPI(
        title="hpatwin clinic API",
        version="1",
        description="Decision support for licensed clinicians; not a medical device.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served at /api/openapi.json behind login
    )
    ctx = WebContext(store, settings, templates, RateLimiter(limit=login_rate_limit),
                     pdf or PdfRenderer.default())
    twin = forecast or ForecastSettings()
    ctx.forecasts = ForecastJobs(
        twin, twin.folder or default_forecast_folder(store.url), clock=settings.clock,
        on_finish=lambda job: _audit_job(ctx, job),
    )
    app.state.ctx = ctx
    app.state.research_key = key if key is not None else research_key_of(store)
    app.include_router(pages.router)
    app.include_router(api.router)

    @app.middleware("http")
    async def headers_and_access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        route = request.scope.get("route")
        template = getattr(route, "path", "<unmatched>")  # the template: never a pseudonym
        LOG.info("%s %s %d %.0f ms", request.method, template, response.status_code,
                 (time.perf_counter() - started) * 1000)
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "not logged in"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        return _error(request, 403, "missing or wrong CSRF token; reload the page")

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, _exc: RateLimited) -> Response:
        return _error(request, 429, "too many requests")

    @app.exception_handler(PermissionDeniedError)
    async def forbidden(request: Request, exc: PermissionDeniedError) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(PdfUnavailable)
    async def pdf_unavailable(request: Request, exc: PdfUnavailable) -> Response:
        return _error(request, 503, str(exc))

    @app.exception_handler(ForecastBusyError)
    async def forecast_busy(request: Request, exc: ForecastBusyError) -> Response:
        return _error(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own message lists fields; values are dropped (they may be patient data)
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        if _is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors)
        return _error(request, 422, f"invalid request: {where}")

    return app


def configure_logging(level: int = logging.INFO) -> None:
    """Log the app's access lines (method, route template, status, time) to stderr."""
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")


__all__ += ["configure_logging"]
