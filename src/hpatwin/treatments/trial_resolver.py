"""The plan resolver of in-silico trials: a ``plan:`` arm's YAML → inputs and per-patient exposure.

:func:`resolve_trial_plan` is what :mod:`hpatwin.trials` uses for ``plan:`` arms, so a
trial spec can give an arm as
``{name: ea_2hz, plan: ../plans/ea_2hz.yaml}`` (relative to the spec file). For each such arm
the trial runner calls ``resolve_trial_plan(path, model, patients, duration_days)`` once; it

1. loads and validates the plan (:func:`~hpatwin.treatments.load_plan`);
2. compiles it over the trial's duration (:func:`~hpatwin.treatments.compile_plan`): one set of
   input schedules shared by the arm;
3. checks the model has every input the plan drives (a plan on ``hpa_core`` is rejected, naming
   the plan entries that need the missing inputs; inputs the plan leaves at 0 are dropped);
4. gives each patient its own ``<drug>_clearance_factor`` from its covariates
   (:func:`patient_factors`: age, sex, pregnancy trimester, hepatic impairment, renal impairment
   → creatinine clearance), so hepatic or renal impairment raises drug exposure. When every
   patient of the arm gets the same factor it is returned as one number.

Co-medication columns do not change exposure: the drug catalogue holds no interaction data.

Example
-------
>>> import pandas as pd
>>> from pathlib import Path
>>> from hpatwin.model.catalogue import get_model
>>> patients = pd.DataFrame({"patient_id": [0, 1], "age_years": [40.0, 40.0],
...     "sex": ["female", "male"], "pregnancy_trimester": [0, 0],
...     "hepatic_impairment": ["none", "moderate"], "renal_impairment": ["none", "none"]})
>>> plan = Path("examples/plans/duloxetine_30_to_60.yaml")
>>> treatment = resolve_trial_plan(plan, get_model("twin"), patients, duration_days=14)
>>> treatment.parameters["duloxetine_clearance_factor"].tolist()
[1.0, 0.15]
>>> treatment.inputs["duloxetine_dose_rate_mg_per_min"].changes[:3]
((0.0, 0.0), (480.0, 3.0), (490.0, 0.0))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ValidationError

from hpatwin.data.drugs import CLEARANCE_FACTOR_BOUNDS
from hpatwin.engine.inputs import Schedule
from hpatwin.io.documents import validation_messages
from hpatwin.model.definition import OdeModel
from hpatwin.treatments.compile import (
    CompiledPlan,
    compile_plan,
    dose_rate_input,
    session_input_values,
)
from hpatwin.treatments.patient import PatientFactors
from hpatwin.treatments.plan import PlanError, TreatmentPlan, load_plan


@dataclass(frozen=True)
class Treatment:
    """What a plan compiles to: input schedules and parameter overrides.

    ``inputs`` hold absolute values in the model's time unit (minutes);
    ``parameters`` hold a number, or one value per patient row given to the
    resolver (same order).

    Example
    -------
    >>> from hpatwin.engine.inputs import Schedule
    >>> Treatment(inputs={"stress_input": Schedule.of([(1440, 1.5)])}).parameters
    {}
    """

    inputs: Mapping[str, float | Schedule] = field(default_factory=dict)
    parameters: Mapping[str, float | NDArray[np.float64]] = field(default_factory=dict)


RENAL_IMPAIRMENT_CRCL_ML_MIN: dict[str, float | None] = {
    "none": None,
    "mild": 75.0,
    "moderate": 45.0,
    "severe": 20.0,
}
"""Creatinine clearance (mL/min) standing for each renal-impairment category of a trial population:
the midpoints of the usual bands (mild 60–89, moderate 30–59, severe 15–29 mL/min; FDA renal
impairment guidance, assumption). ``none`` means normal renal function."""


def _cell(row: Mapping[Any, Any], name: str, default: Any) -> Any:
    value = row.get(name, default)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return value


def patient_factors(row: Mapping[Any, Any]) -> PatientFactors:
    """A trial patient's exposure covariates as :class:`PatientFactors`.

    Reads ``age_years``, ``sex``, ``pregnancy_trimester`` (else ``pregnant`` → trimester 2, an
    assumption), ``hepatic_impairment`` (none/mild/moderate/severe = Child-Pugh grades) and
    ``renal_impairment`` (mapped to a creatinine clearance by
    :data:`RENAL_IMPAIRMENT_CRCL_ML_MIN`); missing columns mean the reference (unimpaired,
    not pregnant). Raises ``ValueError`` naming the patient for values the catalogue cannot use
    (e.g. an age under 18).

    Example
    -------
    >>> factors = patient_factors({"patient_id": 3, "age_years": 70.0, "sex": "female",
    ...     "hepatic_impairment": "mild", "renal_impairment": "severe"})
    >>> factors.hepatic.value, factors.creatinine_clearance_ml_min
    ('mild', 20.0)
    >>> patient_factors({"patient_id": 4, "age_years": 12.0, "sex": "male"})
    Traceback (most recent call last):
    ...
    ValueError: patient 4: age_years: 12.0 is below 18; the drug catalogue's PK covers adults only
    """
    renal = str(_cell(row, "renal_impairment", "none"))
    if renal not in RENAL_IMPAIRMENT_CRCL_ML_MIN:
        raise ValueError(
            f"patient {row.get('patient_id')}: renal_impairment {renal!r} is not one of "
            f"{', '.join(RENAL_IMPAIRMENT_CRCL_ML_MIN)}"
        )
    trimester = int(_cell(row, "pregnancy_trimester", 2 if _cell(row, "pregnant", False) else 0))
    try:
        return PatientFactors(
            age_years=float(_cell(row, "age_years", 45.0)),
            sex=str(_cell(row, "sex", "female")),
            pregnancy_trimester=trimester,
            hepatic=str(_cell(row, "hepatic_impairment", "none")),
            creatinine_clearance_ml_min=RENAL_IMPAIRMENT_CRCL_ML_MIN[renal],
        )
    except ValidationError as err:
        details = "; ".join(validation_messages(err))
        raise ValueError(f"patient {row.get('patient_id')}: {details}") from None


def clearance_factors(drug_key: str, patients: pd.DataFrame) -> NDArray[np.float64] | float:
    """Each patient's ``<drug>_clearance_factor`` (clipped to 0.05–20); one number if all agree.

    Example
    -------
    >>> import pandas as pd
    >>> patients = pd.DataFrame({"patient_id": [0, 1], "age_years": [30.0, 50.0],
    ...     "sex": ["male", "female"], "hepatic_impairment": ["none", "none"]})
    >>> clearance_factors("duloxetine", patients)
    1.0
    >>> clearance_factors("duloxetine", patients.assign(hepatic_impairment=["none", "mild"]))
    array([1. , 0.4])
    """
    low, high = CLEARANCE_FACTOR_BOUNDS
    cache: dict[PatientFactors, float] = {}
    values = np.empty(len(patients), dtype=np.float64)
    for index, row in enumerate(patients.to_dict("records")):
        factors = patient_factors(row)
        if factors not in cache:
            cache[factors] = min(max(factors.clearance_factor(drug_key), low), high)
        values[index] = cache[factors]
    if len(values) and bool((values == values[0]).all()):
        return float(values[0])
    return values


def _input_sources(plan: TreatmentPlan) -> dict[str, list[str]]:
    """Which plan entries drive each input (entry names such as ``ea_schedules[0]``)."""
    sources: dict[str, list[str]] = {}

    def add(name: str, label: str) -> None:
        sources.setdefault(name, [])
        if label not in sources[name]:
            sources[name].append(label)

    for block in plan.session_blocks():
        entry = block.label.split(" #")[0]
        for name in session_input_values(block):
            add(name, entry)
    for index, drug_entry in enumerate(plan.drugs):
        add(dose_rate_input(drug_entry.drug.key), f"drugs[{index}]")
    return sources


def _used(schedule: Schedule) -> bool:
    return any(value != 0.0 for _, value in schedule.changes)


def check_plan_inputs(plan: TreatmentPlan, compiled: CompiledPlan, model: OdeModel) -> list[str]:
    """Problems with running ``plan`` on ``model``: one line per input the plan drives but the
    model lacks, naming the plan entries that drive it.

    Example
    -------
    >>> from hpatwin.model.catalogue import get_model
    >>> from hpatwin.treatments import compile_plan
    >>> plan = TreatmentPlan.parse({"cbt_sessions": [{"day": 0, "start": "10:00"}]})
    >>> check_plan_inputs(plan, compile_plan(plan, days=1), get_model("hpa_core"))
    ["cbt_sessions[0] drives input 'cbt_session', which model hpa_core lacks (plans need a model with treatment inputs, e.g. twin)"]
    """
    sources = _input_sources(plan)
    problems = []
    for name, schedule in compiled.inputs.items():
        if name in model.input_names or not _used(schedule):
            continue
        entries = ", ".join(sources.get(name, ["the plan"]))
        problems.append(
            f"{entries} drives input {name!r}, which model {model.name} lacks "
            "(plans need a model with treatment inputs, e.g. twin)"
        )
    return problems


def resolve_trial_plan(
    plan_path: Path, model: OdeModel, patients: pd.DataFrame, duration_days: int
) -> Treatment:
    """Compile a plan file for a trial arm (the registered :data:`~hpatwin.trials.PlanResolver`).

    Returns the arm's input schedules (only the inputs the model has; unused ones the model
    lacks are dropped) and per-patient ``<drug>_clearance_factor`` arrays in the order of
    ``patients`` (scalars when all patients agree). Raises ``ValueError``, one problem per line
    naming the plan entry, for an invalid plan, a plan driving inputs the model lacks, or
    patients whose covariates the drug catalogue cannot use.

    Example
    -------
    >>> import pandas as pd
    >>> from pathlib import Path
    >>> from hpatwin.model.catalogue import get_model
    >>> patients = pd.DataFrame({"patient_id": [0], "age_years": [40.0], "sex": ["male"]})
    >>> resolve_trial_plan(Path("examples/plans/ea_2hz.yaml"), get_model("hpa_core"),
    ...                    patients, duration_days=7)
    Traceback (most recent call last):
    ...
    ValueError: ea_schedules[0] drives input 'ea_low_frequency_drive', which model hpa_core lacks ...
    """
    try:
        plan = load_plan(plan_path)
        compiled = compile_plan(plan, days=duration_days)
    except PlanError as err:
        raise ValueError("\n".join(err.messages)) from None
    problems = check_plan_inputs(plan, compiled, model)
    inputs: dict[str, float | Schedule] = {
        name: schedule for name, schedule in compiled.inputs.items() if name in model.input_names
    }
    parameters: dict[str, float | NDArray[np.float64]] = {}
    for name in compiled.parameters:
        if name not in model.parameter_names:
            problems.append(
                f"drugs: parameter {name!r} is missing from model {model.name} "
                "(plans with drugs need a model with drug PK, e.g. twin)"
            )
            continue
        drug_key = name.removesuffix("_clearance_factor")
        try:
            parameters[name] = clearance_factors(drug_key, patients)
        except ValueError as err:
            problems.append(f"drugs ({drug_key}): {err}")
    if problems:
        raise ValueError("\n".join(problems))
    return Treatment(inputs=inputs, parameters=parameters)


__all__ = [
    "RENAL_IMPAIRMENT_CRCL_ML_MIN",
    "Treatment",
    "check_plan_inputs",
    "clearance_factors",
    "patient_factors",
    "resolve_trial_plan",
]
