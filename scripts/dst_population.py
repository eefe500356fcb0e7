"""Print next-day cortisol after 1 mg dexamethasone at 23:00 for virtual populations.

Run: ``PYTHONPATH=src python scripts/dst_population.py [N]`` (N patients per population, default
100; a few minutes on 2 cores). The figures are the table in ``docs/hpa-core.md``; the same targets
are asserted in ``tests/experiments/test_dexamethasone.py``.
"""

from __future__ import annotations

import sys

import numpy as np

from hpatwin.cohorts.population import generate_population, population_parameters
from hpatwin.experiments import dexamethasone_suppression
from hpatwin.experiments.protocols import (
    DST_LATE_THRESHOLD_NMOL_L,
    DST_SUPPRESSION_THRESHOLD_NMOL_L,
)

#: (label, model, phenotype); core populations vary GR capacity, twin ones use DEFAULT_VARIABILITY
POPULATIONS = (
    ("healthy (core)", "hpa_core", "healthy"),
    ("GR-resistant (core)", "hpa_core", "gr_resistant"),
    ("healthy (twin)", "twin", "healthy"),
    ("depression (twin)", "twin", "depression"),
    ("comorbid (twin)", "twin", "comorbid"),
    ("depression_hypercortisolaemic (twin)", "twin", "depression_hypercortisolaemic"),
    ("comorbid_hypercortisolaemic (twin)", "twin", "comorbid_hypercortisolaemic"),
)
GR_CAPACITY_SPREAD = 0.25  # lognormal σ, as DEFAULT_VARIABILITY


def _parameters(model: str, phenotype: str, n: int) -> dict[str, np.ndarray]:
    if model == "twin":
        return population_parameters(generate_population(n, phenotype, seed=5))
    centre = 0.25 if phenotype == "gr_resistant" else 1.0
    draws = np.random.default_rng(5).standard_normal(n)
    return {"gr_expression_capacity": centre * np.exp(GR_CAPACITY_SPREAD * draws)}


def main(n: int = 100) -> None:
    print(
        "| population | 08:00 median (share < 50) | 16:00 median (share < 138) | "
        "23:00 median (share < 138) | late non-suppression |\n|---|---|---|---|---|"
    )
    for label, model, phenotype in POPULATIONS:
        result = dexamethasone_suppression(
            model=model,
            phenotype=phenotype,
            parameters=_parameters(model, phenotype, n),
            n_patients=n,
            dt=5.0,
            dtype="float32",
        )
        cells = [
            f"{np.median(values):.0f} ({np.mean(values < threshold):.0%})"
            for values, threshold in (
                (result.per_patient_0800_nmol_l, DST_SUPPRESSION_THRESHOLD_NMOL_L),
                (result.per_patient_1600_nmol_l, DST_LATE_THRESHOLD_NMOL_L),
                (result.per_patient_2300_nmol_l, DST_LATE_THRESHOLD_NMOL_L),
            )
        ]
        print(
            f"| {label} | {' | '.join(cells)} | {result.late_non_suppression_rate:.0%} |",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
