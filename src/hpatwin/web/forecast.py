"""Patient-twin forecasts for the web app: a background job per request, results as files.

A clinician asks for a forecast (``POST /patients/{id}/forecast``); :class:`ForecastJobs`
queues a job (bounded queue, one worker thread) that builds the twin's data from the
stored record (:func:`~hpatwin.patient_twin.data.patient_data_from_record`), fits the twin
(:func:`~hpatwin.patient_twin.fit.fit_patient`, tens of seconds at 1,024 particles) and
forecasts every candidate protocol, the planner's stored plan included
(:func:`~hpatwin.patient_twin.forecast.forecast`). A second request for a patient whose job
is queued or running gets that job. Nothing of this runs in a request thread.

Each finished job writes one folder, ``<root>/<pseudonym>/<UTC time>-<job id>/``:

* ``fit.nc`` — the fit with its data snapshot, settings, diagnostics and flags
  (:func:`~hpatwin.patient_twin.store.save_fit`);
* ``forecast.nc`` and ``forecast_summary.csv`` — the predictive draws and the summary table
  (:func:`~hpatwin.patient_twin.store.save_forecast`);
* ``identifiability.csv`` — prior vs posterior per fitted quantity;
* ``phq9_fan.svg``, ``pain_nrs_fan.svg`` — the fan charts as the page shows them;
* ``forecast.json`` — what the page shows (summary rows, flags, diagnostics,
  identifiability, the plain-language sentences), written last.

The folder is written under a hidden temporary name and renamed when complete, so the
newest folder holding ``forecast.json`` is always a whole result, also after a restart
(:meth:`ForecastJobs.latest`). Job states (``queued``, ``running``, ``done``, ``failed``)
are kept in memory only: after a restart the page shows the latest stored forecast.

Example
-------
>>> settings = ForecastSettings(n_particles=64, draws=64)
>>> settings.fit_settings().smc.n_particles, settings.n_islands
(64, 4)
>>> result_folder_name(datetime(2024, 5, 1, 9, 30, tzinfo=UTC), "ab12")
'20240501T093000.000000Z-ab12'
"""

from __future__ import annotations

import json
import logging
import math
import queue
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpatwin.errors import HpatwinError
from hpatwin.io.atomic import atomic_path
from hpatwin.patient_twin.data import PatientData, patient_data_from_record
from hpatwin.patient_twin.fit import FitSettings, TwinFit, fit_patient
from hpatwin.patient_twin.forecast import Forecast, forecast, forecast_horizon
from hpatwin.patient_twin.protocols import Protocol, candidate_protocols
from hpatwin.patient_twin.smc import SMCSettings
from hpatwin.patient_twin.store import save_fit, save_forecast
from hpatwin.patient_twin.summary import plain_language
from hpatwin.records.db import default_database_path
from hpatwin.records.entries import PatientRecord, check_pseudonym
from hpatwin.reports.twin_figures import fan_chart_figure, fan_chart_svg
from hpatwin.web.charts import RENDER_LOCK

__all__ = [
    "ForecastBusyError",
    "ForecastJob",
    "ForecastJobs",
    "ForecastSettings",
    "StoredForecast",
    "default_forecast_folder",
    "load_stored",
    "result_folder_name",
    "run_forecast",
]

LOG = logging.getLogger("hpatwin.web.forecast")
RESULT_FILE = "forecast.json"
FORMAT_VERSION = 1
MEASURES = ("phq9", "pain_nrs")
STORED_CACHE_SIZE = 64
"""Stored forecasts kept in memory once read (the newest of each patient viewed lately)."""
IDLE_EXIT_S = 60.0
"""The worker thread ends after this long without work (a new request starts it again)."""


@dataclass(frozen=True)
class ForecastSettings:
    """How the web app forecasts: particles, draws, horizon, queue size and result folder.

    Production defaults: 1,024 particles in 4 islands (tens of seconds per fit) and 256
    predictive draws; tests use e.g. 64 and 64. ``folder`` ``None``: next to the database
    (:func:`default_forecast_folder`).
    """

    n_particles: int = 1024
    n_islands: int = 4
    draws: int = 256
    horizon_days: int = 84
    queue_size: int = 8
    folder: Path | None = None

    def __post_init__(self) -> None:
        SMCSettings(n_particles=self.n_particles, n_islands=self.n_islands)  # checks both
        if self.draws < 8 or self.horizon_days < 7 or self.queue_size < 1:
            raise ValueError("draws must be >= 8, horizon_days >= 7 and queue_size >= 1")

    def fit_settings(self) -> FitSettings:
        """The twin's fit settings for these particles."""
        return FitSettings(smc=SMCSettings(n_particles=self.n_particles, n_islands=self.n_islands))


def default_forecast_folder(database_url: str) -> Path:
    """``twin/`` next to a SQLite file; for other databases, next to the default store.

    Example
    -------
    >>> default_forecast_folder("sqlite:////srv/clinic/clinic.db").as_posix()
    '/srv/clinic/twin'
    """
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and database_url[len(prefix) :] not in ("", ":memory:"):
        return Path(database_url[len(prefix) :]).parent / "twin"
    return default_database_path().parent / "twin"


def result_folder_name(when: datetime, job_id: str) -> str:
    """A result folder's name: sortable UTC time, then the job id."""
    return f"{when.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{job_id}"


class ForecastBusyError(HpatwinError):
    """The forecast queue is full (the page answers 503: try again later)."""


@dataclass
class ForecastJob:
    """One forecast request and where it stands (memory only)."""

    id: str
    pseudonym: str
    requested_by: str
    requested_at: datetime
    state: str = "queued"  # queued, running, done, failed
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str = ""
    folder: Path | None = None

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.state in ("queued", "running")


@dataclass(frozen=True)
class StoredForecast:
    """A finished forecast as the page and the report show it (from ``forecast.json``)."""

    folder: Path
    created_at: str
    prior_based: bool
    horizon_days: int
    summary: tuple[Mapping[str, Any], ...]
    flags: tuple[str, ...]
    notes: tuple[str, ...]
    diagnostics: Mapping[str, Any]
    identifiability: tuple[Mapping[str, Any], ...]
    plain_language: tuple[str, ...]
    settings: Mapping[str, Any]
    charts: Mapping[str, str] = field(default_factory=dict)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become ``None``; numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _svg(fig: Any) -> str:
    text = fan_chart_svg(fig)
    return text[text.index("<svg") :]  # inline in HTML: no XML declaration or DOCTYPE


def _fan_charts(data: PatientData, result: Forecast) -> dict[str, str]:
    labels = {p.name: p.label for p in result.protocols}
    series = {"phq9": data.phq9, "pain_nrs": data.nrs}
    charts = {}
    for measure in MEASURES:
        observed = [
            (float(d), float(v))
            for d, v in zip(series[measure].days, series[measure].values, strict=True)
        ]
        with RENDER_LOCK:  # pyplot is not thread-safe; page charts render under the same lock
            charts[measure] = _svg(
                fan_chart_figure(
                    result.dataset,
                    measure,
                    observed=observed,
                    last_day=data.last_day,
                    labels=labels,
                )
            )
    return charts


def _candidates(
    data: PatientData, record: PatientRecord, horizon: int, notes: list[str]
) -> list[Protocol]:
    plan = record.plans[-1].entry.plan if record.plans else None
    if plan is not None:
        try:
            return candidate_protocols(
                start_day=data.last_day + 1, horizon_days=horizon, planner_plan=plan
            )
        except (HpatwinError, ValueError, KeyError, TypeError):
            notes.append(
                "the stored plan could not be converted into a protocol "
                "(made by an older planner?); it is not among the candidates"
            )
    return candidate_protocols(start_day=data.last_day + 1, horizon_days=horizon)


def _diagnostics(fit: TwinFit) -> dict[str, Any]:
    d = fit.diagnostics
    return {
        "particles": fit.n_particles,
        "islands": fit.settings.smc.n_islands,
        "evaluations": d.get("evaluations"),
        "stages": len(d.get("temperatures", [])),
        "max_rhat": d.get("max_rhat"),
        "rhat": d.get("rhat", {}),
        "final_ess_per_island": d.get("final_ess_per_island"),
        "unique_fraction": d.get("unique_fraction"),
        "truncated": d.get("truncated"),
        "fit_seconds": d.get("fit_seconds"),
        "n_observations": d.get("n_observations"),
    }


def run_forecast(
    record: PatientRecord,
    settings: ForecastSettings,
    folder: Path,
    *,
    job_id: str,
    now: datetime | None = None,
) -> Path:
    """Fit and forecast one patient; write the result folder and return it.

    Raises :class:`~hpatwin.errors.InputError` when the record cannot be fitted (no PHQ-9
    or NRS, an invalid treatment history). Runs in the worker thread, never in a request.
    """
    started = time.perf_counter()
    data = patient_data_from_record(record)
    notes = list(data.notes)
    horizon = forecast_horizon(data.last_day, settings.horizon_days)
    protocols = _candidates(data, record, horizon, notes)
    fit = fit_patient(data, settings.fit_settings())
    result = forecast(fit, protocols, horizon_days=horizon, draws=settings.draws)
    horizon = int(result.dataset.attrs.get("horizon_days", horizon))
    charts = _fan_charts(fit.data, result)
    identifiability = fit.identifiability()
    moment = now or datetime.now(UTC)
    pseudonym = check_pseudonym(record.patient.entry.pseudonym)
    parent = folder / pseudonym
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = parent / result_folder_name(moment, job_id)
    partial = parent / f".partial-{job_id}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    try:
        save_fit(fit, partial / "fit.nc")
        save_forecast(result, partial)
        with atomic_path(partial / "identifiability.csv") as temporary:
            identifiability.to_csv(temporary, index=False)
        for measure, svg in charts.items():
            (partial / f"{measure}_fan.svg").write_text(svg, encoding="utf-8")
        page = {
            "format": FORMAT_VERSION,
            "created_at": moment.astimezone(UTC).isoformat(timespec="seconds"),
            "prior_based": bool(result.prior_based),
            "horizon_days": horizon,
            "summary": result.summary.to_dict("records"),
            "flags": list(result.flags),
            "notes": notes,
            "diagnostics": _diagnostics(fit),
            "identifiability": identifiability.to_dict("records"),
            "plain_language": plain_language(
                result.summary,
                prior_based=result.prior_based,
                horizon_days=horizon,
                flags=result.flags,
            ),
            "settings": {
                "particles": settings.n_particles,
                "islands": settings.n_islands,
                "draws": settings.draws,
                "fit_version": fit.version,
                "seconds": round(time.perf_counter() - started, 1),
            },
        }
        (partial / RESULT_FILE).write_text(
            json.dumps(_clean(page), indent=1) + "\n", encoding="utf-8"
        )
        partial.replace(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def load_stored(folder: Path) -> StoredForecast:
    """Read a result folder written by :func:`run_forecast`."""
    page = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
    charts = {
        m: (folder / f"{m}_fan.svg").read_text(encoding="utf-8")
        for m in MEASURES
        if (folder / f"{m}_fan.svg").exists()
    }
    return StoredForecast(
        folder=folder,
        created_at=str(page["created_at"]),
        prior_based=bool(page["prior_based"]),
        horizon_days=int(page["horizon_days"]),
        summary=tuple(page["summary"]),
        flags=tuple(page["flags"]),
        notes=tuple(page.get("notes", ())),
        diagnostics=page["diagnostics"],
        identifiability=tuple(page["identifiability"]),
        plain_language=tuple(page["plain_language"]),
        settings=page.get("settings", {}),
        charts=charts,
    )


Runner = Callable[..., Path]
Finished = Callable[[ForecastJob], None]


class ForecastJobs:
    """Forecast jobs: a bounded queue and one worker thread; results as folders on disk.

    ``runner`` does the work (default :func:`run_forecast`; tests may pass another),
    ``on_finish`` is called in the worker after each job (the app audits it there).
    """

    def __init__(
        self,
        settings: ForecastSettings,
        folder: Path,
        *,
        runner: Runner = run_forecast,
        on_finish: Finished | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = replace(settings, folder=folder)
        self.folder = folder
        self.runner = runner
        self.on_finish = on_finish
        self.clock = clock or (lambda: datetime.now(UTC))
        self._queue: queue.Queue[tuple[ForecastJob, PatientRecord]] = queue.Queue(
            maxsize=settings.queue_size
        )
        self._jobs: dict[str, ForecastJob] = {}
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._stored: OrderedDict[Path, StoredForecast] = OrderedDict()

    # ---- requests -------------------------------------------------------------------
    def submit(self, record: PatientRecord, actor: str) -> tuple[ForecastJob, bool]:
        """Queue a job for the record's patient; ``(job, False)`` when one is already active.

        Raises :class:`ForecastBusyError` when the queue is full.
        """
        pseudonym = record.patient.entry.pseudonym
        with self._lock:
            existing = self._jobs.get(pseudonym)
            if existing is not None and existing.active:
                return existing, False
            job = ForecastJob(secrets.token_hex(4), pseudonym, actor, self.clock())
            try:
                self._queue.put_nowait((job, record))
            except queue.Full:
                raise ForecastBusyError(
                    "the forecast queue is full; try again in a few minutes"
                ) from None
            self._jobs[pseudonym] = job
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._work, name="hpatwin-forecast", daemon=True
                )
                self._worker.start()
        return job, True

    def job(self, pseudonym: str) -> ForecastJob | None:
        """The patient's latest job since the server started (``None``: none)."""
        with self._lock:
            return self._jobs.get(pseudonym)

    def latest(self, pseudonym: str) -> StoredForecast | None:
        """The newest complete stored forecast of a patient (``None``: none)."""
        parent = self.folder / check_pseudonym(pseudonym)
        if not parent.is_dir():
            return None
        folders = sorted(
            (
                p
                for p in parent.iterdir()
                if not p.name.startswith(".") and (p / RESULT_FILE).is_file()
            ),
            key=lambda p: p.name,
        )
        if not folders:
            return None
        newest = folders[-1]
        with self._lock:
            cached = self._stored.get(newest)
            if cached is not None:
                self._stored.move_to_end(newest)
        if cached is None:
            cached = load_stored(newest)
            with self._lock:
                self._stored[newest] = cached
                while len(self._stored) > STORED_CACHE_SIZE:  # the SVGs are ~0.3 MB a forecast
                    self._stored.popitem(last=False)
        return cached

    def wait(self, timeout: float = 600.0) -> bool:
        """Block until no job is queued or running (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not any(j.active for j in self._jobs.values()):
                    return True
            time.sleep(0.05)
        return False

    # ---- the worker -----------------------------------------------------------------
    def _work(self) -> None:
        while True:
            try:
                job, record = self._queue.get(timeout=IDLE_EXIT_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._worker = None
                        return
                continue
            self._run(job, record)

    def _run(self, job: ForecastJob, record: PatientRecord) -> None:
        with self._lock:
            job.state, job.started_at = "running", self.clock()
        try:
            folder = self.runner(record, self.settings, self.folder, job_id=job.id)
        except HpatwinError as exc:  # bad input: its message names the field, never values
            self._finish(job, "failed", str(exc))
            LOG.info("forecast job failed: %s", type(exc).__name__)
        except Exception as exc:
            self._finish(
                job,
                "failed",
                "the forecast failed unexpectedly "
                f"({type(exc).__name__}); the server log has the error type",
            )
            LOG.error("forecast job failed unexpectedly: %s", type(exc).__name__)
        else:
            self._finish(job, "done", "", folder)
            LOG.info(
                "forecast job done in %.0f s",
                (self.clock() - (job.started_at or job.requested_at)).total_seconds(),
            )

    def _finish(
        self, job: ForecastJob, state: str, message: str, folder: Path | None = None
    ) -> None:
        with self._lock:
            job.state, job.message, job.folder = state, message, folder
            job.finished_at = self.clock()
        if self.on_finish is not None:
            try:
                self.on_finish(job)
            except Exception as exc:
                LOG.error("forecast job: recording its end failed: %s", type(exc).__name__)


def summary_rows(stored: StoredForecast) -> list[dict[str, Any]]:
    """The probability table's rows, formatted for the page and the report.

    Example
    -------
    >>> row = {"label": "A", "sessions_added": 4, "phq9_end_median": 8.0, "phq9_end_p10": 3.0,
    ...        "phq9_end_p90": 14.0, "nrs_end_median": 5.0, "p_response": 0.5,
    ...        "p_remission": 0.25, "p_pain_response": 0.4, "session6_visit_day": 35,
    ...        "p_session6_flag": 0.8, "session6_phq9_p10": 6.0, "session6_phq9_p90": 18.0}
    >>> s = StoredForecast(Path("."), "", False, 84, (row,), (), (), {}, (), (), {})
    >>> r = summary_rows(s)[0]
    >>> r["p_response"], r["phq9_end"], r["session6_band"], r["session6_week"]
    ('50 %', '8 (3-14)', '6-18', '5')
    """

    def percent(value: Any) -> str:
        return "-" if value is None else f"{100 * float(value):.0f} %"

    def number(value: Any) -> str:
        return "-" if value is None else f"{float(value):.0f}"

    out = []
    for row in stored.summary:
        visit = row.get("session6_visit_day")
        out.append(
            {
                "protocol": row.get("protocol", ""),
                "label": row.get("label", ""),
                "sessions_added": row.get("sessions_added", 0),
                "phq9_end": f"{number(row.get('phq9_end_median'))} "
                f"({number(row.get('phq9_end_p10'))}-{number(row.get('phq9_end_p90'))})",
                "nrs_end": number(row.get("nrs_end_median")),
                "p_response": percent(row.get("p_response")),
                "p_remission": percent(row.get("p_remission")),
                "p_pain_response": percent(row.get("p_pain_response")),
                "p_session6_flag": percent(row.get("p_session6_flag")),
                "session6_week": "-" if visit is None else f"{float(visit) / 7:.0f}",
                "session6_band": "-"
                if row.get("session6_phq9_p10") is None
                else f"{number(row.get('session6_phq9_p10'))}-{number(row.get('session6_phq9_p90'))}",
            }
        )
    return out


def identifiability_rows(stored: StoredForecast) -> list[dict[str, Any]]:
    """The identifiability table's rows: informed by the data, or prior only."""

    def band(mid: Any, low: Any, high: Any) -> str:
        return f"{float(mid):.3g} ({float(low):.3g}-{float(high):.3g})"

    return [
        {
            "quantity": str(r["quantity"]).replace("_", " "),
            "unit": r.get("unit", ""),
            "prior": band(r["prior_median"], r["prior_p10"], r["prior_p90"]),
            "posterior": band(r["posterior_median"], r["posterior_p10"], r["posterior_p90"]),
            "width_ratio": f"{float(r['width_ratio']):.2f}",
            "informed": bool(r["informed"]),
        }
        for r in stored.identifiability
    ]


__all__ += ["describe", "identifiability_rows", "summary_rows"]


def describe(job: ForecastJob | None) -> str:
    """A job's state in words for the page."""
    if job is None:
        return ""
    if job.state == "queued":
        return f"Queued since {job.requested_at:%H:%M:%S} UTC."
    if job.state == "running":
        since = job.started_at or job.requested_at
        return f"Running since {since:%H:%M:%S} UTC (a fit takes tens of seconds)."
    if job.state == "done":
        return f"Done at {job.finished_at:%H:%M:%S} UTC." if job.finished_at else "Done."
    return f"Failed: {job.message}"
