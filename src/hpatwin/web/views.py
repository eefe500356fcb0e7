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

from hpatwin.records.entries import PatientRecord
from hpatwin.records.tracking import review_flags, timeline
from hpatwin.web.charts import RENDER_LOCK, cortisol_chart, hrv_chart, safe, score_chart

__all__ = ["ASSESSMENT_DUE_DAYS", "Flags", "charts", "flags", "research_row"]

ASSESSMENT_DUE_DAYS = 14
"""Assumption: a PHQ-9 or pain NRS is due when none was recorded in the last 14 days (the
PHQ-9's recall period is the last 2 weeks, so a fresh one covers a new stretch of time)."""


@dataclass(frozen=True)
class Flags:
    """The patient list's flags."""

    open_alerts: int
    review: tuple[str, ...]
    due: tuple[str, ...]


def flags(record: PatientRecord, now: datetime | None = None) -> Flags:
    """Unacknowledged urgent alerts, no response by session 6, assessments due."""
    moment = now or datetime.now(UTC)
    due = []
    for instrument in ("phq9", "nrs"):
        times = [
            a.entry.entry.administered_at
            for a in record.assessments
            if a.entry.entry.instrument == instrument
        ]
        if not times or moment - max(times) > timedelta(days=ASSESSMENT_DUE_DAYS):
            due.append(instrument)
    return Flags(
        len(record.open_alerts),
        tuple(f.message() for f in review_flags(record)),
        tuple(due),
    )


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
