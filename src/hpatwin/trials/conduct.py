"""Trial conduct on observed values: screening, dropout and missed visits, LOCF.

Draws are keyed by (observation seed, patient id, visit number, purpose) through
:class:`hpatwin.observation.DrawKey`, so chunking and workers never change them. Visit
number 0 is the screening visit; trial visits are numbered from 1 (the baseline).

Example
-------
>>> import numpy as np
>>> from hpatwin.trials.conduct_spec import ScreeningSpec
>>> enrolled_by_screening(np.array([9.0, 12.0]), np.array([5.0, 3.0]),
...                       ScreeningSpec(phq9_min=10)).tolist()
[False, True]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit

from hpatwin.observation import DrawKey
from hpatwin.trials.conduct_spec import DropoutSpec, ScreeningSpec

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]


def _within(values: Array, low: float | None, high: float | None) -> Mask:
    ok = np.isfinite(values)
    if low is not None:
        ok &= values >= low
    if high is not None:
        ok &= values <= high
    return ok


def enrolled_by_screening(phq9: Array | None, nrs: Array | None, spec: ScreeningSpec) -> Mask:
    """Who meets every inclusion criterion on the observed screening scores (inclusive).

    Example
    -------
    >>> import numpy as np
    >>> enrolled_by_screening(None, np.array([3.0, 4.0, 11.0]),
    ...                       ScreeningSpec(nrs_min=4, nrs_max=10)).tolist()
    [False, True, False]
    """
    size = len(phq9) if phq9 is not None else len(nrs) if nrs is not None else 0
    keep = np.ones(size, dtype=bool)
    if spec.needs_phq9:
        if phq9 is None:
            raise ValueError("screening: a PHQ-9 criterion needs observed PHQ-9 values")
        keep &= _within(phq9, spec.phq9_min, spec.phq9_max)
    if spec.needs_nrs:
        if nrs is None:
            raise ValueError("screening: an NRS criterion needs observed pain NRS values")
        keep &= _within(nrs, spec.nrs_min, spec.nrs_max)
    return keep


def dropout_probability(predictor: Array, spec: DropoutSpec) -> Array:
    """Probability of dropping out before the next visit, given the MAR predictor.

    MCAR ignores the predictor. MAR: ``logit p = logit p0 + ln(OR)·(predictor − reference)``;
    a missing predictor (not observed) uses the reference.

    Example
    -------
    >>> import numpy as np
    >>> spec = DropoutSpec(mechanism="mar", probability_per_visit=0.1,
    ...                    mar_odds_ratio_per_point=1.2, mar_reference_phq9=10)
    >>> dropout_probability(np.array([10.0, 20.0]), spec).round(3).tolist()
    [0.1, 0.408]
    """
    base = spec.probability_per_visit
    shape = np.shape(predictor)
    if spec.mechanism == "none" or base <= 0:
        return np.zeros(shape)
    if spec.mechanism == "mcar":
        return np.full(shape, base)
    distance = np.where(np.isfinite(predictor), predictor - spec.mar_reference_phq9, 0.0)
    result: Array = expit(logit(base) + np.log(spec.mar_odds_ratio_per_point) * distance)
    return result


def attendance(
    phq9_visits: Array | None,
    patient_ids: NDArray[np.int64],
    spec: DropoutSpec,
    *,
    seed: int,
    n_visits: int,
) -> Mask:
    """Which trial visits ``(n_visits, n)`` each patient attends; the baseline always.

    Before each follow-up visit ``k`` a patient still in the trial drops out for good with
    :func:`dropout_probability` of the predictor at the last attended visit (MAR needs
    ``phq9_visits``, the observed PHQ-9 per visit), else misses visit ``k`` alone with
    ``missed_visit_probability``.

    Example
    -------
    >>> import numpy as np
    >>> spec = DropoutSpec(mechanism="mcar", probability_per_visit=0.5)
    >>> seen = attendance(None, np.arange(2000), spec, seed=1, n_visits=3)
    >>> seen[0].all(), round(float(seen[1].mean()), 1), round(float(seen[2].mean()), 2)
    (np.True_, 0.5, 0.25)
    """
    ids = np.asarray(patient_ids, dtype=np.int64)
    seen = np.ones((n_visits, len(ids)), dtype=bool)
    if not spec.active:
        return seen
    if spec.mechanism == "mar" and phq9_visits is None:
        raise ValueError("dropout.mechanism: mar needs observed PHQ-9 at every visit")
    in_trial = np.ones(len(ids), dtype=bool)
    last = phq9_visits[0].copy() if phq9_visits is not None else np.full(len(ids), np.nan)
    baseline = last.copy()
    for k in range(1, n_visits):
        predictor = last - baseline if spec.mar_predictor == "phq9_change" else last
        p_drop = dropout_probability(predictor, spec)
        drops = DrawKey(seed, k + 1, "dropout").uniforms(ids) < p_drop
        in_trial &= ~drops
        missed = DrawKey(seed, k + 1, "missed_visit").uniforms(ids) < spec.missed_visit_probability
        seen[k] = in_trial & ~missed
        if phq9_visits is not None:
            last = np.where(seen[k] & np.isfinite(phq9_visits[k]), phq9_visits[k], last)
    return seen


def last_observation_carried_forward(values: Array) -> Array:
    """Fill each missing visit ``(n_visits, n)`` with the patient's last observed value.

    Example
    -------
    >>> import numpy as np
    >>> last_observation_carried_forward(np.array([[1.0, 2.0], [np.nan, 3.0], [np.nan, np.nan]]))[:, 0].tolist()
    [1.0, 1.0, 1.0]
    """
    filled = np.array(values, dtype=np.float64, copy=True)
    for k in range(1, len(filled)):
        filled[k] = np.where(np.isfinite(filled[k]), filled[k], filled[k - 1])
    return filled


def visit_numbers(visits_days: Sequence[int]) -> list[int]:
    """Draw-key numbers of the trial visits (0 is the screening visit).

    Example
    -------
    >>> visit_numbers([0, 28, 84])
    [1, 2, 3]
    """
    return list(range(1, len(visits_days) + 1))
