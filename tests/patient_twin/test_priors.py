"""The twin's prior: the population's spreads, coordinates that round-trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.model.phenotypes import get_phenotype
from hpatwin.patient_twin.priors import RESPONSIVENESS_GAINS, twin_prior
from hpatwin.trials.models import resolve_model
from hpatwin.trials.population import default_variability

PRIOR = twin_prior(age_years=50)


def test_centres_and_spreads_come_from_the_population() -> None:
    spreads = default_variability("twin")
    phenotype = get_phenotype("comorbid").parameters
    for q in PRIOR.quantities:
        if q.name in spreads:
            assert q.spread == spreads[q.name].spread
            if q.name in phenotype and q.name != "resting_rmssd_ms":
                assert q.centre == phenotype[q.name]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-3.5, 3.5), min_size=13, max_size=13))
def test_coordinates_round_trip(z: list[float]) -> None:
    row = np.array([z])
    values = PRIOR.values(row)
    for i, q in enumerate(PRIOR.quantities):
        assert q.lower <= values[q.name][0] <= q.upper
        inside = q.lower < values[q.name][0] < q.upper
        if inside:
            assert q.to_z(values[q.name])[0] == pytest.approx(z[i], abs=1e-6)


def test_responsiveness_scales_every_needling_gain() -> None:
    model = resolve_model("twin")
    z = np.zeros((2, PRIOR.size))
    z[1, PRIOR.names.index("treatment_responsiveness")] = 1.0
    parameters, states = PRIOR.model_inputs(z, model)
    factor = np.exp(PRIOR.quantity("treatment_responsiveness").spread)
    for gain in RESPONSIVENESS_GAINS:
        assert parameters[gain][1] / parameters[gain][0] == pytest.approx(factor)
    assert set(states) == {"symptom_exacerbation"}


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="no population variability"):
        twin_prior(fitted=("crh_half_life_min",))
    with pytest.raises(ValueError, match="unknown name"):
        PRIOR.quantity("nope")
    with pytest.raises(ValueError, match="columns"):
        PRIOR.values(np.zeros((1, 3)))
