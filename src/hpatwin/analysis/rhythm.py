"""Rhythm readouts of a cortisol series: clock-time samples, extremes, pulses, half-life.

Example
-------
>>> import numpy as np
>>> from hpatwin.analysis.rhythm import fit_half_life
>>> t = np.arange(0, 200, 10.0)
>>> round(fit_half_life(t, 100 * 0.5 ** (t / 60)), 6)
60.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

#: An episode is a local maximum rising this fraction above the preceding local minimum.
EPISODE_MIN_RISE_FRACTION = 0.10
#: … and by at least this many nmol/L of total plasma cortisol.
EPISODE_MIN_RISE_NMOL_L = 5.0


def value_at_clock(series: xr.DataArray, day: int, hour: float) -> xr.DataArray:
    """Value at a clock time (hours) of day ``day`` (0-based), by nearest sample."""
    return series.sel(time=day * 1440.0 + hour * 60.0, method="nearest")


@dataclass(frozen=True)
class DailyExtremes:
    """Peak and nadir of one day, with clock times in hours."""

    peak: float
    peak_clock_h: float
    nadir: float
    nadir_clock_h: float


def daily_extremes(times_min: ArrayLike, values: ArrayLike, day: int) -> DailyExtremes:
    """Peak and nadir over ``[day, day + 1)`` of a minute-indexed series."""
    t = np.asarray(times_min, dtype=float)
    v = np.asarray(values, dtype=float)
    mask = (t >= day * 1440) & (t < (day + 1) * 1440)
    tt, vv = t[mask], v[mask]
    i_max, i_min = int(np.argmax(vv)), int(np.argmin(vv))
    return DailyExtremes(
        float(vv[i_max]),
        float(tt[i_max] % 1440 / 60),
        float(vv[i_min]),
        float(tt[i_min] % 1440 / 60),
    )


def count_secretory_episodes(
    values: ArrayLike,
    min_rise_fraction: float = EPISODE_MIN_RISE_FRACTION,
    min_rise: float = EPISODE_MIN_RISE_NMOL_L,
) -> int:
    """Count secretory episodes: maxima rising enough above the preceding minimum.

    Walks the series keeping the lowest value since the last counted peak; a
    local maximum counts when it exceeds that minimum by both thresholds.
    The thresholds are an assumption in the spirit of Weitzman et al. 1971's
    episode definition (a distinct rise in plasma cortisol).
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or len(v) < 3:
        raise ValueError("values: need a 1-D series of at least 3 samples")
    count = 0
    trough = v[0]
    for i in range(1, len(v) - 1):
        trough = min(trough, v[i])
        is_peak = v[i] >= v[i - 1] and v[i] > v[i + 1]
        rise = v[i] - trough
        if is_peak and rise >= min_rise and rise >= min_rise_fraction * trough:
            count += 1
            trough = v[i]
    return count


def fit_half_life(times: ArrayLike, values: ArrayLike) -> float:
    """Half-life from a log-linear least-squares fit of a decaying series."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if np.any(v <= 0):
        raise ValueError("values: must be positive to fit a half-life")
    slope = float(np.polyfit(t, np.log(v), 1)[0])
    if slope >= 0:
        raise ValueError("values: series is not decaying")
    return float(np.log(2) / -slope)


def as_numpy(series: xr.DataArray) -> NDArray[np.float64]:
    """Plain float array of a DataArray."""
    return np.asarray(series.values, dtype=float)
