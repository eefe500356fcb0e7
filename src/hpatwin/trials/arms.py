"""Arms and their treatments: raw model inputs/parameters, or plans compiled by a resolver.

A treatment reaches the model in two ways: **inputs** (piecewise-constant in
time, one schedule shared by the arm) and **parameter overrides** (constant
over the run, possibly per patient, e.g. exposure changed by hepatic
impairment). Raw arms give both in the spec; ``plan:`` arms hand a plan file
to :func:`hpatwin.treatments.trial_resolver.resolve_trial_plan` (or a replacement
registered with :func:`register_plan_resolver`), which compiles it over the trial's
duration and returns a :class:`~hpatwin.treatments.trial_resolver.Treatment`.

Plans are resolved once, in the process that runs :func:`hpatwin.trials.run_trial`;
only plain data (schedules and numbers) travel to Dask workers, so workers
need no resolver.

Example
-------
>>> from hpatwin.trials.arms import ResolvedInput
>>> stress = ResolvedInput(mode="scale", changes=((1440.0, 0.5),))
>>> stress.for_baseline(2.0)
Schedule(changes=((0.0, 2.0), (1440.0, 1.0)))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hpatwin.engine.inputs import Schedule
from hpatwin.model.definition import OdeModel
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.treatments.trial_resolver import Treatment, resolve_trial_plan
from hpatwin.trials.spec import ArmSpec, TrialSpec

#: inputs an arm may not set (the runner owns them)
RESERVED_INPUTS = ("ultradian_pulse",)
MINUTES_PER_DAY = 1440.0


PlanResolver = Callable[[Path, OdeModel, pd.DataFrame, int], Treatment]
"""``resolver(plan_path, model, patients, duration_days) -> Treatment``; ``patients`` are the
arm's rows (population table: id, phenotype, covariates, parameters), ``duration_days`` the
trial's length (the horizon to compile the plan over). A resolver raises ``ValueError`` (one
problem per line) for a plan it cannot use."""

_RESOLVERS: list[PlanResolver] = []


def register_plan_resolver(resolver: PlanResolver) -> None:
    """Install a replacement for the function that compiles ``plan:`` arms.

    Example
    -------
    >>> register_plan_resolver(lambda path, model, patients, days: Treatment())
    >>> get_plan_resolver() is resolve_trial_plan
    False
    >>> clear_plan_resolver()
    """
    _RESOLVERS[:] = [resolver]


def clear_plan_resolver() -> None:
    """Remove a registered replacement (the treatments package's resolver is used again).

    Example
    -------
    >>> clear_plan_resolver(); len(_RESOLVERS)
    0
    """
    _RESOLVERS.clear()


def get_plan_resolver() -> PlanResolver:
    """The plan resolver in use: a registered replacement, else the treatments package's
    :func:`~hpatwin.treatments.trial_resolver.resolve_trial_plan`.

    Example
    -------
    >>> get_plan_resolver() is resolve_trial_plan
    True
    """
    return _RESOLVERS[0] if _RESOLVERS else resolve_trial_plan


@dataclass(frozen=True)
class ResolvedInput:
    """One input change of an arm, in model time (minutes).

    ``changes`` are ``(time, value)`` pairs; ``constant`` means one value for
    the whole run. In ``scale`` mode values multiply the patient's baseline.

    Example
    -------
    >>> ResolvedInput("set", ((0.0, 1.5),), constant=True).for_baseline(2.0)
    1.5
    """

    mode: Literal["set", "scale"]
    changes: tuple[tuple[float, float], ...]
    constant: bool = False

    def for_baseline(self, baseline: float) -> float | Schedule:
        """The absolute input for patients whose untreated value is ``baseline``.

        Before the first change time the baseline holds.

        Example
        -------
        >>> ResolvedInput("scale", ((0.0, 0.5),), constant=True).for_baseline(2.0)
        1.0
        """
        factor = baseline if self.mode == "scale" else 1.0
        values = [(time, value * factor) for time, value in self.changes]
        if self.constant:
            return values[0][1]
        if values[0][0] > 0:
            values.insert(0, (0.0, baseline))
        return Schedule.of(values)


@dataclass(frozen=True)
class ResolvedArm:
    """An arm ready to simulate: input changes and constant parameter overrides.

    Per-patient overrides from a plan live in the trial's patient table
    (columns ``treatment:<parameter>``).

    Example
    -------
    >>> arm = ResolvedArm("relief", 1, "", inputs={"stress_input": ResolvedInput(
    ...     "scale", ((0.0, 0.5),), constant=True)})
    >>> arm.group_inputs({"stress_input": 2.0})
    {'stress_input': 1.0}
    """

    name: str
    ratio: int
    description: str
    inputs: Mapping[str, ResolvedInput] = field(default_factory=dict)
    parameters: Mapping[str, float] = field(default_factory=dict)
    plan: str | None = None

    def group_inputs(self, baseline: Mapping[str, float]) -> dict[str, float | Schedule]:
        """Absolute inputs for patients with these baseline input values.

        Example
        -------
        >>> ResolvedArm("usual_care", 1, "").group_inputs({"stress_input": 2.0})
        {}
        """
        return {name: change.for_baseline(baseline[name]) for name, change in self.inputs.items()}


def baseline_inputs(model: OdeModel, phenotype: str | None) -> dict[str, float]:
    """Untreated input values of a phenotype (model defaults where it sets none).

    Example
    -------
    >>> from hpatwin.trials.models import resolve_model
    >>> baseline_inputs(resolve_model("hpa_core"), "chronic_stress")["stress_input"]
    2.0
    """
    values = {signal.name: signal.default for signal in model.inputs}
    if phenotype is not None:
        values.update(get_phenotype(phenotype).inputs)
    return values


def _check_input_name(model: OdeModel, arm: str, name: str) -> str | None:
    if name in RESERVED_INPUTS:
        return (
            f"arms.{arm}.inputs.{name}: set by the trial runner (seeded pulses); not an arm input"
        )
    if name not in model.input_names:
        return (
            f"arms.{arm}.inputs: unknown input {name!r} for model {model.name}; "
            f"known: {', '.join(n for n in model.input_names if n not in RESERVED_INPUTS)}"
        )
    return None


def _raw_arm(arm: ArmSpec, model: OdeModel) -> tuple[ResolvedArm, list[str]]:
    problems: list[str] = []
    inputs: dict[str, ResolvedInput] = {}
    for name, change in arm.inputs.items():
        problem = _check_input_name(model, arm.name, name)
        if problem:
            problems.append(problem)
            continue
        if change.schedule is not None:
            changes = tuple((day * MINUTES_PER_DAY, value) for day, value in change.schedule)
            inputs[name] = ResolvedInput(change.mode, changes)
        else:
            assert change.value is not None
            inputs[name] = ResolvedInput(change.mode, ((0.0, change.value),), constant=True)
    parameters: dict[str, float] = {}
    for name, value in arm.parameters.items():
        if name not in model.parameter_names:
            problems.append(
                f"arms.{arm.name}.parameters: unknown parameter {name!r} for model {model.name}"
            )
            continue
        try:
            parameters[name] = model.parameter(name).check(value)
        except ValueError as err:
            problems.append(f"arms.{arm.name}.parameters: {err}")
    resolved = ResolvedArm(
        arm.name, arm.ratio, arm.description, inputs=inputs, parameters=parameters
    )
    return resolved, problems


OUTSIDE_PLANS_ENV = "HPATWIN_ALLOW_OUTSIDE_PLANS"
"""Environment variable (``1``) that lets a spec's plan paths leave the spec's folder."""


def outside_plans_allowed() -> bool:
    """Whether plan paths may point outside the spec's folder.

    Example
    -------
    >>> outside_plans_allowed()
    False
    """
    return os.environ.get(OUTSIDE_PLANS_ENV, "") == "1"


def _plan_arm(
    arm: ArmSpec, spec: TrialSpec, model: OdeModel, patients: pd.DataFrame
) -> tuple[ResolvedArm, dict[str, NDArray[np.float64]], list[str]]:
    assert arm.plan is not None
    plan = arm.plan if arm.plan.is_absolute() or spec.base_dir is None else spec.base_dir / arm.plan
    resolver = get_plan_resolver()
    empty = ResolvedArm(arm.name, arm.ratio, arm.description, plan=str(plan))
    if spec.base_dir is not None and not outside_plans_allowed():
        target = plan.resolve()
        roots = (spec.base_dir.resolve(), Path.cwd().resolve())
        if not any(target.is_relative_to(root) for root in roots if root != Path(root.anchor)):
            return (
                empty,
                {},
                [
                    f"arms.{arm.name}.plan: {arm.plan} is outside the spec's folder and the working "
                    "folder; keep plans there or allow it with --allow-outside-plans "
                    f"({OUTSIDE_PLANS_ENV}=1)"
                ],
            )
    if not plan.is_file():
        return empty, {}, [f"arms.{arm.name}.plan: plan file {plan} does not exist"]
    try:
        treatment = resolver(plan, model, patients.reset_index(drop=True), spec.duration_days)
    except (ValueError, OSError, KeyError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        lines = [line for line in str(message).splitlines() if line.strip()] or [repr(err)]
        return empty, {}, [f"arms.{arm.name}.plan: {plan}: {line}" for line in lines]
    problems: list[str] = []
    inputs: dict[str, ResolvedInput] = {}
    for name, value in treatment.inputs.items():
        problem = _check_input_name(model, arm.name, name)
        if problem:
            problems.append(problem)
        elif isinstance(value, Schedule):
            inputs[name] = ResolvedInput("set", value.changes)
        else:
            inputs[name] = ResolvedInput("set", ((0.0, float(value)),), constant=True)
    constants: dict[str, float] = {}
    per_patient: dict[str, NDArray[np.float64]] = {}
    for name, raw in treatment.parameters.items():
        if name not in model.parameter_names:
            problems.append(f"arms.{arm.name}.plan: unknown parameter {name!r}")
            continue
        parameter = model.parameter(name)
        values = np.asarray(raw, dtype=np.float64)
        if values.ndim == 0:
            try:
                constants[name] = parameter.check(float(values))
            except ValueError as err:
                problems.append(f"arms.{arm.name}.plan: {err}")
            continue
        if values.shape != (len(patients),):
            problems.append(
                f"arms.{arm.name}.plan: parameter {name} has {values.shape} values for "
                f"{len(patients)} patients"
            )
            continue
        bad = ~np.isfinite(values) | (values < parameter.lower) | (values > parameter.upper)
        if bad.any():
            problems.append(
                f"arms.{arm.name}.plan: parameter {name} value {values[bad][0]!r} is outside "
                f"the allowed range {parameter.range_text()}"
            )
            continue
        per_patient[name] = values
    resolved = ResolvedArm(
        arm.name,
        arm.ratio,
        arm.description,
        inputs=inputs,
        parameters=constants,
        plan=str(plan),
    )
    return resolved, per_patient, problems


def resolve_arms(
    spec: TrialSpec, model: OdeModel, patients: pd.DataFrame
) -> tuple[dict[str, ResolvedArm], pd.DataFrame, list[str]]:
    """Resolve every arm; returns the arms, per-patient overrides and a list of problems.

    ``patients`` must carry an ``arm`` column. The overrides frame has one
    ``treatment:<parameter>`` column per per-patient override (NaN for
    patients of other arms), aligned with ``patients``.

    Example
    -------
    >>> import pandas as pd
    >>> from hpatwin.trials.spec import TrialSpec
    >>> from hpatwin.trials.models import resolve_model
    >>> spec = TrialSpec.model_validate({"name": "t", "population": {"size": 1},
    ...     "arms": [{"name": "a", "inputs": {"no_such_input": 1}}], "duration_days": 2,
    ...     "visits_days": [0, 1], "endpoints": ["cortisol_0800"]})
    >>> patients = pd.DataFrame({"patient_id": [0], "arm": ["a"]})
    >>> resolve_arms(spec, resolve_model("hpa_core"), patients)[2]
    ["arms.a.inputs: unknown input 'no_such_input' for model hpa_core; known: ..."]
    """
    arms: dict[str, ResolvedArm] = {}
    overrides = pd.DataFrame(index=patients.index)
    problems: list[str] = []
    for arm in spec.arms:
        if arm.plan is None:
            resolved, arm_problems = _raw_arm(arm, model)
        else:
            rows = patients[patients["arm"] == arm.name]
            resolved, per_patient, arm_problems = _plan_arm(arm, spec, model, rows)
            for name, values in per_patient.items():
                column = f"treatment:{name}"
                if column not in overrides:
                    overrides[column] = np.nan
                overrides.loc[rows.index, column] = values
        arms[arm.name] = resolved
        problems.extend(arm_problems)
    return arms, overrides, problems
