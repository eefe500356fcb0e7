"""The natural course at enrolment: patients enrol during an exacerbation that resolves.

People join a trial when their symptoms are bad (they pass the screening threshold at a
bad time); part of every arm's improvement is that exacerbation resolving by itself
(regression to the mean). A model that has the ``symptom_exacerbation`` state (the twin:
:mod:`hpatwin.model.pain_depression`) expresses it; enrolment sets the state to
:data:`ENROLMENT_EXACERBATION` after the untreated warm-up. Shared by the calibration
harness (:mod:`hpatwin.cohorts.treatment_calibration`) and the trial runner.

Example
-------
>>> import numpy as np
>>> state = {"symptom_exacerbation": np.zeros(2), "x": np.ones(2)}
>>> with_enrolment_exacerbation(state)["symptom_exacerbation"].tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from hpatwin.model.definition import OdeModel

#: the exacerbation state and its value at enrolment: 1 by definition (the state is
#: normalised to its size at enrolment; its effects are sized by the model parameters
#: ``exacerbation_mood_share``, ``exacerbation_nociception`` and its resolution by
#: ``exacerbation_resolution_time_constant_days``)
EXACERBATION_STATE, ENROLMENT_EXACERBATION = "symptom_exacerbation", 1.0


def has_natural_course(model: OdeModel) -> bool:
    """Whether the model has the enrolment-exacerbation state.

    Example
    -------
    >>> from hpatwin.model import get_model
    >>> has_natural_course(get_model("hpa_core"))
    False
    """
    return EXACERBATION_STATE in model.state_names


def with_enrolment_exacerbation(
    state: Mapping[str, NDArray[np.float64]],
) -> dict[str, NDArray[np.float64]]:
    """A copy of a (warmed-up) state with every patient at the enrolment exacerbation."""
    n = len(next(iter(state.values())))
    return {**state, EXACERBATION_STATE: np.full(n, ENROLMENT_EXACERBATION)}
