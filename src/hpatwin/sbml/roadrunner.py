"""Simulate exported models in libRoadRunner (cross-check of the SBML export and benchmark harness).

libRoadRunner is an optional dependency (extras ``dev`` and ``bench``); it is
imported on first use and a clear ``ImportError`` says how to install it.

Inputs are piecewise constant: ``input_segments`` lists change points
``(time, {input name: value})``. An input keeps its value until it is changed
again; inputs never mentioned keep their model default. The harness integrates
segment by segment with CVODE (BDF, ``relative_tolerance`` 1e-10,
``absolute_tolerance`` 1e-12 by default), setting the input parameters between
segments, and records the requested variables at ``output_times``. At a change
time the recorded values are those *after* the change (inputs are
right-continuous; states are continuous anyway).

Example
-------
>>> import numpy as np
>>> from hpatwin.model.catalogue import get_model
>>> model = get_model("gupta2007")
>>> simulator = RoadRunnerSimulator(model)
>>> times = np.linspace(0.0, 2.0, 5)
>>> states = simulator.run(None, None, times, [(0.0, {"stress_f": 1.0}), (1.0, {"stress_f": 0.0})])
>>> states.shape
(5, 4)
>>> bool(states[0, 0] == model.default_initial_state()["crh"])
True
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from hpatwin.model.definition import OdeModel
from hpatwin.sbml.export import checked_initial_state, checked_inputs, to_sbml

DEFAULT_RELATIVE_TOLERANCE = 1e-10
"""CVODE relative tolerance used unless another is given."""

DEFAULT_ABSOLUTE_TOLERANCE = 1e-12
"""CVODE absolute tolerance used unless another is given."""

DEFAULT_MAX_STEPS = 200_000
"""CVODE step limit between two output points."""

InputSegments = Sequence[tuple[float, Mapping[str, float]]]
"""Change points ``(time, {input name: value})`` of piecewise-constant inputs."""


def import_roadrunner() -> ModuleType:
    """The ``roadrunner`` module, or an ``ImportError`` saying how to install it.

    Example
    -------
    >>> import_roadrunner().__name__
    'roadrunner'
    """
    try:
        return importlib.import_module("roadrunner")
    except ImportError as err:
        raise ImportError(
            "libRoadRunner is needed for hpatwin.sbml.roadrunner but is not installed; "
            "install it with `pip install libroadrunner` (or the hpatwin extra `dev` or `bench`)"
        ) from err


def load_roadrunner(
    sbml: str,
    *,
    relative_tolerance: float = DEFAULT_RELATIVE_TOLERANCE,
    absolute_tolerance: float = DEFAULT_ABSOLUTE_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Any:
    """A ``roadrunner.RoadRunner`` for ``sbml`` (XML text) with CVODE configured as given.

    Example
    -------
    >>> from hpatwin.model.catalogue import get_model
    >>> from hpatwin.sbml.export import to_sbml
    >>> runner = load_roadrunner(to_sbml(get_model("sriram2012")))
    >>> runner.integrator.relative_tolerance
    1e-10
    """
    _check_positive("relative_tolerance", relative_tolerance)
    _check_positive("absolute_tolerance", absolute_tolerance)
    if int(max_steps) < 1:
        raise ValueError(f"max_steps: {max_steps!r} is outside the allowed range [1, inf)")
    roadrunner = import_roadrunner()
    runner = roadrunner.RoadRunner(sbml)
    runner.setIntegrator("cvode")
    integrator = runner.integrator
    integrator.stiff = True
    integrator.variable_step_size = False
    integrator.relative_tolerance = float(relative_tolerance)
    integrator.absolute_tolerance = float(absolute_tolerance)
    integrator.maximum_num_steps = int(max_steps)
    return runner


class RoadRunnerSimulator:
    """An :class:`OdeModel` exported to SBML and loaded into libRoadRunner once, for many runs.

    Each :meth:`run` resets the model and sets every parameter, input and
    initial state explicitly (from full-precision Python floats), so runs are
    independent of each other and of the 15-digit numbers in the SBML text.

    Example
    -------
    >>> import numpy as np
    >>> from hpatwin.model.catalogue import get_model
    >>> simulator = RoadRunnerSimulator(get_model("karin2020"))
    >>> out = simulator.run({"k_gr": 3.0}, {"cortisol": 2.0}, np.array([0.0, 60.0]))
    >>> float(out[0, simulator.model.state_names.index("cortisol")])
    2.0
    """

    def __init__(
        self,
        model: OdeModel,
        *,
        relative_tolerance: float = DEFAULT_RELATIVE_TOLERANCE,
        absolute_tolerance: float = DEFAULT_ABSOLUTE_TOLERANCE,
        max_steps: int = DEFAULT_MAX_STEPS,
    ) -> None:
        self.model = model
        self.sbml = to_sbml(model)
        self.runner: Any = load_roadrunner(
            self.sbml,
            relative_tolerance=relative_tolerance,
            absolute_tolerance=absolute_tolerance,
            max_steps=max_steps,
        )
        ids = [str(name) for name in self.runner.model.getGlobalParameterIds()]
        self._position = {name: index for index, name in enumerate(ids)}
        self._settable = (*model.parameter_names, *model.input_names, *model.state_names)
        self._settable_index = np.array([self._position[n] for n in self._settable], dtype=np.int32)
        self._input_index = {name: self._position[name] for name in model.input_names}
        self._selections: tuple[str, ...] = ()

    def run(
        self,
        parameters: Mapping[str, float] | None,
        initial_state: Mapping[str, float] | None,
        output_times: npt.ArrayLike,
        input_segments: InputSegments = (),
        *,
        variables: Sequence[str] | None = None,
    ) -> npt.NDArray[np.float64]:
        """Simulate from t = 0 and return ``(len(output_times), len(variables))`` values.

        ``parameters`` and ``initial_state`` override model defaults by name
        (``None`` = defaults). ``output_times`` must be finite, non-decreasing and
        ≥ 0. ``variables`` defaults to the state names (in ``model.state_names``
        order); readouts, inputs and parameters may be requested too.
        Unknown names and out-of-range values raise ``ValueError`` naming them.
        """
        model = self.model
        parameter_values = model.checked_parameters(parameters or {})
        state_values = checked_initial_state(model, initial_state)
        times = _checked_output_times(output_times)
        changes = normalised_input_segments(model, input_segments)
        selected = self._checked_variables(variables)

        input_values = checked_inputs(model, None)
        while changes and changes[0][0] == 0.0:
            input_values.update(changes.pop(0)[1])

        runner = self.runner
        runner.resetAll()
        values = [
            *(parameter_values[n] for n in model.parameter_names),
            *(input_values[n] for n in model.input_names),
            *(state_values[n] for n in model.state_names),
        ]
        runner.model.setGlobalParameterValues(self._settable_index, np.asarray(values, dtype=float))
        self._select(selected)

        unique_times, inverse = np.unique(times, return_inverse=True)
        end = float(unique_times[-1])
        recorded = np.empty((unique_times.size, len(selected)), dtype=float)
        if end == 0.0:
            recorded[:] = self._current(selected)
            return recorded[inverse]

        edges = [time for time, _ in changes if time < end]
        boundaries = [*sorted(set(edges)), end]
        start = 0.0
        changed_at_end = False
        for stop in boundaries:
            inside = unique_times[(unique_times >= start) & (unique_times <= stop)]
            grid = np.unique(np.concatenate(([start], inside, [stop])))
            try:
                rows = np.asarray(runner.simulate(times=grid), dtype=float)
            except RuntimeError as err:
                raise RuntimeError(
                    f"libRoadRunner failed for model {model.name} between t={start:g} and "
                    f"t={stop:g}: {err}"
                ) from err
            where = np.searchsorted(unique_times, grid)
            hit = (where < unique_times.size) & (
                unique_times[np.minimum(where, unique_times.size - 1)] == grid
            )
            recorded[where[hit]] = rows[hit, 1:]
            start = stop
            changed_at_end = self._apply_changes(changes, stop) and stop == end
        if changed_at_end:
            recorded[-1] = self._current(selected)  # right-continuous inputs at the last time
        return recorded[inverse]

    # ------------------------------------------------------------------ helpers
    def _checked_variables(self, variables: Sequence[str] | None) -> tuple[str, ...]:
        if variables is None:
            return self.model.state_names
        model = self.model
        allowed = (
            *model.state_names,
            *model.readout_names,
            *model.input_names,
            *model.parameter_names,
        )
        chosen = tuple(variables)
        for name in chosen:
            if name not in allowed:
                raise ValueError(
                    f"variables: unknown variable {name!r} for model {model.name}; "
                    f"allowed: states, readouts, inputs and parameters ({', '.join(allowed)})"
                )
        if not chosen:
            raise ValueError("variables: at least one variable is required")
        return chosen

    def _select(self, selected: tuple[str, ...]) -> None:
        if selected != self._selections:
            self.runner.timeCourseSelections = ["time", *selected]
            self._selections = selected

    def _current(self, selected: tuple[str, ...]) -> npt.NDArray[np.float64]:
        return np.array([self.runner.getValue(name) for name in selected], dtype=float)

    def _apply_changes(self, changes: list[tuple[float, dict[str, float]]], time: float) -> bool:
        """Set the inputs that change at ``time``; True if any did."""
        updates: dict[str, float] = {}
        while changes and changes[0][0] == time:
            updates.update(changes.pop(0)[1])
        if updates:
            index = np.array([self._input_index[n] for n in updates], dtype=np.int32)
            self.runner.model.setGlobalParameterValues(
                index, np.asarray(list(updates.values()), dtype=float)
            )
        return bool(updates)


def simulate_roadrunner(
    model: OdeModel,
    output_times: npt.ArrayLike,
    parameters: Mapping[str, float] | None = None,
    initial_state: Mapping[str, float] | None = None,
    input_segments: InputSegments = (),
    *,
    variables: Sequence[str] | None = None,
) -> npt.NDArray[np.float64]:
    """One libRoadRunner simulation: states at ``output_times``, shape ``(len(times), n_states)``.

    Loads the model each call; loop with :class:`RoadRunnerSimulator` instead.

    Example
    -------
    >>> import numpy as np
    >>> from hpatwin.model.catalogue import get_model
    >>> out = simulate_roadrunner(get_model("sriram2012"), np.arange(0.0, 48.0, 1.0))
    >>> out.shape
    (48, 4)
    """
    return RoadRunnerSimulator(model).run(
        parameters, initial_state, output_times, input_segments, variables=variables
    )


def normalised_input_segments(
    model: OdeModel, input_segments: InputSegments
) -> list[tuple[float, dict[str, float]]]:
    """Checked change points sorted by time (stable: later entries win at equal times).

    Example
    -------
    >>> from hpatwin.model.catalogue import get_model
    >>> gupta = get_model("gupta2007")
    >>> normalised_input_segments(gupta, [(1, {"stress_f": 0}), (0, {"stress_f": 1})])
    [(0.0, {'stress_f': 1.0}), (1.0, {'stress_f': 0.0})]
    >>> normalised_input_segments(gupta, [(-1.0, {"stress_f": 1.0})])
    Traceback (most recent call last):
    ...
    ValueError: input_segments[0]: time -1.0 is outside the allowed range [0, inf)
    """
    checked: list[tuple[float, dict[str, float]]] = []
    for position, segment in enumerate(input_segments):
        try:
            time, updates = segment
        except (TypeError, ValueError):
            raise ValueError(
                f"input_segments[{position}]: {segment!r} is not a (time, {{input: value}}) pair"
            ) from None
        number = float(time)
        if not math.isfinite(number) or number < 0.0:
            raise ValueError(
                f"input_segments[{position}]: time {time!r} is outside the allowed range [0, inf)"
            )
        if not isinstance(updates, Mapping):
            raise ValueError(
                f"input_segments[{position}]: {updates!r} is not a mapping of input names to values"
            )
        values = checked_inputs(model, updates)
        checked.append((number, {name: values[name] for name in updates}))
    checked.sort(key=lambda item: item[0])
    return checked


def _checked_output_times(output_times: npt.ArrayLike) -> npt.NDArray[np.float64]:
    times = np.asarray(output_times, dtype=float)
    if times.ndim != 1 or times.size == 0:
        raise ValueError(
            f"output_times: expected a non-empty 1-D array of times, got shape {times.shape}"
        )
    if not np.all(np.isfinite(times)):
        raise ValueError("output_times: every time must be finite")
    if times[0] < 0.0:
        raise ValueError(
            f"output_times: first time {times[0]:g} is outside the allowed range [0, inf)"
        )
    if np.any(np.diff(times) < 0.0):
        raise ValueError("output_times: times must be sorted (non-decreasing)")
    return times


def _check_positive(field: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{field}: {value!r} is outside the allowed range (0, inf)")
