"""Observed physiology: salivary cortisol (assay CV, sampling-time jitter) and RMSSD.

**Salivary cortisol.** The sample is taken at the scheduled clock time plus a keyed
normal jitter (``cortisol_sampling_jitter_sd_min``); the latent profile is read at that
actual time (linear interpolation of the model's output grid), then multiplied by a
mean-one log-normal assay error with the analytical CV of the sample's time of day
(``cortisol_assay_cv_morning`` / ``_evening``).

**RMSSD.** The expected value times a mean-one log-normal day-to-day factor
(``rmssd_day_to_day_sd_log``).

Example
-------
>>> import numpy as np
>>> from hpatwin.observation.keyed_random import DrawKey
>>> from hpatwin.observation.parameters import ObservationSettings
>>> off = ObservationSettings.default(noise=False)
>>> observe_rmssd(np.array([30.0]), np.arange(1), DrawKey(0, 0, "rmssd"), off).tolist()
[30.0]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hpatwin.observation.keyed_random import DrawKey
from hpatwin.observation.parameters import ObservationSettings

Array = NDArray[np.float64]


def lognormal_factor(sd_log: float, ids: NDArray[np.int64], key: DrawKey) -> Array:
    """Mean-one log-normal multipliers with SD ``sd_log`` on the log scale.

    Example
    -------
    >>> import numpy as np
    >>> f = lognormal_factor(0.25, np.arange(50_000), DrawKey(1, 0, "x"))
    >>> round(float(f.mean()), 2)
    1.0
    """
    result: Array = np.exp(sd_log * key.normals(ids) - 0.5 * sd_log**2)
    return result


def cv_to_sd_log(cv: float) -> float:
    """SD of the log of a log-normal variable with coefficient of variation ``cv``.

    Example
    -------
    >>> round(cv_to_sd_log(0.154), 4)
    0.1531
    """
    return float(np.sqrt(np.log1p(cv**2)))


def sampling_times_min(
    scheduled_min: float, ids: NDArray[np.int64], key: DrawKey, settings: ObservationSettings
) -> Array:
    """Actual sampling times (minutes from the grid origin) around a scheduled time.

    Example
    -------
    >>> import numpy as np
    >>> off = ObservationSettings.default(noise=False)
    >>> sampling_times_min(480.0, np.arange(2), DrawKey(0, 0, "c"), off).tolist()
    [480.0, 480.0]
    """
    ids = np.asarray(ids, dtype=np.int64)
    if not settings.noise:
        return np.full(len(ids), float(scheduled_min))
    jitter = settings.value("cortisol_sampling_jitter_sd_min") * key.normals(ids)
    return scheduled_min + jitter


def sample_profile(times_min: Array, values: Array, at_min: Array) -> Array:
    """Each patient's profile ``values[:, i]`` on grid ``times_min`` read at ``at_min[i]``.

    Linear interpolation; times outside the grid read its first or last value.

    Example
    -------
    >>> import numpy as np
    >>> grid = np.array([0.0, 60.0, 120.0])
    >>> profiles = np.array([[0.0, 10.0], [6.0, 20.0], [12.0, 30.0]])
    >>> sample_profile(grid, profiles, np.array([30.0, 150.0])).tolist()
    [3.0, 30.0]
    """
    grid = np.asarray(times_min, dtype=np.float64)
    at = np.clip(np.asarray(at_min, dtype=np.float64), grid[0], grid[-1])
    upper = np.clip(np.searchsorted(grid, at, side="right"), 1, len(grid) - 1)
    lower = upper - 1
    span = grid[upper] - grid[lower]
    weight = np.where(span > 0, (at - grid[lower]) / np.where(span > 0, span, 1.0), 0.0)
    columns = np.arange(values.shape[1])
    result: Array = (1 - weight) * values[lower, columns] + weight * values[upper, columns]
    return result


def observe_cortisol(
    true_at_sample: Array,
    ids: NDArray[np.int64],
    key: DrawKey,
    settings: ObservationSettings,
    *,
    evening: bool,
) -> Array:
    """Assayed salivary cortisol (nmol/L) from the true concentration at the sampling time.

    Example
    -------
    >>> import numpy as np
    >>> s = ObservationSettings.default()
    >>> x = observe_cortisol(np.full(20_000, 2.0), np.arange(20_000), DrawKey(0, 1, "c"), s,
    ...                      evening=True)
    >>> round(float(x.std() / x.mean()), 2)
    0.15
    """
    values = np.asarray(true_at_sample, dtype=np.float64)
    if not settings.noise:
        return values.copy()
    name = "cortisol_assay_cv_evening" if evening else "cortisol_assay_cv_morning"
    factor = lognormal_factor(cv_to_sd_log(settings.value(name)), ids, key)
    result: Array = values * factor
    return result


def observe_rmssd(
    expected_ms: Array, ids: NDArray[np.int64], key: DrawKey, settings: ObservationSettings
) -> Array:
    """A day's RMSSD (ms): the expected value with day-to-day log-normal variability.

    Example
    -------
    >>> import numpy as np
    >>> x = observe_rmssd(np.full(20_000, 30.0), np.arange(20_000), DrawKey(0, 1, "rmssd"),
    ...                   ObservationSettings.default())
    >>> round(float(x.mean()), 0), round(float(np.log(x).std()), 2)
    (30.0, 0.37)
    """
    values = np.asarray(expected_ms, dtype=np.float64)
    if not settings.noise:
        return values.copy()
    factor = lognormal_factor(settings.value("rmssd_day_to_day_sd_log"), ids, key)
    result: Array = values * factor
    return result
