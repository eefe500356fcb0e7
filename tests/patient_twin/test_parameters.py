"""The twin's own parameters are sourced, and the ones measured on the model still hold."""

from __future__ import annotations

import numpy as np
import pytest

from hpatwin.engine.api import steady_state
from hpatwin.parameters import Evidence
from hpatwin.patient_twin.parameters import PARAMETERS, value
from hpatwin.simulation import simulate
from hpatwin.trials.models import resolve_model
from hpatwin.trials.population import generate_population
from hpatwin.trials.spec import PopulationSpec


def test_every_parameter_is_sourced() -> None:
    for parameter in PARAMETERS:
        assert parameter.source and parameter.unit
        if parameter.evidence is Evidence.ASSUMPTION:
            assert parameter.rationale
    with pytest.raises(ValueError, match="unknown name"):
        value("nope")


@pytest.mark.slow
def test_day_to_day_cortisol_spread_is_what_the_pulses_give() -> None:
    """SD of ln(pulsatile / deterministic) salivary cortisol, comorbid population, days 4-13:
    within 0.05 of the registered 08:00 and 23:00 values."""
    model = resolve_model("twin")
    n = 128
    population = generate_population(
        PopulationSpec(size=n, phenotypes={"comorbid": 1.0}, seed=11), model
    )
    parameters = {c[6:]: population[c].to_numpy() for c in population if c.startswith("param:")}
    state = steady_state(model, parameters, n_patients=n, dt=10.0, dtype="float32", settle_days=5.0)
    runs = {
        pulses: simulate(
            model,
            days=14,
            parameters=parameters,
            initial_state=state,
            n_patients=n,
            dt=5.0,
            output_every=10,
            pulses=pulses,
            seed=3,
            dtype="float32",
            variables=["salivary_cortisol_nmol_l"],
        )["salivary_cortisol_nmol_l"].values
        for pulses in (False, True)
    }
    for hour, name in (
        (8, "cortisol_day_to_day_sd_log_morning"),
        (23, "cortisol_day_to_day_sd_log_evening"),
    ):
        rows = [int((day * 1440 + hour * 60) / 10) for day in range(4, 14)]
        spread = float(np.log(runs[True][rows] / runs[False][rows]).std())
        assert spread == pytest.approx(value(name), abs=0.05)
