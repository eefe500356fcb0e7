"""Time-domain heart-rate variability from RR intervals, with artefact handling.

Metrics (definitions as in the HRV Task Force tables, Circulation 1996;93:1043, and as
computed by NeuroKit2 ``hrv_time``, which the test suite uses as an oracle):

* ``mean_nn_ms``, ``median_nn_ms``, ``sdnn_ms`` (sample SD, ddof = 1), ``rmssd_ms``
  (root mean square of successive differences), ``sdsd_ms`` (SD of successive
  differences, ddof = 1), ``cvnn`` (SDNN / MeanNN), ``mean_hr_bpm`` (60 000 / MeanNN);
* ``pnn50_pct`` / ``pnn20_pct``: successive differences > 50 / 20 ms in percent. **The
  denominator differs between implementations**: by default it is the number of successive
  differences examined (``pnn_denominator="differences"``); NeuroKit2 0.2.13 divides by
  the number of intervals (differences + 1), which ``pnn_denominator="intervals"``
  reproduces. The two differ by a factor n/(n-1) (0.3 % for a 5-min recording).

Artefacts are detected (outside a physiological range, or deviating from the local median
of neighbouring intervals by more than a set fraction), counted and reported, and then
corrected by interpolation (default) or deletion (successive differences spanning a deleted
interval are then not used). Recordings shorter than ``min_duration_s`` are refused.

All thresholds live in :class:`HrvConfig` with their provenance; those not in the project
reference are marked there as configurable design choices.

Example
-------
>>> import numpy as np
>>> rr_ms = 800 + 40 * np.sin(np.arange(400) / 3.0)
>>> r = hrv_time_domain(rr_ms)
>>> round(r.mean_nn_ms, 1), round(r.rmssd_ms, 1), r.n_artefacts
(800.2, 9.4, 0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from hpatwin.clinic.instruments import Alert

__all__ = [
    "HrvConfig",
    "HrvError",
    "HrvResult",
    "RecordingTooShortError",
    "TooManyArtefactsError",
    "correct_artefacts",
    "detect_artefacts",
    "hrv_time_domain",
    "time_domain_metrics",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_NUNAN = (
    "Nunan et al., PACE 2010;33:1407 (short-term norms from ~5-min recordings); "
    "Shaffer & Ginsberg, Front Public Health 2017;5:258 (short-term, 24-h and ultra-short "
    "norms are not interchangeable)"
)


class HrvError(ValueError):
    """Invalid RR-interval input; the message names the field or interval.

    Example
    -------
    >>> try:
    ...     hrv_time_domain([0.8] * 500)
    ... except HrvError as e:
    ...     print(str(e)[:40])
    rr_ms: median 0.8 looks like seconds; pa
    """


class RecordingTooShortError(HrvError):
    """The recording is shorter than the minimum length.

    Example
    -------
    >>> try:
    ...     hrv_time_domain([800.0] * 100)
    ... except RecordingTooShortError as e:
    ...     print(str(e)[:46])
    rr_ms: recording lasts 80 s, below the minimum
    """


class TooManyArtefactsError(HrvError):
    """More artefacts than :attr:`HrvConfig.max_artefact_fraction` allows.

    Example
    -------
    >>> rr = [800.0, 3000.0] * 300
    >>> try:
    ...     hrv_time_domain(rr)
    ... except TooManyArtefactsError as e:
    ...     print(str(e)[:33])
    rr_ms: 300 of 600 intervals (50.0
    """


@dataclass(frozen=True)
class HrvConfig:
    """Thresholds for artefact handling and recording length, each with its provenance.

    * ``min_duration_s`` = 300: short-term HRV norms come from ~5-min recordings (Nunan
      2010); lower it deliberately for ultra-short windows (the result then carries an
      ``info`` alert that norms are not comparable, Shaffer & Ginsberg 2017).
    * ``min_intervals`` = 3: the fewest intervals for which SDSD is defined.
    * ``min_rr_ms`` = 300 / ``max_rr_ms`` = 2000: heart rate 200 / 30 bpm; a configurable
      design choice (physiological plausibility), not from a published source.
    * ``max_relative_deviation`` = 0.20 with ``local_window`` = 5 beats each side: the
      "20 %" criterion of Malik et al. 1989 applied to the local median; a configurable
      design choice not confirmed in a published source.
    * ``warn_artefact_fraction`` = 0.05 / ``max_artefact_fraction`` = 0.20: above the first
      a warning, above the second a refusal; configurable design choices.
    * ``correction``: ``"interpolate"`` (linear, by beat index), ``"delete"`` or ``"none"``.
    * ``pnn_denominator``: ``"differences"`` (default) or ``"intervals"`` (NeuroKit2).

    Example
    -------
    >>> HrvConfig(min_duration_s=60).min_duration_s
    60.0
    """

    min_duration_s: float = 300.0
    min_intervals: int = 3
    min_rr_ms: float = 300.0
    max_rr_ms: float = 2000.0
    max_relative_deviation: float = 0.20
    local_window: int = 5
    warn_artefact_fraction: float = 0.05
    max_artefact_fraction: float = 0.20
    correction: Literal["interpolate", "delete", "none"] = "interpolate"
    pnn_denominator: Literal["differences", "intervals"] = "differences"

    def __post_init__(self) -> None:
        def positive(name: str, v: float) -> None:
            if not (isinstance(v, numbers.Real) and math.isfinite(v) and v > 0):
                raise HrvError(f"hrv config {name}: {v!r} must be a positive number")

        positive("min_duration_s", self.min_duration_s)
        positive("min_rr_ms", self.min_rr_ms)
        positive("max_rr_ms", self.max_rr_ms)
        positive("max_relative_deviation", self.max_relative_deviation)
        object.__setattr__(self, "min_duration_s", float(self.min_duration_s))
        if self.max_rr_ms <= self.min_rr_ms:
            raise HrvError("hrv config: max_rr_ms must exceed min_rr_ms")
        if self.min_intervals < 3:
            raise HrvError(f"hrv config min_intervals: {self.min_intervals} must be >= 3")
        if self.local_window < 1:
            raise HrvError(f"hrv config local_window: {self.local_window} must be >= 1")
        for name, frac in (
            ("warn_artefact_fraction", self.warn_artefact_fraction),
            ("max_artefact_fraction", self.max_artefact_fraction),
        ):
            if not 0.0 <= frac <= 1.0:
                raise HrvError(f"hrv config {name}: {frac} is outside the allowed range 0-1")
        if self.correction not in ("interpolate", "delete", "none"):
            raise HrvError(
                f"hrv config correction: {self.correction!r}; allowed interpolate, delete, none"
            )
        if self.pnn_denominator not in ("differences", "intervals"):
            raise HrvError(
                f"hrv config pnn_denominator: {self.pnn_denominator!r}; "
                "allowed differences, intervals"
            )


@dataclass(frozen=True)
class HrvResult:
    """Time-domain HRV of one recording, with what was done to artefacts.

    Example
    -------
    >>> import numpy as np
    >>> rr = np.full(400, 800.0); rr[100] = 1600.0  # a missed beat
    >>> r = hrv_time_domain(rr)
    >>> r.n_artefacts, r.artefact_indices, r.sdnn_ms
    (1, (100,), 0.0)
    """

    mean_nn_ms: float
    median_nn_ms: float
    sdnn_ms: float
    rmssd_ms: float
    sdsd_ms: float
    pnn50_pct: float
    pnn20_pct: float
    cvnn: float
    mean_hr_bpm: float
    n_intervals: int
    n_nn: int
    n_differences: int
    n_artefacts: int
    artefact_indices: tuple[int, ...]
    artefact_fraction: float
    correction: str
    duration_s: float
    pnn_denominator: str
    alerts: tuple[Alert, ...]
    config: HrvConfig

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary.

        Example
        -------
        >>> import numpy as np
        >>> hrv_time_domain(np.full(400, 750.0)).to_dict()["mean_hr_bpm"]
        80.0
        """
        d = asdict(self)
        d["artefact_indices"] = list(self.artefact_indices)
        d["alerts"] = [
            {"level": a.level, "code": a.code, "message": a.message, "source": a.source}
            for a in self.alerts
        ]
        d["config"] = asdict(self.config)
        return d


def _as_rr(rr_ms: Sequence[float] | npt.ArrayLike) -> FloatArray:
    if isinstance(rr_ms, (str, bytes)):
        raise HrvError("rr_ms: expected a sequence of numbers in milliseconds, got text")
    try:
        raw = list(rr_ms)  # type: ignore[arg-type]
    except TypeError:
        raise HrvError("rr_ms: expected a sequence of numbers in milliseconds") from None
    for i, v in enumerate(raw):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise HrvError(f"rr_ms interval {i}: {v!r} is not a number")
        if not math.isfinite(float(v)):
            raise HrvError(f"rr_ms interval {i}: {v} is not finite")
        if float(v) <= 0:
            raise HrvError(f"rr_ms interval {i}: {v} ms must be positive")
    arr = np.asarray(raw, dtype=np.float64)
    if arr.ndim != 1:
        raise HrvError("rr_ms: expected a one-dimensional sequence")
    if arr.size:
        med = float(np.median(arr))
        if med < 10.0:
            raise HrvError(
                f"rr_ms: median {med:g} looks like seconds; pass RR intervals in milliseconds"
            )
        if med > 5000.0:
            raise HrvError(
                f"rr_ms: median {med:g} ms is not a plausible RR interval (R-peak times or "
                "sample indices instead of intervals?)"
            )
    return arr


def detect_artefacts(
    rr_ms: Sequence[float] | npt.ArrayLike, config: HrvConfig | None = None
) -> BoolArray:
    """Flag artefactual intervals: outside the physiological range or far from local median.

    Example
    -------
    >>> detect_artefacts([800, 810, 790, 250, 805, 1650, 800, 795]).nonzero()[0].tolist()
    [3, 5]
    """
    cfg = config or HrvConfig()
    rr = _as_rr(rr_ms)
    flags = (rr < cfg.min_rr_ms) | (rr > cfg.max_rr_ms)
    n = rr.size
    for i in range(n):
        if flags[i]:
            continue
        lo, hi = max(0, i - cfg.local_window), min(n, i + cfg.local_window + 1)
        neighbours = [rr[j] for j in range(lo, hi) if j != i and not flags[j]]
        if len(neighbours) < 2:
            continue
        med = float(np.median(neighbours))
        if abs(rr[i] - med) > cfg.max_relative_deviation * med:
            flags[i] = True
    return flags


def correct_artefacts(
    rr_ms: Sequence[float] | npt.ArrayLike,
    flags: Sequence[bool] | BoolArray,
    method: Literal["interpolate", "delete", "none"] = "interpolate",
) -> tuple[FloatArray, BoolArray]:
    """Correct flagged intervals; return the NN series and which successive differences are valid.

    ``interpolate`` replaces each flagged interval by linear interpolation between the
    nearest good intervals (by beat index; the nearest good value at the edges);
    ``delete`` drops them and marks differences across a gap invalid; ``none`` keeps them.

    Example
    -------
    >>> nn, ok = correct_artefacts([800, 820, 2000, 860], [False, False, True, False])
    >>> nn.tolist(), ok.tolist()
    ([800.0, 820.0, 840.0, 860.0], [True, True, True])
    >>> nn, ok = correct_artefacts([800, 820, 2000, 860], [False, False, True, False], "delete")
    >>> nn.tolist(), ok.tolist()
    ([800.0, 820.0, 860.0], [True, False])
    """
    rr = _as_rr(rr_ms)
    bad = np.asarray(flags, dtype=bool)
    if bad.shape != rr.shape:
        raise HrvError("artefact flags: length differs from rr_ms")
    if method == "none" or not bad.any():
        return rr.copy(), np.ones(max(rr.size - 1, 0), dtype=bool)
    good = ~bad
    if not good.any():
        raise HrvError("rr_ms: every interval is an artefact")
    if method == "interpolate":
        idx = np.arange(rr.size)
        nn = rr.copy()
        nn[bad] = np.interp(idx[bad], idx[good], rr[good])
        return nn, np.ones(rr.size - 1, dtype=bool)
    if method == "delete":
        kept = np.flatnonzero(good)
        return rr[kept], np.diff(kept) == 1
    raise HrvError(f"artefact correction {method!r}; allowed interpolate, delete, none")


def time_domain_metrics(
    nn_ms: Sequence[float] | npt.ArrayLike,
    valid_differences: Sequence[bool] | BoolArray | None = None,
    pnn_denominator: Literal["differences", "intervals"] = "differences",
) -> dict[str, float]:
    """MeanNN, MedianNN, SDNN, RMSSD, SDSD, pNN50, pNN20, CVNN and mean HR of NN intervals.

    No artefact handling or length check: use :func:`hrv_time_domain` for recordings.

    Example
    -------
    >>> m = time_domain_metrics([800, 860, 790, 850])
    >>> round(m["rmssd_ms"], 3), round(m["pnn50_pct"], 3)
    (63.509, 100.0)
    >>> m = time_domain_metrics([800, 860, 790, 850], pnn_denominator="intervals")
    >>> round(m["pnn50_pct"], 1)
    75.0
    """
    nn = _as_rr(nn_ms)
    if nn.size < 3:
        raise HrvError(f"nn_ms: {nn.size} intervals; at least 3 are needed")
    diffs = np.diff(nn)
    if valid_differences is not None:
        mask = np.asarray(valid_differences, dtype=bool)
        if mask.shape != diffs.shape:
            raise HrvError("valid_differences: length must be len(nn_ms) - 1")
        diffs = diffs[mask]
    if diffs.size < 2:
        raise HrvError(f"nn_ms: {diffs.size} successive differences; at least 2 are needed")
    mean_nn = float(np.mean(nn))
    sdnn = float(np.std(nn, ddof=1))
    denominator = diffs.size if pnn_denominator == "differences" else diffs.size + 1
    return {
        "mean_nn_ms": mean_nn,
        "median_nn_ms": float(np.median(nn)),
        "sdnn_ms": sdnn,
        "rmssd_ms": float(np.sqrt(np.mean(diffs**2))),
        "sdsd_ms": float(np.std(diffs, ddof=1)),
        "pnn50_pct": float(np.sum(np.abs(diffs) > 50.0)) / denominator * 100.0,
        "pnn20_pct": float(np.sum(np.abs(diffs) > 20.0)) / denominator * 100.0,
        "cvnn": sdnn / mean_nn,
        "mean_hr_bpm": 60000.0 / mean_nn,
        "n_differences": float(diffs.size),
    }


def hrv_time_domain(
    rr_ms: Sequence[float] | npt.ArrayLike, config: HrvConfig | None = None
) -> HrvResult:
    """Time-domain HRV of an RR-interval recording (ms), with artefact detection and correction.

    Refuses recordings shorter than ``config.min_duration_s`` (sum of the raw intervals)
    or with more artefacts than ``config.max_artefact_fraction``; reports the artefact
    count and indices, and alerts for many artefacts or an ultra-short recording.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> rr = rng.normal(850, 30, 420)
    >>> rr[[50, 51]] = [400.0, 1300.0]
    >>> r = hrv_time_domain(rr)
    >>> r.n_artefacts, r.correction, r.n_nn
    (2, 'interpolate', 420)
    """
    cfg = config or HrvConfig()
    rr = _as_rr(rr_ms)
    duration_s = float(rr.sum()) / 1000.0
    if rr.size < cfg.min_intervals:
        raise HrvError(f"rr_ms: {rr.size} intervals; at least {cfg.min_intervals} are needed")
    if duration_s < cfg.min_duration_s:
        raise RecordingTooShortError(
            f"rr_ms: recording lasts {duration_s:.0f} s, below the minimum of "
            f"{cfg.min_duration_s:.0f} s (HrvConfig.min_duration_s); HRV is not computed"
        )
    flags = detect_artefacts(rr, cfg)
    n_art = int(flags.sum())
    fraction = n_art / rr.size
    if fraction > cfg.max_artefact_fraction:
        raise TooManyArtefactsError(
            f"rr_ms: {n_art} of {rr.size} intervals ({fraction:.1%}) are artefacts, above "
            f"the limit of {cfg.max_artefact_fraction:.0%}; check the recording"
        )
    # gaps (intervals longer than max_rr_ms: no heartbeat lasts that long) do not count
    # towards the minimum length: 11 beats around one 300-s gap are not a 5-minute recording
    covered_s = float(rr[rr <= cfg.max_rr_ms].sum()) / 1000.0
    if covered_s < cfg.min_duration_s:
        raise RecordingTooShortError(
            f"rr_ms: only {covered_s:.0f} s of the {duration_s:.0f}-s recording are beats "
            f"(gaps over {cfg.max_rr_ms:.0f} ms excluded), below the minimum of "
            f"{cfg.min_duration_s:.0f} s (HrvConfig.min_duration_s); HRV is not computed"
        )
    nn, valid = correct_artefacts(rr, flags, cfg.correction)
    metrics = time_domain_metrics(nn, valid, cfg.pnn_denominator)
    alerts: list[Alert] = []
    if fraction > cfg.warn_artefact_fraction:
        alerts.append(
            Alert(
                "warning",
                "hrv_many_artefacts",
                f"{n_art} of {rr.size} intervals ({fraction:.1%}) were artefacts and "
                f"corrected by {cfg.correction}; interpret HRV with caution",
                "HrvConfig.warn_artefact_fraction (configurable design choice)",
            )
        )
    if duration_s < 300.0:
        alerts.append(
            Alert(
                "info",
                "hrv_ultra_short",
                f"recording of {duration_s:.0f} s is shorter than 5 min: values are not "
                "comparable with short-term (5-min) norms",
                _NUNAN,
            )
        )
    return HrvResult(
        mean_nn_ms=metrics["mean_nn_ms"],
        median_nn_ms=metrics["median_nn_ms"],
        sdnn_ms=metrics["sdnn_ms"],
        rmssd_ms=metrics["rmssd_ms"],
        sdsd_ms=metrics["sdsd_ms"],
        pnn50_pct=metrics["pnn50_pct"],
        pnn20_pct=metrics["pnn20_pct"],
        cvnn=metrics["cvnn"],
        mean_hr_bpm=metrics["mean_hr_bpm"],
        n_intervals=int(rr.size),
        n_nn=int(nn.size),
        n_differences=int(metrics["n_differences"]),
        n_artefacts=n_art,
        artefact_indices=tuple(int(i) for i in np.flatnonzero(flags)),
        artefact_fraction=fraction,
        correction=cfg.correction,
        duration_s=duration_s,
        pnn_denominator=cfg.pnn_denominator,
        alerts=tuple(alerts),
        config=cfg,
    )
