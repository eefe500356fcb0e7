"""The simulation contract: a :class:`Scenario` says what to simulate, an engine how.

A scenario names the model, its parameters, inputs or treatment plan, the start policy
and what to record; :func:`run_scenario` resolves it against the model's own metadata
(:class:`~hpatwin.model.definition.SimulationDefaults`: steps, warm-up, onset values) and
returns the labelled Dataset. Trials, cohorts, calibrations, experiments and the patient
twin compose these pieces; :func:`hpatwin.simulate` is the front door over them.

Example
-------
>>> from hpatwin.simulation import Scenario, run_scenario
>>> ds = run_scenario(Scenario("hpa_core", days=1, pulses=False))
>>> ds.attrs["model"], ds.attrs["start"]
('hpa_core', 'steady')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from hpatwin.engine.api import (
    ParameterValues,
    ablation_parameters,
    has_hpa_core,
    pulse_train_for,
    steady_state,
    to_dataset,
)
from hpatwin.engine.inputs import InputValue
from hpatwin.engine.prepared import PreparedRun, prepare_run
from hpatwin.errors import InputError
from hpatwin.model.catalogue import get_model
from hpatwin.model.definition import OdeModel
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.simulation.engines import Engine, JaxEngine
from hpatwin.simulation.provenance import provenance_attributes
from hpatwin.treatments import compile_plan, load_plan

#: How a run starts: on the steady rhythm for its parameters, settled with the condition
#: knobs at healthy values (``onset``), or exactly at the given initial state.
StartPolicy = Literal["steady", "onset", "given"]
START_POLICIES: tuple[str, ...] = ("steady", "onset", "given")
PULSE_INPUT = "ultradian_pulse"


@dataclass(frozen=True)
class Scenario:
    """What to simulate: model, patients, treatments, start and what to record.

    ``days`` (minute-based models) or ``duration`` (the model's own unit) sets the length;
    ``dt``/``output_every`` default to the model's metadata. ``parameters`` and
    ``initial_state`` map names to one value or one per patient; ``inputs`` to a value,
    a schedule or a pulse process; ``plan`` is a treatment plan (object, mapping or file);
    ``ablate`` names pathways to switch off; ``record`` keeps only these variables.
    """

    model: str | OdeModel = "hpa_core"
    days: float | None = None
    duration: float | None = None
    phenotype: str | None = None
    parameters: ParameterValues = field(default_factory=dict)
    initial_state: ParameterValues = field(default_factory=dict)
    inputs: Mapping[str, InputValue] = field(default_factory=dict)
    plan: Any = None
    ablate: Sequence[str] = ()
    n_patients: int | None = None
    dt: float | None = None
    output_every: float | None = None
    seed: int = 0
    pulses: bool = True
    start: StartPolicy = "steady"
    patient_offset: int = 0
    record: Sequence[str] | None = None

    def ode(self) -> OdeModel:
        """The model object."""
        return get_model(self.model) if isinstance(self.model, str) else self.model

    def length(self) -> float:
        """Run length in the model's time unit."""
        return run_length(self.ode(), self.days, self.duration)


def run_length(model: OdeModel, days: float | None, duration: float | None) -> float:
    """Length of a run in the model's time unit from ``days`` or ``duration`` (one of them).

    Example
    -------
    >>> run_length(get_model("hpa_core"), 2, None)
    2880.0
    """
    if days is not None and duration is not None:
        raise InputError("give one of them, not both", field="days/duration")
    if days is not None:
        if model.time_unit != "min":
            raise InputError(
                f"model {model.name} runs in {model.time_unit}; give duration instead",
                field="days",
            )
        if not (isinstance(days, int | float) and math.isfinite(days) and days > 0):
            raise InputError(f"{days!r} must be a positive number of days", field="days",
                             allowed="> 0")
        return float(days) * 1440.0
    if duration is None:
        raise InputError("one of them is required", field="days/duration")
    if not (isinstance(duration, int | float) and math.isfinite(duration) and duration > 0):
        raise InputError(f"{duration!r} must be positive", field="duration", allowed="> 0")
    return float(duration)


def _phenotype_settings(
    ode: OdeModel, phenotype: str | None
) -> tuple[dict[str, Any], dict[str, InputValue]]:
    if phenotype is None:
        return {}, {}
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
    return dict(pheno.parameters), dict(pheno.inputs)


def _plan_settings(
    ode: OdeModel, plan: Any, duration: float
) -> tuple[dict[str, InputValue], dict[str, float]]:
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


def resolve(scenario: Scenario, engine: Engine | None = None) -> PreparedRun:
    """A scenario made concrete: parameters, inputs, start state and steps, ready to run.

    Example
    -------
    >>> run = resolve(Scenario("hpa_core", days=1, pulses=False))
    >>> run.dt, run.n_patients
    (1.0, 1)
    """
    chosen: Engine = engine or JaxEngine()
    ode = scenario.ode()
    duration = scenario.length()
    if scenario.start not in START_POLICIES:
        raise InputError(
            f"{scenario.start!r} is not a start policy", field="start",
            allowed=", ".join(START_POLICIES),
        )
    defaults = ode.defaults
    dt = defaults.time_step if scenario.dt is None else scenario.dt
    output_every = defaults.output_every if scenario.output_every is None else scenario.output_every

    params, inputs = _phenotype_settings(ode, scenario.phenotype)
    if scenario.plan is not None:
        plan_inputs, plan_parameters = _plan_settings(ode, scenario.plan, duration)
        inputs.update(plan_inputs)
        params.update(plan_parameters)
    params.update(scenario.parameters)
    inputs.update(scenario.inputs)
    params.update(ablation_parameters(ode, scenario.ablate))

    state = {name: _non_negative_state(name, given) for name, given in scenario.initial_state.items()}
    if PULSE_INPUT in ode.input_names and scenario.pulses and PULSE_INPUT not in inputs:
        inputs[PULSE_INPUT] = pulse_train_for(ode, params, scenario.seed)
    if _needs_warmup(ode, scenario.start, state):
        warm_params: dict[str, Any] = dict(params)
        warm_inputs: dict[str, InputValue] = dict(inputs)
        if scenario.start == "onset":
            warm_params, warm_inputs = onset_settings(ode, warm_params, warm_inputs)
        steady = steady_state(
            ode, warm_params, warm_inputs, n_patients=scenario.n_patients, dt=dt,
            dtype=getattr(chosen, "dtype", "float64"),
            integrator=getattr(chosen, "integrator", "rk4"),
        )
        state = {**steady, **state}
    return prepare_run(
        ode,
        duration,
        parameters=params,
        initial_state=state,
        inputs=inputs,
        n_patients=scenario.n_patients,
        dt=dt,
        output_every=output_every,
        patient_offset=scenario.patient_offset,
        seed=scenario.seed,
        **chosen.prepare_options(),
    )


#: inputs a phenotype raises as part of its condition; an ``onset`` warm-up holds them at
#: the model's defaults (chronic stress develops during the run like the rest)
CONDITION_INPUTS = ("stress_input",)


def onset_settings(
    ode: OdeModel, parameters: Mapping[str, Any], inputs: Mapping[str, InputValue]
) -> tuple[dict[str, Any], dict[str, InputValue]]:
    """Parameters and inputs of an ``onset`` warm-up: the model's condition knobs
    (``defaults.onset_values``) at healthy values and the condition inputs
    (:data:`CONDITION_INPUTS`) at their defaults; everything else as given. The one
    definition of the onset start, shared by :func:`resolve` and the trial runner.

    Example
    -------
    >>> params, inputs = onset_settings(get_model("twin"), {"tissue_nociception": 3.0,
    ...                                 "cortisol_half_life_min": 70.0}, {"stress_input": 2.0})
    >>> params["tissue_nociception"], params["cortisol_half_life_min"], inputs
    (1.0, 70.0, {})
    """
    warm_parameters = {**parameters, **ode.defaults.onset_values}
    warm_inputs = {name: v for name, v in inputs.items() if name not in CONDITION_INPUTS}
    return warm_parameters, warm_inputs


def _needs_warmup(ode: OdeModel, start: str, state: Mapping[str, Any]) -> bool:
    if start == "given" or not has_hpa_core(ode):
        return False
    # a caller who sets the model's start states has chosen the start (older callers)
    return not set(ode.defaults.start_states) & set(state)


#: a state below zero by at most this much is rounding noise of a float32 steady state (clipped to
#: 0); anything more negative is refused: every model state is a concentration, amount, mass or level
NEGATIVE_STATE_TOLERANCE = 1e-4


def _non_negative_state(name: str, given: Any) -> Any:
    values = np.asarray(given, dtype=np.float64)
    if (values < -NEGATIVE_STATE_TOLERANCE).any():
        raise ValueError(f"initial state {name}: negative values are not allowed (a state is >= 0)")
    if (values < 0).any():
        return np.clip(values, 0.0, None) if values.ndim else 0.0
    return given


def run_scenario(scenario: Scenario, engine: Engine | None = None) -> xr.Dataset:
    """Simulate a scenario with an engine (default: JAX, float64) -> labelled Dataset.

    The Dataset carries units per variable and provenance in its attributes (hpatwin
    version, model, overridden parameters, ablations, plan name and hash, seed, engine).

    Example
    -------
    >>> from hpatwin.simulation import ScipyEngine
    >>> ds = run_scenario(Scenario("hpa_core", days=1, pulses=False), ScipyEngine())
    >>> ds.attrs["engine"], ds["plasma_cortisol_nmol_l"].attrs["units"]
    ('scipy', 'nmol/L')
    """
    chosen: Engine = engine or JaxEngine()
    run = resolve(scenario, chosen)
    record = scenario.record
    recorded = chosen.integrate_recorded(run, record) if record is not None else None
    if recorded is not None:
        dataset = to_dataset(run, recorded, engine=chosen.name, phenotype=scenario.phenotype)
    else:
        dataset = to_dataset(
            run, chosen.integrate(run), engine=chosen.name, phenotype=scenario.phenotype
        )
        if record is not None:
            unknown = sorted(set(record) - set(dataset.data_vars))
            if unknown:
                raise ValueError(f"variables: unknown name(s) {', '.join(unknown)}")
            dataset = dataset[list(record)]
    dataset.attrs.update(provenance_attributes(scenario, run, chosen.settings()))
    return dataset
