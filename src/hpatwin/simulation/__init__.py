"""The simulation front door: scenarios, engines and :func:`simulate`.

Layer: above the engine and treatments (a scenario may carry a treatment plan), below
experiments, cohorts, trials and the patient twin, which compose these pieces.

Example
-------
>>> from hpatwin.simulation import JaxEngine, Scenario, run_scenario
>>> ds = run_scenario(Scenario("hpa_core", days=1, pulses=False), JaxEngine(dtype="float32"))
>>> ds.attrs["engine_settings"]
'{"dtype":"float32","engine":"jax","integrator":"rk4"}'
"""

from hpatwin.simulation.conformance import Check, ConformanceReport, check_model
from hpatwin.simulation.engines import Engine, EngineName, JaxEngine, ScipyEngine, engine_named
from hpatwin.simulation.front_door import simulate
from hpatwin.simulation.provenance import base_provenance, hpatwin_version, plan_identity
from hpatwin.simulation.scenario import (
    START_POLICIES,
    Scenario,
    StartPolicy,
    resolve,
    run_length,
    run_scenario,
)

__all__ = [
    "START_POLICIES",
    "Check",
    "ConformanceReport",
    "Engine",
    "EngineName",
    "JaxEngine",
    "Scenario",
    "ScipyEngine",
    "StartPolicy",
    "base_provenance",
    "check_model",
    "engine_named",
    "hpatwin_version",
    "plan_identity",
    "resolve",
    "run_length",
    "run_scenario",
    "simulate",
]
