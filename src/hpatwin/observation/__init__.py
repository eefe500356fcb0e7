"""The observation layer: what a clinic or a trial actually sees of the model.

Between the model and every consumer (trials; later the patient twin and reports), latent
states become observed data: PHQ-9 as nine integer items with a sourced measurement-error
model, the pain NRS as an integer, salivary cortisol with assay error and sampling-time
jitter, RMSSD with day-to-day variability, and visit-to-visit fluctuation of the latent
state. Answers are scored by :mod:`hpatwin.clinic.instruments`. Every draw is keyed by
(seed, patient id, visit, measure); ``noise=False`` switches all of it off.
See ``docs/observation.md``.

Example
-------
>>> import numpy as np
>>> from hpatwin.observation import observe_visits
>>> ds = observe_visits({"phq9": np.array([[14.2]])}, np.array([0]), [0.0], seed=0, noise=False)
>>> float(ds["phq9"][0, 0])
14.0
"""

from hpatwin.observation.keyed_random import DrawKey
from hpatwin.observation.parameters import (
    PARAMETERS,
    ObservationSettings,
    observation_registry,
)
from hpatwin.observation.questionnaires import PHQ9Observation, observe_nrs, observe_phq9
from hpatwin.observation.visits import observe_cortisol_sample, observe_visits

__all__ = [
    "PARAMETERS",
    "DrawKey",
    "ObservationSettings",
    "PHQ9Observation",
    "observation_registry",
    "observe_cortisol_sample",
    "observe_nrs",
    "observe_phq9",
    "observe_visits",
]
