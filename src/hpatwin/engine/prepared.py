"""A validated, engine-independent description of one batch run.

:func:`prepare_run` turns user arguments (model, duration, per-patient
parameters, initial states and inputs) into arrays on a common "tick" grid:
every input is constant within a tick, every output time is a tick boundary,
and each tick is a whole number of integration steps. Both engines consume the
same :class:`PreparedRun`, so they integrate exactly the same problem.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hpatwin.engine.inputs import InputValue, LognormalPulses, PulseTrain, Schedule
from hpatwin.model.definition import OdeModel

_STEP_TOLERANCE = 1e-9
#: The JAX engine's integrators: classical RK4, and Lawson's integrating-factor RK4 that
#: solves each state's linear decay exactly (``OdeModel.linear_decay_rates``).
INTEGRATORS = ("rk4", "exponential_rk4")


@dataclass
class PreparedRun:
    """Arrays for one batch: ``n_patients`` columns, ``n_ticks`` piecewise-constant ticks."""

    model: OdeModel
    n_patients: int
    patient_indices: NDArray[np.int64]
    dt: float
    steps_per_tick: int
    ticks_per_output: int
    n_outputs: int
    parameters: NDArray[np.float64]  # (n_parameters, n_patients)
    initial_state: NDArray[np.float64]  # (n_states, n_patients)
    constant_inputs: dict[int, NDArray[np.float64]] = field(default_factory=dict)  # (n_patients,)
    series_inputs: dict[int, NDArray[np.float64]] = field(default_factory=dict)  # (n_ticks, 1|n)
    seed: int = 0
    #: parameters/constant inputs given one value per patient; the others hold one value for
    #: the batch, which the JAX engine passes as scalars (less memory traffic per step)
    varying_parameters: frozenset[int] | None = None
    varying_inputs: frozenset[int] | None = None
    #: integration steps per step of the model's slow states (1: one rate for all; see
    #: :func:`prepare_run`'s ``slow_dt`` and docs/engine.md)
    slow_steps: int = 1
    #: one of :data:`INTEGRATORS` (the JAX engine's step; the SciPy reference ignores it)
    integrator: str = "rk4"

    def parameter_varies(self, index: int) -> bool:
        """Whether parameter ``index`` was given per patient (``None``: assume all are)."""
        return self.varying_parameters is None or index in self.varying_parameters

    def input_varies(self, index: int) -> bool:
        """Whether constant input ``index`` was given per patient (``None``: assume all are)."""
        return self.varying_inputs is None or index in self.varying_inputs

    @property
    def tick(self) -> float:
        """Tick length in model time units."""
        return self.dt * self.steps_per_tick

    @property
    def n_ticks(self) -> int:
        """Number of ticks in the run."""
        return self.n_outputs * self.ticks_per_output

    @property
    def duration(self) -> float:
        """Simulated duration in model time units."""
        return self.n_ticks * self.tick

    def output_times(self) -> NDArray[np.float64]:
        """Output times including 0, shape ``(n_outputs + 1,)``."""
        return np.arange(self.n_outputs + 1, dtype=np.float64) * (self.ticks_per_output * self.tick)

    def inputs_at_ticks(self, tick_index: NDArray[np.int64]) -> NDArray[np.float64]:
        """Input values ``(n_inputs, len(tick_index), n_patients)`` in effect during given ticks."""
        n_inputs = len(self.model.inputs)
        out = np.empty((n_inputs, len(tick_index), self.n_patients))
        for i in range(n_inputs):
            if i in self.series_inputs:
                series = self.series_inputs[i]
                out[i] = np.broadcast_to(
                    series[np.clip(tick_index, 0, self.n_ticks - 1)],
                    (len(tick_index), self.n_patients),
                )
            else:
                out[i] = self.constant_inputs[i][None, :]
        return out


def _steps(value: float, dt: float, what: str) -> int:
    ratio = value / dt
    steps = round(ratio)
    if steps <= 0 or abs(ratio - steps) > _STEP_TOLERANCE * max(1.0, ratio):
        raise ValueError(f"{what}: {value:g} must be a positive whole multiple of dt = {dt:g}")
    return int(steps)


def _per_patient(
    values: float | Sequence[float] | NDArray[np.float64],
    n: int,
    what: str,
) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise ValueError(
            f"{what}: expected a number or {n} values (one per patient), got shape {array.shape}"
        )
    return array


def prepare_run(
    model: OdeModel,
    duration: float,
    *,
    parameters: Mapping[str, float | Sequence[float] | NDArray[np.float64]] | None = None,
    initial_state: Mapping[str, float | Sequence[float] | NDArray[np.float64]] | None = None,
    inputs: Mapping[str, InputValue] | None = None,
    n_patients: int | None = None,
    dt: float = 1.0,
    output_every: float = 10.0,
    patient_offset: int = 0,
    seed: int = 0,
    slow_dt: float | None = None,
    integrator: str = "rk4",
    series_dtype: str = "float64",
) -> PreparedRun:
    """Validate arguments and lay every input out on the tick grid.

    ``n_patients`` defaults to the length of any per-patient array given, else 1.
    ``slow_dt`` (default: ``dt``) is the step of the model's slow states in the JAX
    engine's multirate scheme: an even multiple of ``dt`` that divides ``output_every``.
    ``integrator``: one of :data:`INTEGRATORS` (docs/engine.md compares them).
    ``series_dtype``: the type pulse trains are drawn in (the engine's: a float32 run gets
    its 12-week pulse grid at half the memory, without a float64 copy first).
    Errors name the offending field and its allowed range.
    """
    parameters = dict(parameters or {})
    initial_state = dict(initial_state or {})
    inputs = dict(inputs or {})
    if not (isinstance(duration, int | float) and math.isfinite(duration) and duration > 0):
        raise ValueError(
            f"duration: {duration!r} must be a positive, finite number of {model.time_unit}"
        )
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt: {dt!r} must be positive")
    if not (math.isfinite(output_every) and output_every > 0):
        raise ValueError(f"output_every: {output_every!r} must be positive")
    if integrator not in INTEGRATORS:
        raise ValueError(f"integrator: {integrator!r} is not one of {', '.join(INTEGRATORS)}")

    lengths = {
        len(np.atleast_1d(np.asarray(v, dtype=float)))
        for v in [*parameters.values(), *initial_state.values()]
        if np.ndim(np.asarray(v, dtype=float)) == 1
    }
    lengths |= {
        len(np.asarray(v))
        for v in inputs.values()
        if not isinstance(v, Schedule | LognormalPulses | PulseTrain)
        and np.ndim(np.asarray(v)) == 1
    }
    if n_patients is None:
        if len(lengths) > 1:
            raise ValueError(
                f"parameters: per-patient arrays have different lengths {sorted(lengths)}"
            )
        n_patients = lengths.pop() if lengths else 1
    if n_patients < 1:
        raise ValueError(f"n_patients: {n_patients} must be ≥ 1")

    # parameters: check names and every value against the registry's allowed range
    param_rows = []
    varying_parameters = set()
    for index, p in enumerate(model.parameters):
        raw = parameters.pop(p.name, p.value)
        if np.ndim(raw) and n_patients > 1:
            varying_parameters.add(index)
        values = _per_patient(raw, n_patients, f"parameter {p.name}")
        bad = ~np.isfinite(values) | (values < p.lower) | (values > p.upper)
        if bad.any():
            first = values[bad][0]
            raise ValueError(
                f"parameter {p.name}: {first!r} is outside the allowed range {p.range_text()}"
            )
        param_rows.append(values)
    if parameters:
        unknown = ", ".join(sorted(parameters))
        raise ValueError(
            f"parameter: unknown name(s) {unknown} for model {model.name}; "
            f"known: {', '.join(model.parameter_names)}"
        )

    state_rows = []
    for s in model.states:
        values = _per_patient(
            initial_state.pop(s.name, s.initial), n_patients, f"initial state {s.name}"
        )
        if not np.isfinite(values).all():
            raise ValueError(f"initial state {s.name}: values must be finite")
        state_rows.append(values)
    if initial_state:
        raise ValueError(
            f"initial state: unknown state(s) {', '.join(sorted(initial_state))}; "
            f"known: {', '.join(model.state_names)}"
        )

    unknown_inputs = set(inputs) - set(model.input_names)
    if unknown_inputs:
        raise ValueError(
            f"input: unknown input(s) {', '.join(sorted(unknown_inputs))}; "
            f"known: {', '.join(model.input_names) or 'none'}"
        )

    # the tick: the largest step-multiple dividing every change time, noise bin and output step
    dt = float(dt)
    step_counts = [_steps(output_every, dt, "output_every")]
    total_steps = _steps(duration, dt, "duration")
    for name, value in inputs.items():
        if isinstance(value, Schedule):
            step_counts += [
                _steps(t, dt, f"input {name} change time") for t in value.change_times() if t > 0
            ]
        elif isinstance(value, LognormalPulses | PulseTrain):
            step_counts.append(_steps(value.bin_min, dt, f"input {name} bin_min"))
    steps_per_tick = math.gcd(*step_counts)
    output_steps = step_counts[0]
    if total_steps % output_steps:
        raise ValueError(
            f"duration: {duration:g} must be a whole multiple of output_every = {output_every:g}"
        )
    n_outputs = total_steps // output_steps
    slow_steps = 1
    if slow_dt is not None and not (math.isfinite(slow_dt) and slow_dt > 0):
        raise ValueError(f"slow_dt: {slow_dt!r} must be positive")
    if slow_dt is not None and not math.isclose(slow_dt, dt):
        slow_steps = _steps(slow_dt, dt, "slow_dt")
        if slow_steps % 2 or output_steps % slow_steps:
            raise ValueError(
                f"slow_dt: {slow_dt:g} must be an even multiple of dt = {dt:g} that divides "
                f"output_every = {output_every:g}"
            )
    ticks_per_output = output_steps // steps_per_tick
    n_ticks = n_outputs * ticks_per_output
    tick = dt * steps_per_tick
    tick_starts = np.arange(n_ticks) * tick

    indices = np.arange(patient_offset, patient_offset + n_patients, dtype=np.int64)
    constant: dict[int, NDArray[np.float64]] = {}
    series: dict[int, NDArray[np.float64]] = {}
    varying_inputs = set()
    for i, signal in enumerate(model.inputs):
        value = inputs.get(signal.name, signal.default)
        if isinstance(value, Schedule):
            for _, v in value.changes:
                signal.check(v)
            series[i] = value.values_at(tick_starts, signal.default)[:, None]
        elif isinstance(value, LognormalPulses | PulseTrain):
            n_bins = math.ceil(duration / value.bin_min)
            noise = value.sample(indices, n_bins, dtype=series_dtype)
            bin_of_tick = np.floor(tick_starts / value.bin_min + 1e-9).astype(np.int64)
            identity = len(bin_of_tick) == len(noise) and bool(
                (bin_of_tick == np.arange(len(noise))).all()
            )
            series[i] = noise if identity else noise[bin_of_tick]  # one tick per bin: no copy
        else:
            if np.ndim(value) and n_patients > 1:
                varying_inputs.add(i)
            values = _per_patient(value, n_patients, f"input {signal.name}")
            bad = ~np.isfinite(values) | (values < signal.lower) | (values > signal.upper)
            if bad.any():  # one vectorised test; the first offender gets the named error
                signal.check(values[bad][0])
            constant[i] = values
    return PreparedRun(
        model=model,
        n_patients=n_patients,
        patient_indices=indices,
        dt=dt,
        steps_per_tick=steps_per_tick,
        ticks_per_output=ticks_per_output,
        n_outputs=n_outputs,
        parameters=np.array(param_rows),
        initial_state=np.array(state_rows),
        constant_inputs=constant,
        series_inputs=series,
        seed=seed,
        varying_parameters=frozenset(varying_parameters),
        varying_inputs=frozenset(varying_inputs),
        slow_steps=slow_steps,
        integrator=integrator,
    )
