"""Visit-to-visit fluctuation of the latent state: life events and pain flares.

Between visits a patient's symptoms wander around the model's expected course. The
fluctuation is a stationary AR(1) process on the logit scale of the bounded score
(``(latent + 0.5) / (max + 1)``, so 0 and the maximum stay reachable), evaluated at the
visit days: ``z_k = φ_k z_{k-1} + σ √(1 − φ_k²) ε_k`` with ``φ_k = exp(−Δt_k / τ)`` and
``z_0 ~ N(0, σ²)``. Each ``ε_k`` is a keyed draw of (seed, patient, visit, measure), so the
path does not depend on chunking. ``σ`` and ``τ`` are registered parameters
(``*_fluctuation_sd_logit``, ``fluctuation_correlation_time_days``).

Example
-------
>>> import numpy as np
>>> from hpatwin.observation.parameters import ObservationSettings
>>> z = fluctuation_paths(np.arange(4), [0.0, 7.0], [0, 1], seed=1, measure="phq9",
...                       settings=ObservationSettings.default())
>>> z.shape
(2, 4)
>>> fluctuate(np.array([10.0]), np.zeros(1), 27.0, 0.5).tolist()
[10.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit

from hpatwin.observation.keyed_random import DrawKey
from hpatwin.observation.parameters import ObservationSettings

Array = NDArray[np.float64]
SD_PARAMETER = {"phq9": "phq9_fluctuation_sd_logit", "pain_nrs": "nrs_fluctuation_sd_logit"}


def _ar1_parameters(measure: str, settings: ObservationSettings) -> tuple[float, float, str]:
    """A measure's stationary SD (logit), correlation time (days) and draw stream."""
    if measure not in SD_PARAMETER:
        raise ValueError(
            f"measure: {measure!r} has no fluctuation; known: {', '.join(SD_PARAMETER)}"
        )
    sigma = settings.value(SD_PARAMETER[measure])
    return sigma, settings.value("fluctuation_correlation_time_days"), f"fluctuation:{measure}"


def _ar1_step(
    previous: Array, gap_days: float, sigma: float, tau: float, innovation: Array
) -> Array:
    """One AR(1) step over ``gap_days`` (≥ 0): ``φ·z + σ·√(1 − φ²)·ε``, ``φ = exp(−Δt/τ)``."""
    phi = float(np.exp(-gap_days / tau)) if tau > 0 else 0.0
    result: Array = phi * previous + sigma * np.sqrt(1.0 - phi**2) * innovation
    return result


def fluctuation_paths(
    patient_ids: NDArray[np.int64],
    visit_days: Sequence[float],
    visit_numbers: Sequence[int],
    *,
    seed: int,
    measure: str,
    settings: ObservationSettings,
) -> Array:
    """Fluctuation ``(n_visits, n_patients)`` on the logit scale at the given visit days.

    ``measure`` is ``phq9`` or ``pain_nrs``; with ``settings.noise`` off it is all zeros.

    Example
    -------
    >>> import numpy as np
    >>> s = ObservationSettings.default()
    >>> a = fluctuation_paths(np.arange(5), [0.0, 1.0], [0, 1], seed=2, measure="pain_nrs",
    ...                       settings=s)
    >>> b = fluctuation_paths(np.array([3]), [0.0, 1.0], [0, 1], seed=2, measure="pain_nrs",
    ...                       settings=s)
    >>> bool((a[:, 3] == b[:, 0]).all())
    True
    """
    ids = np.asarray(patient_ids, dtype=np.int64)
    paths = np.zeros((len(visit_days), len(ids)))
    if not settings.noise or len(visit_days) == 0:
        return paths
    sigma, tau, stream = _ar1_parameters(measure, settings)
    paths[0] = sigma * DrawKey(seed, visit_numbers[0], stream).normals(ids)
    for k in range(1, len(visit_days)):
        gap = max(float(visit_days[k]) - float(visit_days[k - 1]), 0.0)
        innovation = DrawKey(seed, visit_numbers[k], stream).normals(ids)
        paths[k] = _ar1_step(paths[k - 1], gap, sigma, tau, innovation)
    return paths


@lru_cache(maxsize=32)
def _mean_table(sd_logit: float) -> tuple[Array, Array]:
    """E[expit(u + σZ)] on a grid of base logits u (Gauss–Hermite quadrature)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(48)
    weights = weights / weights.sum()
    grid = np.linspace(-14.0, 14.0, 2801)
    means = expit(grid[:, None] + sd_logit * nodes[None, :]) @ weights
    return np.asarray(means, dtype=np.float64), grid


def base_logit(expected: Array, maximum: float, sd_logit: float) -> Array:
    """The logit whose fluctuated values average to ``expected`` (NaN stays NaN).

    :func:`fluctuate` shifts this base; the patient twin's likelihood measures an observed
    score's distance from it on the same scale.

    Example
    -------
    >>> import numpy as np
    >>> base_logit(np.array([13.5]), 27.0, 0.0).round(6).tolist()
    [0.0]
    """
    values = np.asarray(expected, dtype=np.float64)
    fraction = np.clip((values + 0.5) / (maximum + 1.0), 1e-9, 1 - 1e-9)
    if sd_logit > 0:
        means, grid = _mean_table(float(sd_logit))
        result: Array = np.interp(fraction, means, grid)
        return np.where(np.isfinite(values), result, np.nan)
    return np.asarray(logit(fraction), dtype=np.float64)


def conditioned_paths(
    patient_ids: NDArray[np.int64],
    visit_days: Sequence[float],
    visit_numbers: Sequence[int],
    *,
    seed: int,
    measure: str,
    settings: ObservationSettings,
    start_day: float,
    start_mean: Array,
    start_var: Array,
) -> Array:
    """Fluctuation paths ``(n_visits, n_patients)`` that continue a known state.

    At ``start_day`` each patient's fluctuation is ``N(start_mean, start_var)`` (what the
    patient twin's filter knows after the last observed visit); the paths then follow the
    same AR(1) as :func:`fluctuation_paths`, keyed by (seed, visit number, measure).
    ``visit_days`` must not precede ``start_day``.

    Example
    -------
    >>> import numpy as np
    >>> s = ObservationSettings.default()
    >>> z = conditioned_paths(np.arange(3), [28.0, 84.0], [5, 6], seed=1, measure="phq9",
    ...     settings=s, start_day=28.0, start_mean=np.full(3, 0.5), start_var=np.zeros(3))
    >>> z[0].round(6).tolist()
    [0.5, 0.5, 0.5]
    """
    ids = np.asarray(patient_ids, dtype=np.int64)
    paths = np.zeros((len(visit_days), len(ids)))
    if not settings.noise or len(visit_days) == 0:
        return paths
    sigma, tau, stream = _ar1_parameters(measure, settings)
    start = np.asarray(start_mean, dtype=np.float64) + np.sqrt(
        np.maximum(np.asarray(start_var, dtype=np.float64), 0.0)
    ) * DrawKey(seed, -1, f"{stream}:start").normals(ids)
    previous_day, previous = float(start_day), start
    for k, day in enumerate(visit_days):
        gap = float(day) - previous_day
        if gap < 0:
            raise ValueError(f"visit_days: day {day:g} precedes start_day {start_day:g}")
        innovation = DrawKey(seed, visit_numbers[k], stream).normals(ids)
        paths[k] = _ar1_step(previous, gap, sigma, tau, innovation)
        previous_day, previous = float(day), paths[k]
    return paths


def fluctuate(expected: Array, logit_shift: Array, maximum: float, sd_logit: float) -> Array:
    """Shift a bounded latent score by ``logit_shift`` on its logit scale; NaN stays NaN.

    ``sd_logit`` is the stationary SD of the shifts: the base point is chosen so that the
    *mean* over shifts equals ``expected`` (the latent expected value stays the mean of
    what is seen, also near 0 and the maximum). A zero shift leaves a value exactly as it is.

    Example
    -------
    >>> import numpy as np
    >>> fluctuate(np.array([0.0, 27.0, 13.5]), np.array([5.0, -5.0, 0.0]), 27.0, 0.5).round(2).tolist()
    [19.25, 7.75, 13.5]
    """
    values = np.asarray(expected, dtype=np.float64)
    scale = maximum + 1.0
    base = base_logit(values, maximum, sd_logit)
    shifted = scale * expit(base + logit_shift) - 0.5
    # no shift leaves the value exactly as it was (noise off reproduces the latent values)
    result: Array = np.where(logit_shift == 0, values, np.clip(shifted, 0.0, maximum))
    return result
