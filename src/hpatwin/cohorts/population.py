"""Seeded virtual populations for the year-long epidemiology cohorts.

A thin layer on the one population generator,
:func:`hpatwin.trials.population.generate_population`: the same counter-based random
streams (every number a pure function of ``(seed, purpose, patient id, draw)``), the same
columns (``patient_id``, ``phenotype``, ``age_years``, ``sex``, covariates and
``param:<name>``) and the same sourced spreads (:data:`DEFAULT_VARIABILITY`). What it adds:
a phenotype *mix* given as any positive weights, the cohorts' adult demography
(:data:`COHORT_AGE`, :data:`FEMALE_FRACTION`) and, on request, one injury or pain flare in
the simulated year (:class:`InjuryRisk`), drawn from the same streams under its own
purposes. Patient ``i`` is the same patient whatever the population size, chunk or worker.

Example
-------
>>> from hpatwin.cohorts import generate_population
>>> pop = generate_population(4, {"chronic_pain": 0.5, "healthy": 0.5}, seed=7)
>>> list(pop.columns[:4])
['patient_id', 'phenotype', 'age_years', 'sex']
>>> pop.equals(generate_population(4, {"chronic_pain": 0.5, "healthy": 0.5}, seed=7))
True
>>> "param:tissue_nociception" in pop.columns
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hpatwin.model.phenotypes import get_phenotype
from hpatwin.trials.population import (
    DEFAULT_VARIABILITY,
    PARAMETER_PREFIX,
    RMSSD_CHANGE_PER_DECADE,
    Variability,
    counter_normals,
    counter_uniforms,
    population_parameters,
)
from hpatwin.trials.population import generate_population as generate_trial_population
from hpatwin.trials.spec import AgeSpec, PopulationSpec

__all__ = [
    "COHORT_AGE",
    "DEFAULT_VARIABILITY",
    "FEMALE_FRACTION",
    "RMSSD_CHANGE_PER_DECADE",
    "InjuryRisk",
    "Variability",
    "generate_population",
    "population_parameters",
]


@dataclass(frozen=True)
class InjuryRisk:
    """Chance of one injury or pain flare in the simulated year, its size and healing time.

    The defaults are assumptions: a substantial share of adults have a new
    musculoskeletal pain episode in a year; sizes are chosen so an episode is
    moderately painful (NRS ~3-5) before it heals. Healing times are lognormal around
    the model's 21-day time constant with a heavy tail: most episodes resolve within
    weeks, but a minority last months in anyone (in primary-care cohorts of acute low
    back pain only about a third have recovered by 3 months and many still report pain
    at 12 months: Itz et al. 2013 Eur J Pain 17:5, doi 10.1002/j.1532-2149.2012.00170.x),
    which gives non-depressed people a baseline risk of persistent pain. The spread
    (0.8) is an assumption sized on the calibration populations.

    >>> InjuryRisk().median_healing_days
    21.0
    """

    yearly_probability: float = 0.4
    median_size: float = 1.5
    size_spread: float = 0.4
    median_healing_days: float = 21.0
    healing_spread: float = 0.8

    def __post_init__(self) -> None:
        if not 0 <= self.yearly_probability <= 1:
            raise ValueError(f"injury yearly_probability: {self.yearly_probability} not in [0, 1]")
        if self.median_size <= 0 or self.size_spread < 0:
            raise ValueError("injury median_size must be > 0 and size_spread ≥ 0")
        if self.median_healing_days <= 0 or self.healing_spread < 0:
            raise ValueError("injury median_healing_days must be > 0 and healing_spread ≥ 0")


#: Adult age distribution of the cohorts (years): normal, mean 50, SD 15, truncated to 18-90
#: (an assumption for clinic populations).
COHORT_AGE = AgeSpec(mean_years=50.0, sd_years=15.0, min_years=18.0, max_years=90.0)
#: assumption: chronic pain clinic populations are majority female
FEMALE_FRACTION = 0.6
#: longest healing time constant of an injury (days)
_MAX_HEALING_DAYS = 365.0
#: onset day of "no injury this year" (never reached in a simulated year)
_NO_INJURY_DAY = 1e6


def _mix(phenotype_mix: Mapping[str, float] | str) -> dict[str, float]:
    if isinstance(phenotype_mix, str):
        phenotype_mix = {phenotype_mix: 1.0}
    if not phenotype_mix:
        raise ValueError("phenotype_mix: give at least one phenotype")
    total = 0.0
    for name, fraction in phenotype_mix.items():
        get_phenotype(name)
        if not (math.isfinite(fraction) and fraction > 0):
            raise ValueError(f"phenotype_mix[{name}]: {fraction!r} must be a positive fraction")
        total += fraction
    return {name: fraction / total for name, fraction in phenotype_mix.items()}


def draw_injuries(
    ids: NDArray[np.int64], injury: InjuryRisk, seed: int
) -> dict[str, NDArray[np.float64]]:
    """Injury onset day, size and healing time constant per patient (``param:`` columns).

    Drawn from the one generator's counter-based streams under the purposes
    ``injury``, ``injury-onset``, ``injury-size`` and ``injury-healing``; patients
    without an injury get an onset beyond the year and size 0.

    >>> import numpy as np
    >>> cols = draw_injuries(np.arange(1000), InjuryRisk(yearly_probability=0.4), seed=1)
    >>> 0.35 < float((cols["param:injury_nociception"] > 0).mean()) < 0.45
    True
    """
    ids = np.asarray(ids, dtype=np.int64)
    injured = counter_uniforms(seed, "injury", ids) < injury.yearly_probability
    onset = 365.0 * counter_uniforms(seed, "injury-onset", ids)
    size = injury.median_size * np.exp(
        injury.size_spread * counter_normals(seed, "injury-size", ids)
    )
    healing = np.clip(
        injury.median_healing_days
        * np.exp(injury.healing_spread * counter_normals(seed, "injury-healing", ids)),
        1.0,
        _MAX_HEALING_DAYS,
    )
    return {
        PARAMETER_PREFIX + "injury_onset_day": np.where(injured, onset, _NO_INJURY_DAY),
        PARAMETER_PREFIX + "injury_nociception": np.where(injured, size, 0.0),
        PARAMETER_PREFIX + "injury_healing_time_constant_days": np.where(
            injured, healing, injury.median_healing_days
        ),
    }


def generate_population(
    n: int,
    phenotype_mix: Mapping[str, float] | str,
    seed: int = 0,
    *,
    variability: Mapping[str, Variability] | None = None,
    model: str = "twin",
    first_patient: int = 0,
    injury: InjuryRisk | None = None,
) -> pd.DataFrame:
    """``n`` patients (ids ``first_patient …``) drawn by the one population generator.

    ``phenotype_mix`` is a phenotype name or positive weights (normalised to fractions);
    ``variability`` replaces :data:`DEFAULT_VARIABILITY` (the twin's sourced spreads);
    ``injury`` adds one injury or flare in the year (``param:injury_*`` columns).
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n: {n!r} must be a positive integer")
    if first_patient < 0:
        raise ValueError(f"first_patient: {first_patient} must be ≥ 0")
    spec = PopulationSpec(
        size=n, phenotypes=_mix(phenotype_mix), age=COHORT_AGE, female_fraction=FEMALE_FRACTION
    )
    table = generate_trial_population(
        spec, model, seed=seed, first_patient=first_patient, spreads=variability
    )
    if injury is not None:
        ids = table["patient_id"].to_numpy(dtype=np.int64)
        table = table.assign(**draw_injuries(ids, injury, seed))
    return table
