"""Engines behind one small protocol: they integrate a prepared run and nothing else.

An engine is an object passed to :func:`~hpatwin.simulation.run_scenario` (diffrax style:
small pieces composed, not flags). Each returns every state
``(n_outputs + 1, n_states, n_patients)`` or, when it can, only the recorded variables.

Example
-------
>>> from hpatwin.engine import prepare_run
>>> from hpatwin.model import get_model
>>> run = prepare_run(get_model("hpa_core"), 20.0, output_every=10.0)
>>> JaxEngine().integrate(run).shape == ScipyEngine().integrate(run).shape
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from hpatwin.engine.jax_engine import run_jax, run_jax_recorded
from hpatwin.engine.prepared import INTEGRATORS, PreparedRun
from hpatwin.engine.scipy_engine import run_scipy
from hpatwin.errors import InputError

EngineName = Literal["jax", "scipy"]


@runtime_checkable
class Engine(Protocol):
    """What the front door needs of an engine."""

    @property
    def name(self) -> str:
        """Short engine name (``jax``, ``scipy``)."""
        ...

    def prepare_options(self) -> Mapping[str, Any]:
        """Extra keywords for :func:`~hpatwin.engine.prepare_run` (e.g. multirate steps)."""
        ...

    def integrate(self, run: PreparedRun) -> NDArray[np.float64]:
        """Every state at every output time, ``(n_outputs + 1, n_states, n_patients)``."""
        ...

    def integrate_recorded(
        self, run: PreparedRun, variables: Sequence[str]
    ) -> Mapping[str, NDArray[np.float64]] | None:
        """Only ``variables`` (states or readouts), or ``None`` if the engine cannot."""
        ...

    def settings(self) -> dict[str, str | float]:
        """The engine's settings, for provenance attributes."""
        ...


@dataclass(frozen=True)
class JaxEngine:
    """The vectorised JAX engine: fixed-step RK4 (optionally multirate), float64 or float32.

    ``slow_dt``: the model's slow states step every ``slow_dt`` minutes (multirate).
    ``integrator``: ``"rk4"`` or ``"exponential_rk4"`` (each state's linear decay solved
    exactly; docs/engine.md).
    """

    dtype: str = "float64"
    slow_dt: float | None = None
    name: str = "jax"
    integrator: str = "rk4"

    def __post_init__(self) -> None:
        if self.dtype not in ("float64", "float32"):
            raise InputError(
                f"{self.dtype!r} is not a supported precision", field="dtype",
                allowed="float64, float32",
            )
        if self.integrator not in INTEGRATORS:
            raise InputError(
                f"{self.integrator!r} is not an integrator", field="integrator",
                allowed=", ".join(INTEGRATORS),
            )

    def prepare_options(self) -> Mapping[str, Any]:
        return {"slow_dt": self.slow_dt, "integrator": self.integrator, "series_dtype": self.dtype}

    def integrate(self, run: PreparedRun) -> NDArray[np.float64]:
        return run_jax(run, self.dtype)

    def integrate_recorded(
        self, run: PreparedRun, variables: Sequence[str]
    ) -> Mapping[str, NDArray[np.float64]] | None:
        return run_jax_recorded(run, list(variables), self.dtype)

    def settings(self) -> dict[str, str | float]:
        out: dict[str, str | float] = {"engine": self.name, "dtype": self.dtype}
        if self.slow_dt is not None:
            out["slow_dt"] = self.slow_dt
        out["integrator"] = self.integrator
        return out


@dataclass(frozen=True)
class ScipyEngine:
    """The SciPy reference engine (adaptive LSODA/BDF, one patient at a time)."""

    name: str = "scipy"

    def prepare_options(self) -> Mapping[str, Any]:
        return {}

    def integrate(self, run: PreparedRun) -> NDArray[np.float64]:
        return run_scipy(run)

    def integrate_recorded(
        self, run: PreparedRun, variables: Sequence[str]
    ) -> Mapping[str, NDArray[np.float64]] | None:
        return None

    def settings(self) -> dict[str, str | float]:
        return {"engine": self.name}


def engine_named(
    name: str, dtype: str = "float64", slow_dt: float | None = None, integrator: str = "rk4"
) -> Engine:
    """The engine for a name, as the front door's keywords give it.

    Example
    -------
    >>> engine_named("scipy").name
    'scipy'
    """
    if name == "jax":
        return JaxEngine(dtype=dtype, slow_dt=slow_dt, integrator=integrator)
    if name == "scipy":
        if slow_dt is not None:
            raise InputError(
                "multirate stepping needs the JAX engine", field="slow_dt", allowed="engine='jax'"
            )
        if integrator != "rk4":
            raise InputError(
                "the exponential integrator is the JAX engine's", field="integrator",
                allowed="engine='jax'",
            )
        return ScipyEngine()
    raise InputError(f"{name!r} is not an engine", field="engine", allowed="jax, scipy")
