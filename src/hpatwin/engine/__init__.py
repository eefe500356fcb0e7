"""Simulation engines: a vectorised JAX batch engine and a SciPy reference, behind one API."""

from hpatwin.engine.api import simulate, steady_state, to_dataset
from hpatwin.engine.inputs import LognormalPulses, PulseTrain, Schedule
from hpatwin.engine.prepared import PreparedRun, prepare_run

__all__ = [
    "LognormalPulses",
    "PreparedRun",
    "PulseTrain",
    "Schedule",
    "prepare_run",
    "simulate",
    "steady_state",
    "to_dataset",
]
