"""How likely observed data are under a latent course: the observation layer run backwards.

The patient twin weighs each candidate parameter set (a *particle*) by the probability of
what the clinic recorded given that particle's latent course. The densities here are the
generative model of this package (:mod:`~hpatwin.observation.questionnaires`,
:mod:`~hpatwin.observation.fluctuation`, :mod:`~hpatwin.observation.physiology`) written as
likelihoods, with the same registered parameters:

**PHQ-9 and pain NRS** (:func:`score_filter`). An observed score ``y`` is mapped to the
logit scale of the fluctuation, ``u = logit((y + 0.5) / (max + 1))``. There it is the
latent base (:func:`~hpatwin.observation.fluctuation.base_logit`) plus the AR(1)
fluctuation ``z`` plus answer noise ``e``: ``u = base + z + e``. The answer noise is the
exact variance of the ordinal item model around the latent total (PHQ-9: nine items; NRS:
the rating noise plus rounding), carried to the logit scale by its slope
(``(max + 1)·q(1 − q)``) and inflated by ``score_answer_variance_inflation`` (the slope is
taken at the latent level, which understates the noise once the fluctuation moves it; the
factor is calibrated on the layer's own draws). A Kalman filter over the visits gives each particle's exact
log-likelihood of this linear-Gaussian approximation and the fluctuation it estimates at
the last visit, from which the forecast continues
(:func:`~hpatwin.observation.fluctuation.conditioned_paths`).

**Salivary cortisol** (:func:`cortisol_log_likelihood`). Log-normal around the latent
concentration at the recorded time: assay CV of the time of day, the sampling-time jitter
carried through the slope of the profile, and the within-person day-to-day variability a
deterministic latent course leaves out (a caller-supplied SD on the log scale).

**RMSSD, heart rate, blood pressure** (:func:`lognormal_log_likelihood`,
:func:`normal_log_likelihood`).

Example
-------
>>> import numpy as np
>>> from hpatwin.observation.parameters import ObservationSettings
>>> s = ObservationSettings.default()
>>> latent = np.array([[15.0, 8.0], [14.0, 7.0]])  # 2 visits × 2 particles
>>> result = score_filter(np.array([15.0, 13.0]), np.array([0.0, 7.0]), latent, "phq9", s)
>>> bool(result.log_likelihood[0] > result.log_likelihood[1])  # the first particle fits
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit, ndtr

from hpatwin.observation.fluctuation import SD_PARAMETER, base_logit
from hpatwin.observation.parameters import ObservationSettings
from hpatwin.observation.physiology import cv_to_sd_log
from hpatwin.observation.questionnaires import (
    NRS_MAX,
    PHQ9_ITEM_MAX,
    PHQ9_MAX,
    item_offsets,
    person_location,
)

Array = NDArray[np.float64]
MAXIMUM = {"phq9": PHQ9_MAX, "pain_nrs": NRS_MAX}
_LOG_2PI = float(np.log(2.0 * np.pi))
#: Evening (late-night) samples: clock hours from 18:00 to 03:59 use the evening assay CV.
EVENING_FROM_HOUR, EVENING_UNTIL_HOUR = 18, 4


def phq9_total_variance(expected_total: Array, settings: ObservationSettings) -> Array:
    """Variance of the observed PHQ-9 total around its expectation (ordinal item model).

    Example
    -------
    >>> import numpy as np
    >>> v = phq9_total_variance(np.array([0.0, 13.5, 27.0]), ObservationSettings.default())
    >>> bool(v[1] > v[0] and v[1] > v[2])  # widest mid-scale, narrow at floor and ceiling
    True
    """
    sigma = settings.value("phq9_item_noise_sd")
    location = person_location(np.asarray(expected_total, dtype=np.float64), settings)
    locations = location[..., None] + item_offsets(settings)  # (..., 9)
    steps = np.arange(1, PHQ9_ITEM_MAX + 1)
    above = ndtr((locations[..., None] - (steps - 0.5)) / sigma)  # P(answer ≥ k)
    mean = above.sum(axis=-1)
    second = (above * (2 * steps - 1)).sum(axis=-1)
    result: Array = np.maximum(second - mean**2, 0.0).sum(axis=-1)
    return result


def answer_variance(measure: str, expected: Array, settings: ObservationSettings) -> Array:
    """Variance of an observed PHQ-9 total or NRS rating around its expected value.

    The NRS adds the rounding to an integer (1/12) to the rating noise.

    Example
    -------
    >>> import numpy as np
    >>> answer_variance("pain_nrs", np.array([5.0]), ObservationSettings.default()).round(3)
    array([0.26])
    """
    values = np.asarray(expected, dtype=np.float64)
    if measure == "phq9":
        return phq9_total_variance(values, settings)
    if measure == "pain_nrs":
        return np.full(values.shape, settings.value("nrs_noise_sd") ** 2 + 1.0 / 12.0)
    raise ValueError(f"measure: {measure!r} has no answer model; known: {', '.join(MAXIMUM)}")


@dataclass(frozen=True)
class ScoreFilter:
    """A Kalman filter's verdict on one measure's observed course, per particle.

    ``log_likelihood`` (n_particles,); ``last_mean``/``last_var``: the fluctuation (logit
    scale) estimated at ``last_day``, the day of the last observation; ``standardised``
    (n_obs, n_particles): each observation's one-step-ahead standardised residual.
    """

    log_likelihood: Array
    last_mean: Array
    last_var: Array
    last_day: float
    standardised: Array


def observed_logit(observed: Array, measure: str) -> Array:
    """Observed scores on the fluctuation's logit scale.

    Example
    -------
    >>> import numpy as np
    >>> observed_logit(np.array([13.5]), "phq9").tolist()
    [0.0]
    """
    scale = MAXIMUM[measure] + 1.0
    result: Array = logit((np.asarray(observed, dtype=np.float64) + 0.5) / scale)
    return result


def score_filter(
    observed: Array,
    days: Array,
    latent: Array,
    measure: str,
    settings: ObservationSettings,
) -> ScoreFilter:
    """Log-likelihood of one measure's observed scores for every particle.

    ``observed`` and ``days`` (n_obs,), in time order; ``latent`` (n_obs, n_particles) is
    each particle's expected score on those days.

    Example
    -------
    >>> import numpy as np
    >>> s = ObservationSettings.default()
    >>> f = score_filter(np.array([6.0]), np.array([0.0]), np.array([[6.0, 2.0]]), "pain_nrs", s)
    >>> f.log_likelihood.argmax(), f.last_day
    (np.int64(0), 0.0)
    """
    if measure not in MAXIMUM:
        raise ValueError(f"measure: {measure!r} is not a score; known: {', '.join(MAXIMUM)}")
    observed = np.asarray(observed, dtype=np.float64)
    days = np.asarray(days, dtype=np.float64)
    latent = np.atleast_2d(np.asarray(latent, dtype=np.float64))
    if latent.shape[0] != len(observed) or len(days) != len(observed):
        raise ValueError(
            f"latent: expected {len(observed)} rows (one per observation), got {latent.shape[0]}"
        )
    if len(days) > 1 and np.any(np.diff(days) < 0):
        raise ValueError("days: observations must be in time order")
    n_particles = latent.shape[1]
    maximum = MAXIMUM[measure]
    sd_logit = settings.value(SD_PARAMETER[measure])
    tau = settings.value("fluctuation_correlation_time_days")
    clipped = np.clip(latent, 0.0, maximum)
    base = base_logit(clipped, maximum, sd_logit)
    slope = (maximum + 1.0) * expit(base) * (1.0 - expit(base))
    inflation = settings.value("score_answer_variance_inflation")
    noise_var = (
        inflation * answer_variance(measure, clipped, settings) / np.maximum(slope, 1e-6) ** 2
    )
    residual = observed_logit(observed, measure)[:, None] - base

    mean = np.zeros(n_particles)
    var = np.full(n_particles, sd_logit**2)
    log_likelihood = np.zeros(n_particles)
    standardised = np.zeros_like(residual)
    previous_day = float(days[0]) if len(days) else 0.0
    for k in range(len(observed)):
        phi = float(np.exp(-(float(days[k]) - previous_day) / tau)) if tau > 0 else 0.0
        mean, var = phi * mean, phi**2 * var + sd_logit**2 * (1.0 - phi**2)
        total_var = var + noise_var[k]
        innovation = residual[k] - mean
        log_likelihood -= 0.5 * (_LOG_2PI + np.log(total_var) + innovation**2 / total_var)
        standardised[k] = innovation / np.sqrt(total_var)
        gain = var / total_var
        mean, var = mean + gain * innovation, (1.0 - gain) * var
        previous_day = float(days[k])
    return ScoreFilter(log_likelihood, mean, var, previous_day, standardised)


def is_evening(minute_of_day: Array) -> NDArray[np.bool_]:
    """Whether a sample's clock time counts as late-night (evening assay CV).

    Example
    -------
    >>> import numpy as np
    >>> is_evening(np.array([8 * 60, 23 * 60, 2 * 60])).tolist()
    [False, True, True]
    """
    hours = np.asarray(minute_of_day, dtype=np.float64) / 60.0
    result: NDArray[np.bool_] = (hours >= EVENING_FROM_HOUR) | (hours < EVENING_UNTIL_HOUR)
    return result


def cortisol_log_likelihood(
    observed_nmol_l: Array,
    minute_of_day: Array,
    latent_nmol_l: Array,
    latent_slope_log_per_min: Array,
    settings: ObservationSettings,
    *,
    biological_sd_log: float,
) -> tuple[Array, Array]:
    """Log-likelihood of salivary cortisol samples and their standardised residuals.

    ``observed_nmol_l``/``minute_of_day`` (n_obs,); ``latent_nmol_l`` and
    ``latent_slope_log_per_min`` (n_obs, n_particles): the latent concentration at the
    recorded time and the slope of its logarithm there (carries the sampling-time jitter).

    Example
    -------
    >>> import numpy as np
    >>> s = ObservationSettings.default()
    >>> ll, z = cortisol_log_likelihood(np.array([15.0]), np.array([480.0]),
    ...     np.array([[15.0, 5.0]]), np.zeros((1, 2)), s, biological_sd_log=0.3)
    >>> bool(ll[0] > ll[1]), z.shape
    (True, (1, 2))
    """
    observed = np.asarray(observed_nmol_l, dtype=np.float64)
    latent = np.maximum(np.atleast_2d(np.asarray(latent_nmol_l, dtype=np.float64)), 1e-6)
    evening = is_evening(np.asarray(minute_of_day, dtype=np.float64))
    assay = np.where(
        evening,
        cv_to_sd_log(settings.value("cortisol_assay_cv_evening")),
        cv_to_sd_log(settings.value("cortisol_assay_cv_morning")),
    )
    jitter = settings.value("cortisol_sampling_jitter_sd_min") * np.asarray(
        latent_slope_log_per_min, dtype=np.float64
    )
    var = assay[:, None] ** 2 + jitter**2 + biological_sd_log**2
    residual = np.log(np.maximum(observed, 1e-6))[:, None] - (np.log(latent) - 0.5 * var)
    return _normal_terms(residual, var)


def lognormal_log_likelihood(
    observed: Array, expected: Array, sd_log: float
) -> tuple[Array, Array]:
    """Mean-one log-normal observations around ``expected`` (n_obs, n_particles).

    Example
    -------
    >>> import numpy as np
    >>> ll, _ = lognormal_log_likelihood(np.array([30.0]), np.array([[30.0, 60.0]]), 0.37)
    >>> bool(ll[0] > ll[1])
    True
    """
    expected_array = np.maximum(np.atleast_2d(np.asarray(expected, dtype=np.float64)), 1e-9)
    var = sd_log**2
    residual = np.log(np.maximum(np.asarray(observed, dtype=np.float64), 1e-9))[:, None] - (
        np.log(expected_array) - 0.5 * var
    )
    return _normal_terms(residual, np.full(residual.shape, var))


def normal_log_likelihood(observed: Array, expected: Array, sd: float) -> tuple[Array, Array]:
    """Normal observations around ``expected`` (n_obs, n_particles) with SD ``sd``.

    Example
    -------
    >>> import numpy as np
    >>> ll, z = normal_log_likelihood(np.array([70.0]), np.array([[70.0, 80.0]]), 5.0)
    >>> z.tolist()
    [[0.0, -2.0]]
    """
    residual = np.asarray(observed, dtype=np.float64)[:, None] - np.atleast_2d(
        np.asarray(expected, dtype=np.float64)
    )
    return _normal_terms(residual, np.full(residual.shape, float(sd) ** 2))


def _normal_terms(residual: Array, var: Array) -> tuple[Array, Array]:
    log_likelihood: Array = -0.5 * (_LOG_2PI + np.log(var) + residual**2 / var).sum(axis=0)
    standardised: Array = residual / np.sqrt(var)
    return log_likelihood, standardised
