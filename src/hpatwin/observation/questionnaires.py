"""Observed questionnaire answers: PHQ-9 as nine integer items, pain NRS as an integer.

**PHQ-9 (ordinal item model).** Each item ``j`` is answered as its latent response
``θ + b_j + σ·ε_j`` rounded to the nearest answer step and clipped to 0–3 (a graded
ordinal model with thresholds half-way between answers; ``ε_j`` independent standard
normals; ``b_j`` = 0 except item 9, see ``phq9_item9_offset``). The person location
``θ`` is solved per patient so that the *expected* observed total equals the model's
expected PHQ-9 exactly — the instrument is unbiased around the latent severity, floors
and ceilings included. ``σ`` (``phq9_item_noise_sd``) is tuned so that stable patients
reproduce Kroenke et al. 2001's 48-h retest correlation (0.84). Totals are scored by
:func:`hpatwin.clinic.instruments.score_totals`, the array form of the clinic's scorer.

**Pain NRS.** latent + ``nrs_noise_sd``·ε, rounded and clipped to 0–10, scored the same way.

Noise off: PHQ-9 items are the rounded expected total spread as evenly as possible over
the nine items; the NRS is the rounded expected value.

Example
-------
>>> import numpy as np
>>> from hpatwin.observation.keyed_random import DrawKey
>>> from hpatwin.observation.parameters import ObservationSettings
>>> obs = observe_phq9(np.array([0.0, 12.0, 27.0]), np.arange(3), DrawKey(0, 1, "phq9"),
...                    ObservationSettings.default())
>>> obs.items.shape, obs.items.dtype.kind, float(obs.totals[0]), float(obs.totals[2])
((3, 9), 'i', 0.0, 27.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from hpatwin.clinic.instruments import get_spec, score_totals
from hpatwin.observation.keyed_random import DrawKey
from hpatwin.observation.parameters import ObservationSettings

Array = NDArray[np.float64]
PHQ9_ITEMS = 9
PHQ9_ITEM_MAX = 3
PHQ9_MAX = 27.0
NRS_MAX = 10.0
_GRID = np.linspace(-12.0, 15.0, 5401)  # person locations (item points) for the inversion


@dataclass(frozen=True)
class PHQ9Observation:
    """Observed PHQ-9 administrations: ``items`` (n, 9) integers 0–3 and ``totals`` (n,).

    Example
    -------
    >>> import numpy as np
    >>> PHQ9Observation(np.zeros((1, 9), dtype=np.int8), np.zeros(1)).totals.tolist()
    [0.0]
    """

    items: NDArray[np.int8]
    totals: Array


def item_offsets(settings: ObservationSettings) -> Array:
    """Location of each item relative to the person location (item 9 lower).

    Example
    -------
    >>> item_offsets(ObservationSettings.default()).tolist()[-2:]
    [0.0, -2.0]
    """
    offsets = np.zeros(PHQ9_ITEMS)
    offsets[-1] = settings.value("phq9_item9_offset")
    return offsets


def expected_item_score(location: Array, noise_sd: float) -> Array:
    """E[answer] of a 0–3 item whose latent response is ``N(location, noise_sd²)``.

    Example
    -------
    >>> import numpy as np
    >>> expected_item_score(np.array([-20.0, 1.5, 20.0]), 0.7).round(6).tolist()
    [0.0, 1.5, 3.0]
    """
    steps = np.arange(1, PHQ9_ITEM_MAX + 1) - 0.5
    z = (np.asarray(location, dtype=np.float64)[..., None] - steps) / noise_sd
    result: Array = ndtr(z).sum(axis=-1)
    return result


@lru_cache(maxsize=32)
def _location_table(noise_sd: float, offsets: tuple[float, ...]) -> tuple[Array, Array]:
    totals = sum(expected_item_score(_GRID + b, noise_sd) for b in offsets)
    return np.asarray(totals, dtype=np.float64), _GRID


def person_location(expected_total: Array, settings: ObservationSettings) -> Array:
    """The location θ whose expected observed total equals ``expected_total`` (0–27).

    Example
    -------
    >>> import numpy as np
    >>> s = ObservationSettings.default()
    >>> theta = person_location(np.array([13.5]), s)
    >>> float(expected_item_score(theta[:, None] + item_offsets(s), 1.2).sum().round(6))
    13.5
    """
    totals, grid = _location_table(
        settings.value("phq9_item_noise_sd"), tuple(item_offsets(settings).tolist())
    )
    clipped = np.clip(np.asarray(expected_total, dtype=np.float64), 0.0, PHQ9_MAX)
    return np.interp(clipped, totals, grid)


def noiseless_phq9_items(expected_total: Array) -> NDArray[np.int8]:
    """The rounded expected total spread as evenly as possible over the nine items.

    Example
    -------
    >>> import numpy as np
    >>> noiseless_phq9_items(np.array([11.4])).tolist()
    [[2, 2, 1, 1, 1, 1, 1, 1, 1]]
    """
    total = np.clip(np.rint(np.asarray(expected_total, dtype=np.float64)), 0, PHQ9_MAX)
    base = (total // PHQ9_ITEMS).astype(np.int64)
    extra = (total - base * PHQ9_ITEMS).astype(np.int64)
    items = base[:, None] + (np.arange(PHQ9_ITEMS)[None, :] < extra[:, None])
    return items.astype(np.int8)


def observe_phq9(
    expected_total: Array,
    patient_ids: NDArray[np.int64],
    key: DrawKey,
    settings: ObservationSettings,
) -> PHQ9Observation:
    """Nine integer answers per patient around the latent (expected) PHQ-9, and their totals.

    NaN expected totals (patients not seen) give items of ``-1`` and a NaN total.

    Example
    -------
    >>> import numpy as np
    >>> off = ObservationSettings.default(noise=False)
    >>> observe_phq9(np.array([11.4]), np.array([7]), DrawKey(0, 0, "phq9"), off).totals.tolist()
    [11.0]
    """
    expected = np.asarray(expected_total, dtype=np.float64)
    seen = np.isfinite(expected)
    safe = np.where(seen, expected, 0.0)
    if settings.noise:
        sigma = settings.value("phq9_item_noise_sd")
        location = person_location(safe, settings)[:, None] + item_offsets(settings)[None, :]
        ids = np.asarray(patient_ids, dtype=np.int64)
        noise = np.stack([key.normals(ids, draw=j) for j in range(PHQ9_ITEMS)], axis=1)
        items = np.clip(np.rint(location + sigma * noise), 0, PHQ9_ITEM_MAX).astype(np.int8)
    else:
        items = noiseless_phq9_items(safe)
    totals = np.full(len(expected), np.nan)
    if seen.any():
        totals[seen] = score_totals("phq9", items[seen])
    items[~seen] = -1
    return PHQ9Observation(items, totals)


def observe_nrs(
    expected: Array,
    patient_ids: NDArray[np.int64],
    key: DrawKey,
    settings: ObservationSettings,
) -> Array:
    """Integer 0–10 pain ratings around the latent (expected) NRS; NaN stays NaN.

    Example
    -------
    >>> import numpy as np
    >>> off = ObservationSettings.default(noise=False)
    >>> observe_nrs(np.array([6.4, 10.3, np.nan]), np.arange(3), DrawKey(0, 0, "nrs"),
    ...             off).tolist()
    [6.0, 10.0, nan]
    """
    values = np.asarray(expected, dtype=np.float64)
    seen = np.isfinite(values)
    answered = np.where(seen, values, 0.0)
    if settings.noise:
        ids = np.asarray(patient_ids, dtype=np.int64)
        answered = answered + settings.value("nrs_noise_sd") * key.normals(ids)
    ratings = np.clip(np.rint(answered), 0, get_spec("nrs").item_max)
    out = np.full(len(values), np.nan)
    if seen.any():
        out[seen] = score_totals("nrs", ratings[seen, None])
    return out
