"""``hpatwin.simulate``: the front door, one call for one patient or a batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from hpatwin.engine.api import ParameterValues
from hpatwin.engine.inputs import InputValue
from hpatwin.model.definition import OdeModel
from hpatwin.simulation.engines import EngineName, engine_named
from hpatwin.simulation.scenario import Scenario, StartPolicy, run_scenario


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
    start: StartPolicy = "steady",
    engine: EngineName = "jax",
    dtype: str = "float64",
    patient_offset: int = 0,
    variables: Sequence[str] | None = None,
    slow_dt: float | None = None,
    integrator: str = "rk4",
) -> xr.Dataset:
    """Simulate one patient or a batch and return states and readouts with units.

    A convenience over :class:`~hpatwin.simulation.Scenario` (what to simulate) and an
    engine object (how); compose those directly for anything repeated.

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
        parameters; ``"onset"``: settled with the condition knobs (the model's
        ``defaults.onset_values``) at healthy values, so the run shows the condition
        developing; ``"given"``: exactly at ``initial_state`` (defaults elsewhere).
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
    integrator:
        JAX engine: ``"rk4"`` (classical) or ``"exponential_rk4"`` (Lawson's
        integrating-factor RK4: each state's linear decay solved exactly, so the fast
        hormones take long steps; the cohort configuration, docs/engine.md).

    Example
    -------
    >>> import hpatwin
    >>> ds = hpatwin.simulate("hpa_core", days=2, seed=3)
    >>> float(ds["salivary_cortisol_nmol_l"].sel(time=1440 + 8 * 60).squeeze()) > 2.8
    True
    """
    scenario = Scenario(
        model=model,
        days=days,
        duration=duration,
        phenotype=phenotype,
        parameters=dict(parameters or {}),
        initial_state=dict(initial_state or {}),
        inputs=dict(inputs or {}),
        plan=plan,
        ablate=[ablate] if isinstance(ablate, str) else list(ablate),
        n_patients=n_patients,
        dt=dt,
        output_every=output_every,
        seed=seed,
        pulses=pulses,
        start=start,
        patient_offset=patient_offset,
        record=None if variables is None else list(variables),
    )
    return run_scenario(scenario, engine_named(engine, dtype, slow_dt, integrator))
