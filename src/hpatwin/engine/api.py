"""Engine-level building blocks of a run: the steady-state warm-up, pulse trains, ablations
and the labelled Dataset an engine's output becomes.

The front door, :func:`hpatwin.simulate`, composes these in :mod:`hpatwin.simulation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hpatwin.engine.inputs import InputValue, LognormalPulses, PulseTrain, Schedule
from hpatwin.engine.jax_engine import run_jax
from hpatwin.engine.prepared import PreparedRun, prepare_run
from hpatwin.model.definition import OdeModel

ParameterValues = Mapping[str, float | Sequence[float] | NDArray[np.float64]]

WARMUP_ACCELERATION = 10.0
WARMUP_FAST_DAYS = 60.0
WARMUP_SETTLE_DAYS = 20.0
#: The warm-up runs in windows of this many days (phase lengths are multiples of it).
WARMUP_WINDOW_DAYS = 5.0


def _all_variables(
    run: PreparedRun, states: NDArray[np.float64], times: NDArray[np.float64]
) -> dict[str, Any]:
    model = run.model
    data: dict[str, Any] = {}
    for i, s in enumerate(model.states):
        data[s.name] = (
            ("time", "patient"),
            states[:, i, :],
            {"units": s.unit, "long_name": s.description},
        )
    if model.readouts:
        tick_index = np.arange(run.n_outputs + 1, dtype=np.int64) * run.ticks_per_output
        inputs = run.inputs_at_ticks(tick_index)
        values = model.compiled("numpy").readouts(
            times[:, None],
            [states[:, i, :] for i in range(len(model.states))],
            [row[None, :] for row in run.parameters],
            [inputs[i] for i in range(len(model.inputs))],
        )
        for r, value in zip(model.readouts, values, strict=True):
            data[r.name] = (
                ("time", "patient"),
                np.broadcast_to(np.asarray(value, dtype=float), states[:, 0, :].shape).copy(),
                {"units": r.unit, "long_name": r.description},
            )
    return data


def ablation_parameters(model: OdeModel, pathways: Sequence[str]) -> dict[str, float]:
    """``pathway_<name>`` = 0 for each named pathway; unknown names list the known ones."""
    if isinstance(pathways, str):
        pathways = [pathways]
    known = [n.removeprefix("pathway_") for n in model.parameter_names if n.startswith("pathway_")]
    out = {}
    for name in pathways:
        if name not in known:
            raise ValueError(
                f"ablate: unknown pathway {name!r} for model {model.name}; "
                f"known: {', '.join(known) or 'none'}"
            )
        out[f"pathway_{name}"] = 0.0
    return out


#: Parameters of the seeded ultradian pulse train, read by :func:`pulse_train_for`.
PULSE_PARAMETERS = (
    "ultradian_pulse_interval_min",
    "ultradian_pulse_duration_min",
    "ultradian_basal_fraction",
    "ultradian_interval_cv",
    "ultradian_amplitude_sigma",
    "ultradian_bin_min",
)


def has_hpa_core(model: OdeModel) -> bool:
    """Whether ``model`` starts on its steady rhythm (models with the HPA core declare it
    in :attr:`~hpatwin.model.definition.SimulationDefaults.steady_start`)."""
    return model.defaults.steady_start


def pulse_train_for(model: OdeModel, params: Mapping[str, Any], seed: int) -> PulseTrain:
    """The seeded pulse train of ``model`` for these (batch-constant) parameter values."""
    values = []
    for name in PULSE_PARAMETERS:
        raw = np.asarray(params.get(name, model.parameter(name).value), dtype=float)
        if raw.ndim and not np.all(raw == raw.flat[0]):
            raise ValueError(f"parameter {name}: must be the same for every patient in a batch")
        values.append(model.parameter(name).check(float(raw.flat[0])))
    interval, duration, basal, cv, sigma, bin_min = values
    return PulseTrain(interval, duration, basal, cv, sigma, bin_min=bin_min, seed=seed)


def steady_state(
    model: OdeModel,
    parameters: ParameterValues,
    inputs: Mapping[str, InputValue] | None = None,
    *,
    n_patients: int | None = None,
    dt: float = 1.0,
    dtype: str = "float64",
    fast_days: float = WARMUP_FAST_DAYS,
    settle_days: float = WARMUP_SETTLE_DAYS,
    acceleration: float = WARMUP_ACCELERATION,
    integrator: str = "rk4",
) -> dict[str, NDArray[np.float64]]:
    """State at midnight on the deterministic steady rhythm for these parameters.

    Slow states (gland masses, GR sensitivity and every state whose time constant
    is a ``*_time_constant_days``/``*_turnover_days`` parameter) settle over months, so
    the warm-up first runs with those time constants shortened ``WARMUP_ACCELERATION``-fold (the steady state
    does not depend on them), then at true speed. Ultradian noise is off and inputs
    given as schedules are held at their value at time 0. The step is ``dt`` but at
    least 2 min; ``dtype="float32"`` is the cohort configuration.
    ``fast_days``/``settle_days`` set the two phases and ``acceleration`` the first one's
    speed-up (≥ 1); ``integrator`` the JAX engine's step (``rk4``, ``exponential_rk4``).
    The warm-up is always single-rate: multirate sampling of the
    accelerated slow states shifts steady states (docs/engine.md). (Starting from a nearby guess
    does not shorten them: the layer can be bistable, and the untreated steady
    state is defined as the one reached from the healthy default.)
    """
    constant_inputs: dict[str, InputValue] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, LognormalPulses | PulseTrain):
            continue
        constant_inputs[name] = (
            value.value_at(0.0, model.input_signal(name).default)
            if isinstance(value, Schedule)
            else value
        )
    parameters = {
        **parameters,
        **model.defaults.warmup_excluded,
    }
    if not (math.isfinite(acceleration) and acceleration >= 1):
        raise ValueError(f"acceleration: {acceleration!r} must be a finite number ≥ 1")
    warm_dt = max(dt, 2.0)
    for name, days in (("fast_days", fast_days), ("settle_days", settle_days)):
        windows = days / WARMUP_WINDOW_DAYS
        if not (windows >= 1 and abs(windows - round(windows)) < 1e-9):
            raise ValueError(
                f"{name}: {days:g} must be a positive multiple of {WARMUP_WINDOW_DAYS:g} days"
            )
    # both phases run in windows of the same length, so they share one compiled program
    # (only parameter values differ); whole days keep the circadian phase
    state: dict[str, Any] = {}
    for accelerated, days in ((True, fast_days), (False, settle_days)):
        for _ in range(round(days / WARMUP_WINDOW_DAYS)):
            window = prepare_run(
                model,
                WARMUP_WINDOW_DAYS * 1440,
                parameters=parameters,
                inputs=constant_inputs,
                n_patients=n_patients,
                dt=warm_dt,
                output_every=1440.0 * WARMUP_WINDOW_DAYS,
                initial_state=state,
                integrator=integrator,
            )
            if accelerated:
                for index, parameter in enumerate(model.parameters):
                    if parameter.name.endswith(("_time_constant_days", "_turnover_days")):
                        window.parameters[index] /= acceleration
            final = run_jax(window, dtype)[-1]
            if not np.isfinite(final).all():
                raise ValueError(
                    f"dt: the warm-up is unstable at a {warm_dt:g}-min step with integrator "
                    f"{integrator!r} (the solution became non-finite); use a smaller step "
                    "or integrator 'exponential_rk4'"
                )
            state = {n: final[i] for i, n in enumerate(model.state_names)}
    transient = set(model.defaults.transient_states)
    # Every state is a concentration, amount, mass or level. At the cohort step RK4 can
    # undershoot a fast hormone (CRH, ACTH) below zero at the circadian nadir; the steady state
    # handed on is the physical one (negatives clipped to 0), and the start checks refuse less.
    final = np.maximum(final, 0.0)
    return {n: final[i] for i, n in enumerate(model.state_names) if n not in transient}


def to_dataset(
    run: PreparedRun,
    states: NDArray[np.float64] | Mapping[str, NDArray[np.float64]],
    *,
    engine: str,
    phenotype: str | None = None,
) -> xr.Dataset:
    """Wrap engine output as an xarray Dataset: states and readouts over (time, patient).

    ``states`` is either every state ``(n_outputs + 1, n_states, n_patients)`` (readouts
    are then computed here) or recorded variables by name, each ``(n_outputs + 1, n_patients)``.
    """
    model = run.model
    times = run.output_times()
    coords: dict[str, Any] = {
        "time": ("time", times, {"units": model.time_unit, "long_name": "time since start"}),
        "patient": ("patient", run.patient_indices, {"long_name": "patient index"}),
    }
    if model.time_unit == "min":
        coords["time_day"] = (
            "time",
            times / 1440.0,
            {"units": "d", "long_name": "time since start"},
        )
    data: dict[str, Any] = {}
    described = {s.name: (s.unit, s.description) for s in model.states}
    described |= {r.name: (r.unit, r.description) for r in model.readouts}
    if isinstance(states, Mapping):
        for name, values in states.items():
            unit, description = described[name]
            data[name] = (("time", "patient"), values, {"units": unit, "long_name": description})
    else:
        data = _all_variables(run, states, times)
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "model": model.name,
            "model_title": model.title,
            "citation": model.citation,
            "engine": engine,
            "dt": run.dt,
            "seed": run.seed,
            "phenotype": phenotype or "",
            "time_unit": model.time_unit,
        },
    )
