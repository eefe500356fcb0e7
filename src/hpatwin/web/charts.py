"""Server-side charts as inline SVG (matplotlib, Agg): PHQ-9, pain NRS, cortisol rhythm.

Charts carry no patient identifiers (no pseudonym, no title with a name); the
thresholds drawn come from the shared criteria in :mod:`hpatwin.clinic.outcomes` and
the reference windows in :mod:`hpatwin.clinic.cortisol`.

Example
-------
>>> from datetime import datetime, UTC
>>> svg = score_chart("phq9", [(datetime(2024, 1, 1, tzinfo=UTC), 14.0)])
>>> svg.startswith("<svg") and "PHQ-9" in svg
True
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hpatwin.clinic.cortisol import MAYO_LCMS_REFERENCE, convert_cortisol
from hpatwin.clinic.instruments import get_spec
from hpatwin.clinic.outcomes import criteria_for

__all__ = ["RENDER_LOCK", "cortisol_chart", "hrv_chart", "safe", "score_chart"]

_BAND_COLOURS = ("#e8f5e9", "#fffde7", "#fff3e0", "#ffe0b2", "#ffcdd2")
plt.rcParams["svg.hashsalt"] = "hpatwin"  # deterministic ids in the SVG
RENDER_LOCK = threading.Lock()
"""Held while pyplot draws: its figure registry is not thread-safe, and the server renders
from a thread pool (page charts) and from the forecast worker (fan charts)."""


def _num(when: datetime) -> float:
    return float(mdates.date2num(when))  # type: ignore[no-untyped-call]


def _date_axis(ax: Axes, times: Sequence[float]) -> None:
    if times and max(times) - min(times) < 6:  # one visit or a few days: show a week around them
        middle = (max(times) + min(times)) / 2
        ax.set_xlim(middle - 4, middle + 4)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]


def safe(render: Callable[[], str], title: str) -> str:
    """A chart, or a placeholder when the data cannot be drawn (e.g. dates outside 1-9999)."""
    try:
        return render()
    except (ValueError, OverflowError):
        plt.close("all")
        return _empty(title).replace("no data yet", "cannot draw these dates")


_MARGINS = {"left": 0.12, "right": 0.96, "top": 0.9, "bottom": 0.22}
_BANDED_RIGHT = 0.8
"""Fixed margins (room for the band labels right of the axes and the slanted dates): a
tight bounding box would draw every chart twice, a third of the rendering time."""


def _svg(fig: Figure, right: float = _MARGINS["right"]) -> str:
    buffer = io.StringIO()
    fig.subplots_adjust(**{**_MARGINS, "right": right})
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _empty(title: str) -> str:
    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    ax.set_title(title)
    ax.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return _svg(fig)


def score_chart(instrument: str, points: Sequence[tuple[datetime, float]]) -> str:
    """PHQ-9 (severity bands, response and remission lines) or NRS (IMMPACT thresholds) over time."""
    spec = get_spec(instrument)
    title = {"phq9": "PHQ-9 total", "nrs": "Pain NRS (0-10)"}.get(spec.name, spec.title)
    if not points:
        return _empty(title)
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    for band, colour in zip(spec.bands, _BAND_COLOURS, strict=False):
        ax.axhspan(band.low - 0.5 if band.low else 0, band.high + 0.5, color=colour, lw=0)
        ax.text(1.01, (band.low + band.high) / 2, band.label, transform=ax.get_yaxis_transform(),
                fontsize=7, va="center")
    times = [_num(t) for t, _ in points]
    values = [v for _, v in points]
    baseline = values[0]
    for criterion in criteria_for(spec.name):
        if criterion.name not in ("response", "remission", "substantial_response"):
            continue
        if criterion.min_reduction_fraction is not None:
            level = baseline * (1 - criterion.min_reduction_fraction)
            label = f"{criterion.name} (-{criterion.min_reduction_fraction:.0%})"
        elif criterion.below is not None:
            level, label = criterion.below, f"{criterion.name} (< {criterion.below:g})"
        else:
            continue
        style = "--" if criterion.name == "response" else ":"
        ax.axhline(level, ls=style, color="#37474f", lw=1)
        ax.text(times[0], level, " " + label, fontsize=7, va="bottom")
    ax.plot(times, values, marker="o", color="#1565c0")
    ax.set_ylim(0, spec.max_total)
    ax.set_title(title)
    _date_axis(ax, times)
    fig.autofmt_xdate()
    return _svg(fig, right=_BANDED_RIGHT)


def cortisol_chart(samples: Sequence[tuple[datetime, float, str]]) -> str:
    """Salivary cortisol (nmol/L) at 08:00 and 23:00 against the Mayo LC-MS/MS windows.

    ``samples`` are ``(collected_at, value, unit)``; other clock times are shown grey.
    """
    title = "Salivary cortisol (nmol/L)"
    if not samples:
        return _empty(title)
    morning = MAYO_LCMS_REFERENCE["morning"]
    late = MAYO_LCMS_REFERENCE["late_night"]
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    ax.axhspan(morning.low_nmol_l or 0, morning.high_nmol_l, color="#e3f2fd", lw=0,
               label="morning reference (07-09 h)")
    ax.axhline(late.high_nmol_l, color="#6a1b9a", ls="--", lw=1,
               label="late-night upper limit (23-24 h)")
    groups: dict[str, list[tuple[datetime, float]]] = {"morning": [], "late night": [], "other": []}
    for when, value, unit in samples:
        nmol = convert_cortisol(value, unit, "nmol/L")
        clock = when.time()
        key = (
            "morning" if morning.contains(clock)
            else "late night" if late.contains(clock)
            else "other"
        )
        groups[key].append((when, nmol))
    for key, colour in (("morning", "#1565c0"), ("late night", "#6a1b9a"), ("other", "#9e9e9e")):
        if groups[key]:
            ax.plot([_num(t) for t, _ in groups[key]], [v for _, v in groups[key]], marker="o",
                    color=colour, label=key, ls="-" if key != "other" else "none")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper right")
    _date_axis(ax, [_num(when) for when, _, _ in samples])
    fig.autofmt_xdate()
    return _svg(fig)


def hrv_chart(points: Sequence[tuple[datetime, float]]) -> str:
    """Short-term RMSSD (ms) over time (no reference band: norms depend on age and recording)."""
    title = "HRV: RMSSD (ms)"
    if not points:
        return _empty(title)
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    times = [_num(t) for t, _ in points]
    ax.plot(times, [v for _, v in points], marker="o", color="#2e7d32")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    _date_axis(ax, times)
    fig.autofmt_xdate()
    return _svg(fig)
