"""What the pages show, computed from a stored record: flags, timeline rows, charts, research rows.

Example
-------
>>> ASSESSMENT_DUE_DAYS
14
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from hpatwin.records import models
from hpatwin.records.entries import PatientRecord
from hpatwin.records.store import RecordStore
from hpatwin.records.tracking import review_flags, timeline
from hpatwin.web.charts import RENDER_LOCK, cortisol_chart, hrv_chart, safe, score_chart

__all__ = [
    "ASSESSMENT_DUE_DAYS",
    "Flags",
    "ListRow",
    "charts",
    "flags",
    "list_rows",
    "record_versions",
    "research_row",
]

ASSESSMENT_DUE_DAYS = 14
"""Assumption: a PHQ-9 or pain NRS is due when none was recorded in the last 14 days (the
PHQ-9's recall period is the last 2 weeks, so a fresh one covers a new stretch of time)."""


@dataclass(frozen=True)
class Flags:
    """The patient list's flags."""

    open_alerts: int
    review: tuple[str, ...]
    due: tuple[str, ...]


def _latest_times(record: PatientRecord) -> dict[str, datetime | None]:
    latest: dict[str, datetime | None] = {"phq9": None, "nrs": None}
    for a in record.assessments:
        instrument, when = a.entry.entry.instrument, a.entry.entry.administered_at
        if instrument in latest:
            previous = latest[instrument]
            latest[instrument] = when if previous is None else max(previous, when)
    return latest


def _due(latest: dict[str, datetime | None], moment: datetime) -> tuple[str, ...]:
    return tuple(
        instrument for instrument in ("phq9", "nrs")
        if (when := latest[instrument]) is None
        or moment - when > timedelta(days=ASSESSMENT_DUE_DAYS)
    )


def flags(record: PatientRecord, now: datetime | None = None) -> Flags:
    """Unacknowledged urgent alerts, no response by session 6, assessments due."""
    return Flags(
        len(record.open_alerts),
        tuple(f.message() for f in review_flags(record)),
        _due(_latest_times(record), now or datetime.now(UTC)),
    )


# --------------------------------------------------------------------------------------
# The patient list: rows cached by record version
# --------------------------------------------------------------------------------------
_PATIENT_TABLES: tuple[type[models.PatientRow], ...] = (
    models.Medication, models.Episode, models.Plan, models.Session, models.Assessment,
    models.CortisolSample, models.HrvRecording, models.VitalSignsReading, models.Note,
    models.SafetyAlert,
)


def record_versions(db: Session) -> dict[str, tuple[int, ...]]:
    """A version of every patient's record, from one query: changes whenever any row changes.

    Per patient row and per table of the patient's rows: the row count, the largest id and
    the sum of the rows' versions (every insert raises the count and the id; every update
    and soft deletion raises a version: the store's optimistic locking). Rows written by
    any process — the CLI, an import, another server — are seen.

    Example
    -------
    >>> from hpatwin.records.entries import PatientEntry
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr")
    >>> with store.reading() as db:
    ...     version = record_versions(db)["p1"]
    >>> version[:2], sum(version[2:])  # patient id and version; no other rows yet
    ((1, 1), 0)
    """
    parts = [
        select(literal(k).label("t"), t.patient_id.label("pid"), func.count().label("n"),
               func.max(t.id).label("top"), func.sum(t.version).label("v"))
        .group_by(t.patient_id)
        for k, t in enumerate(_PATIENT_TABLES)
    ]
    per_table: dict[int, list[int]] = {}
    for table, pid, n, top, version in db.execute(union_all(*parts)):
        row = per_table.setdefault(int(pid), [0] * (3 * len(_PATIENT_TABLES)))
        row[3 * int(table): 3 * int(table) + 3] = [int(n), int(top or 0), int(version or 0)]
    patients = db.execute(select(models.Patient.id, models.Patient.pseudonym,
                                 models.Patient.version)
                          .where(models.Patient.deleted_at.is_(None)))
    return {
        pseudonym: (int(pid), int(version),
                    *per_table.get(int(pid), [0] * (3 * len(_PATIENT_TABLES))))
        for pid, pseudonym, version in patients
    }


@dataclass(frozen=True)
class ListRow:
    """What the patient list shows of one record (``due`` is computed at request time)."""

    sessions: int
    open_alerts: int
    review: tuple[str, ...]
    latest: dict[str, datetime | None]

    def flags(self, now: datetime) -> Flags:
        """The row's flags at ``now``."""
        return Flags(self.open_alerts, self.review, _due(self.latest, now))


_LIST_CACHE_SIZE = 8192
_list_cache: OrderedDict[tuple[str, tuple[int, ...]], ListRow] = OrderedDict()
_list_fill_lock = threading.Lock()


def list_rows(
    store: RecordStore, pseudonyms: set[str], versions: dict[str, tuple[int, ...]]
) -> dict[str, ListRow]:
    """The list rows of ``pseudonyms``: a record is loaded only when its version changed.

    Example
    -------
    >>> from hpatwin.records.entries import PatientEntry
    >>> store = RecordStore.in_memory(); _ = store.add_patient(PatientEntry("p1"), actor="dr")
    >>> with store.reading() as db:
    ...     versions = record_versions(db)
    >>> list_rows(store, {"p1"}, versions)["p1"].sessions
    0
    """
    keys = {p: (p, versions[p]) for p in sorted(pseudonyms & versions.keys())}
    out = _cached_rows(keys)
    if len(out) < len(keys):
        # misses are loaded by one request at a time: when many clinicians open the list
        # after a restart, one loads each record and the others take its rows
        with _list_fill_lock:
            out = _cached_rows(keys)
            for pseudonym, key in keys.items():
                if pseudonym in out:
                    continue
                record = store.load(pseudonym)
                out[pseudonym] = row = ListRow(
                    len(record.sessions), len(record.open_alerts),
                    tuple(f.message() for f in review_flags(record)), _latest_times(record))
                with _cache_lock:
                    _list_cache[key] = row
                    while len(_list_cache) > _LIST_CACHE_SIZE:
                        _list_cache.popitem(last=False)
    return {p: out[p] for p in keys}


def _cached_rows(keys: dict[str, tuple[str, tuple[int, ...]]]) -> dict[str, ListRow]:
    found: dict[str, ListRow] = {}
    with _cache_lock:
        for pseudonym, key in keys.items():
            row = _list_cache.get(key)
            if row is not None:
                _list_cache.move_to_end(key)
                found[pseudonym] = row
    return found


def charts(record: PatientRecord) -> dict[str, str]:
    """Inline SVG charts: PHQ-9, pain NRS, cortisol, and HRV when recorded."""
    series: dict[str, list[tuple[datetime, float]]] = {"phq9": [], "nrs": []}
    for a in record.assessments:
        instrument = a.entry.entry.instrument
        if instrument in series:
            series[instrument].append((a.entry.entry.administered_at, a.entry.total))
    out = {
        "phq9": _cached_score_chart("phq9", tuple(series["phq9"])),
        "nrs": _cached_score_chart("nrs", tuple(series["nrs"])),
        "cortisol": _cached_cortisol_chart(
            tuple((c.entry.collected_at, c.entry.value, c.entry.unit) for c in record.cortisol)
        ),
    }
    rmssd = tuple((h.entry.recorded_at, h.entry.rmssd_ms) for h in record.hrv
                  if h.entry.rmssd_ms is not None)
    if rmssd:
        out["hrv"] = _cached_hrv_chart(rmssd)
    return out


# Charts are pure functions of their series: a small in-process cache skips matplotlib when a
# page is reloaded without new data (memory only; nothing is written anywhere). Misses render
# one at a time under a lock: pyplot's figure registry is not thread-safe (the server renders
# from a thread pool), and when many clinicians open a patient just updated, the first
# renders and the others wait for its result instead of drawing the same chart again.
_CACHE_SIZE = 768
_cache: OrderedDict[tuple[object, ...], str] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple[object, ...], render: Callable[[], str]) -> str:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    with RENDER_LOCK:
        with _cache_lock:
            if key in _cache:  # rendered by another request while this one waited
                return _cache[key]
        svg = render()
        with _cache_lock:
            _cache[key] = svg
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return svg


def _cached_score_chart(instrument: str, points: tuple[tuple[datetime, float], ...]) -> str:
    return _cached(("score", instrument, points),
                   lambda: safe(lambda: score_chart(instrument, points), instrument))


def _cached_cortisol_chart(samples: tuple[tuple[datetime, float, str], ...]) -> str:
    return _cached(("cortisol", samples), lambda: safe(lambda: cortisol_chart(samples), "cortisol"))


def _cached_hrv_chart(points: tuple[tuple[datetime, float], ...]) -> str:
    return _cached(("hrv", points), lambda: safe(lambda: hrv_chart(points), "HRV"))


def timeline_rows(record: PatientRecord) -> list[tuple[str, str, str]]:
    """``(when, kind, summary)`` rows, newest first."""
    return [
        (f"{e.when:%Y-%m-%d %H:%M}", e.kind, e.summary) for e in reversed(timeline(record))
    ]


def research_id(key: bytes, pseudonym: str) -> str:
    """A keyed, one-way research id (HMAC-SHA-256), stable for one server key."""
    return "R-" + hmac.new(key, pseudonym.encode(), hashlib.sha256).hexdigest()[:10]


def research_row(key: bytes, record: PatientRecord) -> dict[str, object]:
    """A de-identified summary: research id, sex, age band, counts and first/last scores."""
    patient = record.patient.entry
    age_band = "unknown"
    if patient.birth_year is not None:
        decade = (datetime.now(UTC).year - patient.birth_year) // 10 * 10
        age_band = f"{decade}-{decade + 9}"
    row: dict[str, object] = {
        "research_id": research_id(key, patient.pseudonym),
        "sex": patient.sex,
        "age_band": age_band,
        "sessions": len(record.sessions),
    }
    for instrument in ("phq9", "nrs"):
        totals = [a.entry.total for a in record.assessments if a.entry.entry.instrument == instrument]
        row[f"{instrument}_first"] = totals[0] if totals else None
        row[f"{instrument}_last"] = totals[-1] if totals else None
    return row
