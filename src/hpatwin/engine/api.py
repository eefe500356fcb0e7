"""``simulate``: one call for one patient or a batch, returning a labelled xarray Dataset."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hpatwin.engine.inputs import InputValue, LognormalPulses, PulseTrain, Schedule
from hpatwin.engine.jax_engine import run_jax, run_jax_recorded
from hpatwin.engine.prepared import PreparedRun, prepare_run
from hpatwin.engine.scipy_engine import run_scipy
from hpatwin.model.catalogue import get_model
from hpatwin.model.definition import OdeModel
from hpatwin.model.phenotypes import get_phenotype

EngineName = Literal["jax", "scipy"]
ParameterValues = Mapping[str, float | Sequence[float] | NDArray[np.float64]]

#: (integration step, output interval) defaults in each model's own time unit
DEFAULT_STEPS: dict[str, tuple[float, float]] = {
    "hpa_core": (1.0, 10.0),
    "karin2020": (1.0, 10.0),
    "bangsgaard2017": (1.0, 10.0),
    "gupta2007": (0.002, 0.1),
    "sriram2012": (0.01, 0.5),
}

#: Parameters a phenotype's condition sets; an ``onset`` start settles with them at these values.
ONSET_VALUES: dict[str, float] = {
    "tissue_nociception": 1.0,
    "depression_vulnerability": 0.0,
    "trigger_point_predisposition": 0.0,
}
#: Events that never belong in a warm-up (an injury is a moment, not a steady condition).
WARMUP_EXCLUDED_VALUES: dict[str, float] = {"injury_nociception": 0.0}
#: States whose presence marks a model with the HPA core (it then starts on its steady state).
HPA_STATES = ("crh", "acth", "cortisol", "pituitary_mass", "adrenal_mass", "gr_sensitivity")
WARMUP_ACCELERATION = 10.0
WARMUP_FAST_DAYS = 60.0
WARMUP_SETTLE_DAYS = 20.0
#: The warm-up runs in windows of this many days (phase lengths are multiples of it).
WARMUP_WINDOW_DAYS = 5.0


def run_prepared(
    run: PreparedRun, engine: EngineName = "jax", dtype: str = "float64"
) -> NDArray[np.float64]:
    """Integrate a prepared run with the chosen engine."""
    if engine == "jax":
        return run_jax(run, dtype)
    if engine == "scipy":
        return run_scipy(run)
    raise ValueError(f"engine: {engine!r} is not one of 'jax', 'scipy'")


def simulate(
    model: str | OdeModel = "hpa_core",
    *,
    days: float | None = None,
    duration: float | None = None,
    phenotype: str | None = None,
    parameters: ParameterValues | None = None,
    initial_state: ParameterValues | None = None,
    inputs: Mapping[str, InputValue] | None = None,
    ablate: Sequence[str] = (),
    plan: Any = None,
    n_patients: int | None = None,
    dt: float | None = None,
    output_every: float | None = None,
    seed: int = 0,
    pulses: bool = True,
    start: Literal["steady", "onset"] = "steady",
    engine: EngineName = "jax",
    dtype: str = "float64",
    patient_offset: int = 0,
    variables: Sequence[str] | None = None,
    slow_dt: float | None = None,
) -> xr.Dataset:
    """Simulate one patient or a batch and return states and readouts with units.

    Parameters
    ----------
    model:
        A built-in model name (see :func:`hpatwin.model_names`) or an :class:`OdeModel`.
    days, duration:
        Length of the run: ``days`` for minute-based models, or ``duration`` in the
        model's own time unit.
    phenotype:
        A named phenotype (``healthy``, ``chronic_pain``, ``comorbid``, ``gr_resistant``…).
    parameters, initial_state:
        Overrides by name: a number, or one value per patient.
    inputs:
        Input overrides: a number, per-patient values, a :class:`~hpatwin.engine.inputs.Schedule`
        or a pulse process.
    plan:
        A treatment plan (``hpatwin.treatments.TreatmentPlan``, a mapping, or a YAML/JSON
        path) compiled into the twin's treatment inputs and drug parameters.
    ablate:
        Pathways to switch off (their ``pathway_<name>`` gain set to 0); see
        :data:`hpatwin.model.pain_depression.PATHWAYS`.
    pulses:
        Seeded ultradian pulses where the model has them (``False``: deterministic).
    start:
        Models with an HPA core start on their steady rhythm: ``"steady"`` for the given
        parameters, or ``"onset"``: settled with the condition knobs (tissue nociception,
        depression vulnerability, trigger-point predisposition) at healthy values, so the
        run shows the condition developing.
    engine, dtype:
        ``"jax"`` (vectorised, default) or ``"scipy"`` (reference); JAX may run in float32.
    variables:
        Keep only these states and readouts (default: all). With the JAX engine the
        readouts are then computed inside the engine, so long cohort runs stay small.
    slow_dt:
        Multirate stepping (JAX engine): the model's slow states step every ``slow_dt``
        minutes, an even multiple of ``dt`` dividing ``output_every`` (default: ``dt``,
        one rate); 30 min is the setting docs/engine.md measures. The steady-state
        warm-up stays single-rate.

    Example
    -------
    >>> import hpatwin
    >>> ds = hpatwin.simulate("hpa_core", days=2, seed=3)
    >>> float(ds["salivary_cortisol_nmol_l"].sel(time=1440 + 8 * 60).squeeze()) > 2.8
    True
    """
    ode = get_model(model) if isinstance(model, str) else model
    duration = _duration(ode, days, duration)
    default_dt, default_output = DEFAULT_STEPS.get(ode.name, (1.0, 10.0))
    dt = default_dt if dt is None else dt
    output_every = default_output if output_every is None else output_every
    if start not in ("steady", "onset"):
        raise ValueError(f"start: {start!r} is not one of 'steady', 'onset'")
    if slow_dt is not None and engine != "jax":
        raise ValueError(f"slow_dt: multirate stepping needs engine='jax', not {engine!r}")

    params: dict[str, Any] = {}
    merged_inputs: dict[str, InputValue] = {}
    if phenotype is not None:
        pheno = get_phenotype(phenotype)
        missing = [
            n
            for n in [*pheno.parameters, *pheno.inputs]
            if n not in ode.parameter_names and n not in ode.input_names
        ]
        if missing:
            raise ValueError(
                f"phenotype: {phenotype!r} does not apply to model {ode.name} "
                f"(it sets {', '.join(missing)})"
            )
        params.update(pheno.parameters)
        merged_inputs.update(pheno.inputs)
    if plan is not None:
        plan_inputs, plan_parameters = _compile_plan(ode, plan, duration)
        merged_inputs.update(plan_inputs)
        params.update(plan_parameters)
    params.update(parameters or {})
    merged_inputs.update(inputs or {})
    params.update(ablation_parameters(ode, ablate))

    state = dict(initial_state or {})
    if "ultradian_pulse" in ode.input_names and pulses and "ultradian_pulse" not in merged_inputs:
        merged_inputs["ultradian_pulse"] = pulse_train_for(ode, params, seed)
    if has_hpa_core(ode) and not set(HPA_STATES) & set(state):
        warm_params = dict(params)
        warm_inputs = dict(merged_inputs)
        if start == "onset":
            warm_params.update({k: v for k, v in ONSET_VALUES.items() if k in ode.parameter_names})
            warm_inputs.pop("stress_input", None)
        steady = steady_state(
            ode,
            warm_params,
            warm_inputs,
            n_patients=n_patients,
            dt=dt,
            dtype=dtype,
        )
        state = {**steady, **state}

    run = prepare_run(
        ode,
        duration,
        parameters=params,
        initial_state=state,
        inputs=merged_inputs,
        n_patients=n_patients,
        dt=dt,
        output_every=output_every,
        patient_offset=patient_offset,
        seed=seed,
        slow_dt=slow_dt,
    )
    if variables is not None and engine == "jax":
        recorded = run_jax_recorded(run, list(variables), dtype)
        return to_dataset(run, recorded, engine=engine, phenotype=phenotype)
    states = run_prepared(run, engine, dtype)
    dataset = to_dataset(run, states, engine=engine, phenotype=phenotype)
    if variables is not None:
        unknown = sorted(set(variables) - set(dataset.data_vars))
        if unknown:
            raise ValueError(f"variables: unknown name(s) {', '.join(unknown)}")
        dataset = dataset[list(variables)]
    return dataset


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


def _compile_plan(
    ode: OdeModel, plan: Any, duration: float
) -> tuple[dict[str, InputValue], dict[str, float]]:
    from pathlib import Path

    from hpatwin.treatments import compile_plan, load_plan

    if ode.time_unit != "min":
        raise ValueError(f"plan: model {ode.name} is not minute-based")
    if isinstance(plan, str | Path):
        plan = load_plan(plan)
    compiled = compile_plan(plan, duration / 1440.0)
    missing = sorted(set(compiled.inputs) - set(ode.input_names))
    if missing:
        raise ValueError(
            f"plan: model {ode.name} has no treatment inputs ({', '.join(missing[:3])} …); "
            "use the twin"
        )
    return dict(compiled.inputs), dict(compiled.parameters)


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


def _duration(model: OdeModel, days: float | None, duration: float | None) -> float:
    if days is not None and duration is not None:
        raise ValueError("days/duration: give one of them, not both")
    if days is not None:
        if model.time_unit != "min":
            raise ValueError(
                f"days: model {model.name} runs in {model.time_unit}; give duration instead"
            )
        if not (isinstance(days, int | float) and math.isfinite(days) and days > 0):
            raise ValueError(f"days: {days!r} must be a positive number of days")
        return float(days) * 1440.0
    if duration is None:
        raise ValueError("days/duration: one of them is required")
    return float(duration)


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
    """Whether ``model`` contains the HPA core (and so starts on its steady rhythm)."""
    return set(HPA_STATES) <= set(model.state_names)


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
) -> dict[str, NDArray[np.float64]]:
    """State at midnight on the deterministic steady rhythm for these parameters.

    Slow states (gland masses, GR sensitivity and every state whose time constant
    is a ``*_time_constant_days``/``*_turnover_days`` parameter) settle over months, so
    the warm-up first runs with those time constants shortened ``WARMUP_ACCELERATION``-fold (the steady state
    does not depend on them), then at true speed. Ultradian noise is off and inputs
    given as schedules are held at their value at time 0. The step is ``dt`` but at
    least 2 min; ``dtype="float32"`` is the cohort configuration.
    ``fast_days``/``settle_days`` set the two phases and ``acceleration`` the first one's
    speed-up (≥ 1). The warm-up is always single-rate: multirate sampling of the
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
        **{k: v for k, v in WARMUP_EXCLUDED_VALUES.items() if k in model.parameter_names},
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
            )
            if accelerated:
                for index, parameter in enumerate(model.parameters):
                    if parameter.name.endswith(("_time_constant_days", "_turnover_days")):
                        window.parameters[index] /= acceleration
            final = run_jax(window, dtype)[-1]
            state = {n: final[i] for i, n in enumerate(model.state_names)}
    transient = {"dex_gut_mg", "dex_plasma_ng_ml", "crh_exogenous"}
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
