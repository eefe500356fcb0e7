"""Seeded virtual populations for the year-long epidemiology cohorts.

A thin layer on the one population generator,
:func:`hpatwin.trials.population.generate_population`: the same counter-based random
streams (every number a pure function of ``(seed, purpose, patient id, draw)``), the same
columns (``patient_id``, ``phenotype``, ``age_years``, ``sex``, covariates and
``param:<name>``) and the same sourced spreads (:data:`DEFAULT_VARIABILITY`). What it adds:
a phenotype *mix* given as any positive weights, the cohorts' adult demography
(:data:`COHORT_AGE`, :data:`FEMALE_FRACTION`); on request, one injury or pain flare in
the simulated year (:data:`InjuryRisk`, the trials' ``population.injury``) is drawn by the
one generator from the same streams under its own purposes. Patient ``i`` is the same patient whatever the population size, chunk or worker.

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

import pandas as pd

from hpatwin.model.phenotypes import get_phenotype
from hpatwin.trials.population import (
    DEFAULT_VARIABILITY,
    RMSSD_CHANGE_PER_DECADE,
    Variability,
    population_parameters,
)
from hpatwin.trials.population import generate_population as generate_trial_population
from hpatwin.trials.spec import AgeSpec, InjurySpec, PopulationSpec

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


#: One injury or pain flare in the simulated year: the trials' population option
#: (``population.injury``, :class:`~hpatwin.trials.spec.InjurySpec`), under its cohort name.
InjuryRisk = InjurySpec

#: Adult age distribution of the cohorts (years): normal, mean 50, SD 15, truncated to 18-90
#: (an assumption for clinic populations).
COHORT_AGE = AgeSpec(mean_years=50.0, sd_years=15.0, min_years=18.0, max_years=90.0)
#: assumption: chronic pain clinic populations are majority female
FEMALE_FRACTION = 0.6


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
        size=n,
        phenotypes=_mix(phenotype_mix),
        age=COHORT_AGE,
        female_fraction=FEMALE_FRACTION,
        injury=injury,
    )
    return generate_trial_population(
        spec, model, seed=seed, first_patient=first_patient, spreads=variability
    )
