"""Calibration of the twin on virtual populations against the epidemiology targets.

Three epidemiological figures the virtual population must reproduce:

1. among chronic-pain patients starting from onset, the share reaching PHQ-9 ≥ 10
   within one simulated year (target 30-60 %; source article, Bair et al. 2003);
2. the relative risk of persistent pain (expected NRS ≥ 4 on every day of some
   90-day window) in depressed vs non-depressed people (target 2-4×; source
   article; Carroll et al. 2004 HR 3.97);
3. the standardised difference (Cohen's d) of 08:00 plasma cortisol between
   depressed (PHQ-9 ≥ 10) and non-depressed people (target 0.3-0.6; Stetler &
   Miller 2011).

Run ``python -m hpatwin.cohorts.calibration --patients 2000`` to reproduce the
figures in ``docs/pain-depression.md``.

Example
-------
>>> import numpy as np
>>> from hpatwin.cohorts.calibration import longest_run
>>> longest_run(np.array([True, True, False, True, True, True]))
3
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from hpatwin.cohorts.population import InjuryRisk, generate_population, population_parameters
from hpatwin.simulation import simulate
from hpatwin.trials.chunk import COHORT_DT_MIN

PHQ9_DEPRESSED = 10.0  # Kroenke 2001: PHQ-9 ≥ 10 (sens/spec 88 %)
PERSISTENT_PAIN_NRS = 4.0
PERSISTENT_PAIN_DAYS = 90
#: cohort configuration: the trials' coarse step and float32 (accuracy in docs/engine.md)
COHORT_DTYPE = "float32"


@dataclass(frozen=True)
class CalibrationFigures:
    """The three calibration figures and the sizes behind them."""

    chronic_pain_share_phq9_10_within_year: float
    persistent_pain_relative_risk: float
    persistent_pain_share_depressed: float
    persistent_pain_share_non_depressed: float
    morning_cortisol_cohens_d: float
    patients_per_phenotype: int
    seconds: float


def longest_run(mask: NDArray[np.bool_]) -> int:
    """Length of the longest run of ``True`` in a 1-D boolean array."""
    best = current = 0
    for value in mask:
        current = current + 1 if value else 0
        best = max(best, current)
    return best


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(size, n - start)


def _simulate_population(
    phenotype: str,
    n: int,
    seed: int,
    days: int,
    chunk: int,
    output_every: float,
    injury: InjuryRisk | None = None,
) -> Iterator[tuple[pd.DataFrame, xr.Dataset]]:
    for start, size in _chunks(n, chunk):
        population = generate_population(
            size, phenotype, seed=seed, first_patient=start, injury=injury
        )
        ds = simulate(
            "twin",
            days=days,
            parameters=population_parameters(population),
            n_patients=size,
            start="onset",
            dt=COHORT_DT_MIN,
            dtype=COHORT_DTYPE,
            output_every=output_every,
            seed=seed,
            patient_offset=start,
        )
        yield population, ds


def chronic_pain_depression_share(n: int, seed: int = 1, chunk: int = 500) -> float:
    """Share of chronic-pain patients whose expected PHQ-9 reaches 10 within 365 days."""
    reached = 0
    for _, ds in _simulate_population("chronic_pain", n, seed, 365, chunk, 1440.0):
        phq9 = ds["phq9_expected"].values
        reached += int(np.sum(phq9.max(axis=0) >= PHQ9_DEPRESSED))
    return reached / n


def depression_pain_and_cortisol(
    n: int, seed: int = 2, chunk: int = 500, classify_day: int = 60
) -> tuple[float, float, float, float]:
    """Relative risk of persistent pain and morning-cortisol d, depressed vs non-depressed.

    A population of ``n`` people with the ``depression`` phenotype and ``n`` without
    (``healthy``, whose pain generators still vary) start at onset. At
    ``classify_day`` people are classed depressed (PHQ-9 ≥ 10) or not; those already
    in pain (NRS ≥ 4) are excluded from the pain analysis. Persistent pain = NRS ≥ 4
    on every day of a 90-day window after classification. Cortisol: plasma at 08:00
    of the classification day.
    """
    depressed_pain: list[bool] = []
    other_pain: list[bool] = []
    depressed_cortisol: list[float] = []
    other_cortisol: list[float] = []
    for phenotype, offset in (("depression", 0), ("healthy", n)):
        for _, ds in _simulate_population(
            phenotype, n, seed + offset, 365, chunk, 480.0, injury=InjuryRisk()
        ):
            times = ds["time"].values
            noon = (times % 1440) == 960.0  # daily samples at 16:00 for pain and mood
            phq9 = ds["phq9_expected"].values[noon]
            pain = ds["pain_nrs_expected"].values[noon]
            morning = ds["plasma_cortisol_nmol_l"].values[times == classify_day * 1440 + 480.0][0]
            days = (times[noon] // 1440).astype(int)
            at_class = days == classify_day
            for p in range(phq9.shape[1]):
                depressed = bool(phq9[at_class, p][0] >= PHQ9_DEPRESSED)
                (depressed_cortisol if depressed else other_cortisol).append(float(morning[p]))
                if pain[at_class, p][0] >= PERSISTENT_PAIN_NRS:
                    continue
                later = pain[days > classify_day, p] >= PERSISTENT_PAIN_NRS
                persistent = longest_run(later) >= PERSISTENT_PAIN_DAYS
                (depressed_pain if depressed else other_pain).append(persistent)
    share_dep = float(np.mean(depressed_pain)) if depressed_pain else float("nan")
    share_other = float(np.mean(other_pain)) if other_pain else float("nan")
    a, b = np.asarray(depressed_cortisol), np.asarray(other_cortisol)
    pooled = np.sqrt(
        ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    )
    d = float((a.mean() - b.mean()) / pooled)
    return share_dep / share_other, share_dep, share_other, d


def calibrate(n: int = 2000, chunk: int = 500) -> CalibrationFigures:
    """All three figures with ``n`` patients per phenotype."""
    start = time.perf_counter()
    share = chronic_pain_depression_share(n, chunk=chunk)
    rr, dep, other, d = depression_pain_and_cortisol(n, chunk=chunk)
    return CalibrationFigures(share, rr, dep, other, d, n, time.perf_counter() - start)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Calibration figures of the twin")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(asdict(calibrate(args.patients, args.chunk)), indent=2))
