"""Simulation engines: a vectorised JAX batch engine and a SciPy reference, and the
building blocks of a run (prepared runs, inputs, the steady-state warm-up).

The front door, :func:`hpatwin.simulate`, lives one layer up in :mod:`hpatwin.simulation`.
"""

from hpatwin.engine.api import steady_state, to_dataset
from hpatwin.engine.inputs import LognormalPulses, PulseTrain, Schedule
from hpatwin.engine.jax_engine import configure_jax
from hpatwin.engine.prepared import PreparedRun, prepare_run

__all__ = [
    "LognormalPulses",
    "PreparedRun",
    "PulseTrain",
    "Schedule",
    "configure_jax",
    "prepare_run",
    "steady_state",
    "to_dataset",
]
