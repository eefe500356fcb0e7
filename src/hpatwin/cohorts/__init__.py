"""Virtual cohorts: the epidemiology populations (a thin layer on the one trial generator)."""

from hpatwin.cohorts.population import (
    DEFAULT_VARIABILITY,
    InjuryRisk,
    Variability,
    generate_population,
    population_parameters,
)

__all__ = [
    "DEFAULT_VARIABILITY",
    "InjuryRisk",
    "Variability",
    "generate_population",
    "population_parameters",
]
