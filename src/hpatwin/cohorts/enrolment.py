"""Screened cohorts on their untreated baseline: population severity checks.

:func:`enrol` draws patients with the one population generator
(:func:`hpatwin.cohorts.population.generate_population`), settles each on its untreated
steady state, sets the enrolment exacerbation and keeps those whose *expected* PHQ-9 and
NRS pass the screening thresholds. It serves checks of baseline severity
(``tests/cohorts/test_population_severity.py``); treatment effects are calibrated through the
trial runner (:mod:`hpatwin.cohorts.treatment_calibration`).

Example
-------
>>> from hpatwin.cohorts.enrolment import PHQ9_DEPRESSED, PAIN_INCLUSION_NRS
>>> PHQ9_DEPRESSED, PAIN_INCLUSION_NRS
(10.0, 4.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hpatwin.cohorts.population import generate_population, population_parameters
from hpatwin.engine.api import steady_state
from hpatwin.model.catalogue import get_model
from hpatwin.model.hpa_core import TRANSIENT_STATES
from hpatwin.model.natural_course import with_enrolment_exacerbation
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.simulation import simulate
from hpatwin.trials.chunk import COHORT_DT_MIN

COHORT_DTYPE = "float32"
#: PHQ-9 ≥ 10: Kroenke et al. 2001 cut-off (sensitivity and specificity 88 %)
PHQ9_DEPRESSED = 10.0
#: NRS ≥ 4: moderate pain, the usual inclusion threshold of chronic-pain trials (assumption)
PAIN_INCLUSION_NRS = 4.0
_TRANSIENT = set(TRANSIENT_STATES)


@dataclass(frozen=True)
class Cohort:
    """Enrolled virtual patients: parameters and shared warm-up state, one value per patient.

    >>> import numpy as np
    >>> Cohort("chronic_pain", 3, {}, {"cortisol": np.ones(2)}).size
    2
    """

    phenotype: str
    screened: int
    parameters: dict[str, NDArray[np.float64]]
    state: dict[str, NDArray[np.float64]]

    @property
    def size(self) -> int:
        """Number of enrolled patients."""
        return len(next(iter(self.state.values())))


def enrol(
    phenotype: str,
    n: int,
    seed: int,
    *,
    min_phq9: float | None = None,
    min_nrs: float | None = None,
    exacerbation: bool = True,
) -> Cohort:
    """Draw ``n`` patients, settle them on their untreated steady state, keep the eligible.

    Patients enrol during an exacerbation (``exacerbation=True``): after the untreated
    warm-up the ``symptom_exacerbation`` state is set to :data:`ENROLMENT_EXACERBATION`, so
    the expressed severity at baseline lies above each patient's set point and resolves
    in every arm (natural course, regression to the mean). Eligibility is read at
    midnight of day 0 from the expected PHQ-9 and NRS, exacerbation included. One
    warm-up state is kept in ``Cohort.state``.

    >>> import inspect
    >>> list(inspect.signature(enrol).parameters)[-3:]
    ['min_phq9', 'min_nrs', 'exacerbation']
    """
    population = generate_population(n, phenotype, seed=seed)
    parameters = {
        **{k: np.full(n, v) for k, v in get_phenotype(phenotype).parameters.items()},
        **population_parameters(population),
    }
    state = steady_state(get_model("twin"), parameters, n_patients=n, dt=COHORT_DT_MIN)
    if exacerbation:
        state = with_enrolment_exacerbation(state)
    baseline = simulate(
        "twin",
        days=COHORT_DT_MIN / 1440,
        parameters=parameters,
        initial_state=state,
        n_patients=n,
        pulses=False,
        dt=COHORT_DT_MIN,
        dtype=COHORT_DTYPE,
        output_every=COHORT_DT_MIN,
    ).isel(time=0)
    keep = np.ones(n, dtype=bool)
    if min_phq9 is not None:
        keep &= baseline["phq9_expected"].values >= min_phq9
    if min_nrs is not None:
        keep &= baseline["pain_nrs_expected"].values >= min_nrs
    if not keep.any():
        raise ValueError(f"enrol: no {phenotype} patient of {n} is eligible")
    return Cohort(
        phenotype,
        n,
        {k: np.asarray(v, dtype=float)[keep] for k, v in parameters.items()},
        {k: np.asarray(v, dtype=float)[keep] for k, v in state.items() if k not in _TRANSIENT},
    )
