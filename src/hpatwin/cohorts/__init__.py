"""Virtual cohorts: seeded populations of patients with inter-individual variability."""

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
