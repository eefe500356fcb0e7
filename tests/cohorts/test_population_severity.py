"""A virtual population looks like a real one (SPEC §1.4, issue #13).

Targets, each on the cohort setting (5-min step, float32) with the default
inter-individual variability, read at midnight on the untreated steady state:

* healthy people: PHQ-9 ≥ 10 in ≤ 8 % (general population 5.6 %, Kocalevent et al. 2013
  Gen Hosp Psychiatry 35:551);
* trial-like comorbid patients enrolled at PHQ-9 ≥ 10: mean baseline 14-19, SD 3-6,
  ≤ 15 % at ≥ 24 (moderate-to-severe, not the ceiling);
* ordinary (not hypercortisolaemic) depressed patients: 23:00 salivary cortisol below the
  2.8 nmol/L late-night cut-off (LC-MS/MS; clinical-facts §2.3) in ≥ 75 %;
* hypercortisolaemic phenotypes keep a raised 23:00 salivary cortisol.

150 patients per population: the shares carry a binomial SE of about 2-3 points, within
the margins measured in docs/pain-depression.md.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from numpy.typing import NDArray

from hpatwin.cohorts.enrolment import PAIN_INCLUSION_NRS, PHQ9_DEPRESSED, enrol
from hpatwin.cohorts.population import generate_population, population_parameters
from hpatwin.engine.api import steady_state
from hpatwin.model.catalogue import get_model
from hpatwin.simulation import simulate

N_PATIENTS = 150
LATE_NIGHT_SALIVA_CUTOFF_NMOL_L = 2.8
BASELINE_MEAN_RANGE = (14.0, 19.0)
BASELINE_SD_RANGE = (3.0, 6.0)
MAX_SHARE_AT_24 = 0.15


@functools.cache
def _steady_day(phenotype: str) -> dict[str, NDArray[np.float64]]:
    """PHQ-9 at midnight and salivary cortisol at 23:00 on each patient's steady state."""
    population = generate_population(N_PATIENTS, phenotype, seed=3)
    parameters = population_parameters(population)
    state = steady_state(get_model("twin"), parameters, n_patients=N_PATIENTS, dt=5.0)
    ds = simulate(
        "twin",
        days=1,
        parameters=parameters,
        initial_state=state,
        n_patients=N_PATIENTS,
        pulses=False,
        dt=5.0,
        dtype="float32",
        output_every=60.0,
    )
    return {
        "phq9": ds["phq9_expected"].sel(time=0.0).values.astype(float),
        "saliva_2300": ds["salivary_cortisol_nmol_l"].sel(time=1380.0).values.astype(float),
    }


def _assert_trial_like(baseline: NDArray[np.float64]) -> None:
    assert BASELINE_MEAN_RANGE[0] <= baseline.mean() <= BASELINE_MEAN_RANGE[1]
    assert BASELINE_SD_RANGE[0] <= baseline.std(ddof=1) <= BASELINE_SD_RANGE[1]
    assert np.mean(baseline >= 24) <= MAX_SHARE_AT_24


def test_healthy_population_mostly_below_phq9_10() -> None:
    phq9 = _steady_day("healthy")["phq9"]
    assert np.mean(phq9 >= PHQ9_DEPRESSED) <= 0.08


def test_comorbid_population_enrolled_at_phq9_10_is_moderate_to_severe() -> None:
    phq9 = _steady_day("comorbid")["phq9"]
    _assert_trial_like(phq9[phq9 >= PHQ9_DEPRESSED])


def test_trial_calibration_cohort_baseline_is_moderate_to_severe() -> None:
    cohort = enrol(
        "comorbid_moderate",
        N_PATIENTS,
        seed=41,
        min_phq9=PHQ9_DEPRESSED,
        min_nrs=PAIN_INCLUSION_NRS,
    )
    baseline = simulate(
        "twin",
        days=5.0 / 1440,
        parameters=cohort.parameters,
        initial_state=cohort.state,
        n_patients=cohort.size,
        pulses=False,
        dt=5.0,
        dtype="float32",
        output_every=5.0,
    )["phq9_expected"].sel(time=0.0)
    _assert_trial_like(baseline.values.astype(float))


@pytest.mark.parametrize("phenotype", ["depression", "comorbid"])
def test_ordinary_depressed_patients_have_normal_late_night_cortisol(phenotype: str) -> None:
    day = _steady_day(phenotype)
    depressed = day["phq9"] >= PHQ9_DEPRESSED
    assert depressed.sum() >= 50
    below = day["saliva_2300"][depressed] < LATE_NIGHT_SALIVA_CUTOFF_NMOL_L
    assert below.mean() >= 0.75


@pytest.mark.parametrize(
    "phenotype", ["depression_hypercortisolaemic", "comorbid_hypercortisolaemic"]
)
def test_hypercortisolaemic_phenotypes_keep_raised_late_night_cortisol(phenotype: str) -> None:
    hyper = _steady_day(phenotype)["saliva_2300"]
    ordinary = _steady_day(phenotype.removesuffix("_hypercortisolaemic"))["saliva_2300"]
    assert np.median(hyper) > LATE_NIGHT_SALIVA_CUTOFF_NMOL_L
    assert np.median(hyper) > 1.5 * np.median(ordinary)
