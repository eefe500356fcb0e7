"""Observe whole visits: latent model values in, what a clinic would record out.

:func:`observe_visits` takes each patient's latent (expected) PHQ-9, pain NRS and RMSSD at
a series of visits, adds the visit-to-visit fluctuation, draws the observed answers and
scores them with the clinic's instrument rules; it returns an :class:`xarray.Dataset`
with units and provenance. :func:`observe_cortisol_sample` reads a cortisol profile at a
jittered sampling time and applies the assay error. Every draw is keyed by (seed,
patient id, visit number, measure), so results do not depend on how patients are batched.

Example
-------
>>> import numpy as np
>>> latent = {"phq9": np.array([[15.0, 15.0], [12.0, 9.0]]),
...           "pain_nrs": np.array([[6.0, 7.0], [5.0, 4.0]])}
>>> ds = observe_visits(latent, np.array([10, 11]), visit_days=[0.0, 28.0], seed=1)
>>> ds["phq9"].dims, ds["phq9"].attrs["units"], ds["phq9_items"].shape
(('visit', 'patient'), 'points (0-27)', (2, 2, 9))
>>> off = observe_visits(latent, np.array([10, 11]), [0.0, 28.0], seed=1, noise=False)
>>> off["phq9"].values.tolist()
[[15.0, 15.0], [12.0, 9.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hpatwin.observation.fluctuation import SD_PARAMETER, fluctuate, fluctuation_paths
from hpatwin.observation.keyed_random import DrawKey
from hpatwin.observation.parameters import ObservationSettings
from hpatwin.observation.physiology import (
    observe_cortisol,
    observe_rmssd,
    sample_profile,
    sampling_times_min,
)
from hpatwin.observation.questionnaires import NRS_MAX, PHQ9_MAX, observe_nrs, observe_phq9

Array = NDArray[np.float64]
UNITS = {"phq9": "points (0-27)", "pain_nrs": "points (0-10)", "rmssd": "ms"}
OBSERVED = {
    "phq9": "PHQ-9 total of nine observed integer items, scored by hpatwin.clinic.instruments",
    "pain_nrs": "observed integer pain NRS, scored by hpatwin.clinic.instruments",
    "rmssd": "RMSSD with day-to-day log-normal variability",
}


def _observe_one(
    measure: str,
    latent: Array,
    ids: NDArray[np.int64],
    visit: int,
    seed: int,
    settings: ObservationSettings,
) -> tuple[Array, NDArray[np.int8] | None]:
    key = DrawKey(seed, visit, measure)
    if measure == "phq9":
        observed = observe_phq9(latent, ids, key, settings)
        return observed.totals, observed.items
    if measure == "pain_nrs":
        return observe_nrs(latent, ids, key, settings), None
    if measure == "rmssd":
        return observe_rmssd(latent, ids, key, settings), None
    raise ValueError(f"measure: {measure!r} is not observed here; known: {', '.join(UNITS)}")


def observe_visits(
    latent: Mapping[str, Array],
    patient_ids: NDArray[np.int64],
    visit_days: Sequence[float],
    seed: int,
    *,
    visit_numbers: Sequence[int] | None = None,
    noise: bool = True,
    settings: ObservationSettings | None = None,
    shifts: Mapping[str, Array] | None = None,
) -> xr.Dataset:
    """Observed PHQ-9 (and items), NRS and RMSSD per visit; NaN latent values stay NaN.

    ``latent[measure]`` is ``(n_visits, n_patients)``; ``visit_numbers`` key the draws
    (default ``0, 1, …``); ``settings`` default to the registered values with ``noise``.
    ``shifts`` gives a measure's fluctuation paths (logit scale, ``(n_visits, n_patients)``)
    instead of fresh stationary ones: the patient twin's forecast continues the fluctuation
    its filter estimated (:func:`~hpatwin.observation.fluctuation.conditioned_paths`).
    """
    chosen = settings if settings is not None else ObservationSettings.default(noise)
    ids = np.asarray(patient_ids, dtype=np.int64)
    numbers = list(range(len(visit_days))) if visit_numbers is None else list(visit_numbers)
    data: dict[str, Any] = {}
    for measure, values in latent.items():
        array = np.asarray(values, dtype=np.float64).reshape(len(visit_days), len(ids))
        if measure in ("phq9", "pain_nrs"):
            given = None if shifts is None else shifts.get(measure)
            shift = (
                fluctuation_paths(
                    ids, visit_days, numbers, seed=seed, measure=measure, settings=chosen
                )
                if given is None
                else np.asarray(given, dtype=np.float64).reshape(array.shape)
            )
            maximum = PHQ9_MAX if measure == "phq9" else NRS_MAX
            array = fluctuate(array, shift, maximum, chosen.value(SD_PARAMETER[measure]))
        rows = [
            _observe_one(measure, array[k], ids, numbers[k], seed, chosen)
            for k in range(len(numbers))
        ]
        data[measure] = xr.DataArray(
            np.stack([r[0] for r in rows]),
            dims=("visit", "patient"),
            attrs={"units": UNITS[measure], "long_name": OBSERVED[measure]},
        )
        if measure == "phq9":
            items = np.stack([r[1] for r in rows if r[1] is not None])
            data["phq9_items"] = xr.DataArray(
                items,
                dims=("visit", "patient", "item"),
                attrs={"units": "answer 0-3 (-1 = not seen)", "long_name": "PHQ-9 item answers"},
            )
    return xr.Dataset(
        data,
        coords={
            "visit": ("visit", np.asarray(numbers, dtype=np.int64)),
            "visit_day": ("visit", np.asarray(visit_days, dtype=np.float64), {"units": "d"}),
            "patient": ("patient", ids),
        },
        attrs={
            "provenance": "hpatwin.observation.observe_visits",
            "seed": seed,
            "noise": int(chosen.noise),
            "parameters": ", ".join(f"{k}={v:g}" for k, v in sorted(chosen.values.items())),
        },
    )


def observe_cortisol_sample(
    grid_min: Array,
    profiles: Array,
    scheduled_min: float,
    patient_ids: NDArray[np.int64],
    *,
    visit: int,
    seed: int,
    evening: bool,
    settings: ObservationSettings,
) -> Array:
    """Assayed salivary cortisol at a jittered time around ``scheduled_min`` on the grid.

    Example
    -------
    >>> import numpy as np
    >>> grid = np.arange(0.0, 1441.0, 60.0)
    >>> profiles = np.tile(np.linspace(20, 2, len(grid))[:, None], (1, 2))
    >>> off = ObservationSettings.default(noise=False)
    >>> observe_cortisol_sample(grid, profiles, 60.0, np.arange(2), visit=0, seed=0,
    ...                         evening=False, settings=off).round(2).tolist()
    [19.25, 19.25]
    """
    ids = np.asarray(patient_ids, dtype=np.int64)
    stream = "cortisol_evening" if evening else "cortisol_morning"
    times = sampling_times_min(scheduled_min, ids, DrawKey(seed, visit, f"{stream}:time"), settings)
    true_values = sample_profile(grid_min, profiles, times)
    return observe_cortisol(
        true_values, ids, DrawKey(seed, visit, stream), settings, evening=evening
    )
