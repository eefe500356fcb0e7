"""Simulate one chunk of trial patients: the unit of work, in-process or on a Dask worker.

A chunk is a contiguous range of patient ids. Within it, patients are grouped
by arm (and by the baseline values of the inputs their arm changes), because
an input schedule is shared by a batch; each group is one call of
:func:`hpatwin.simulate`. Per-patient parameters are passed as arrays.

Determinism: every random number a patient sees is keyed by its patient id —
population draws (:mod:`hpatwin.trials.population`) and ultradian pulses
(:class:`IdKeyedPulseTrain`, the same streams ``simulate(patient_offset=id)``
gives) — and the fixed-step engine computes each patient column
independently. Groups are cut into blocks of one trial-wide width
(:func:`block_width`, a multiple of 8; the last block padded by repeating its
last patient, whose copies are dropped), every block of the trial runs the
same compiled program (the same recorded readouts; traced patients get a
second, separate run), so a patient's results do not depend on the chunk
size, on which chunk, worker or CPU device ran it, or on its neighbours.

Speed: at steps of 5 min or more the run is float32 (:func:`precision`), the
untreated warm-up uses a 10-min step (:func:`warmup_step_min`) and only the
readouts the endpoints need are recorded, inside the engine.

Example
-------
>>> from hpatwin.trials.chunk import padded_size
>>> [padded_size(n) for n in (1, 3, 9, 16, 17, 40)]
[8, 8, 16, 16, 32, 48]
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xarray as xr
from numpy.typing import NDArray

from hpatwin.engine.api import (
    PULSE_PARAMETERS,
    WARMUP_SETTLE_DAYS,
    has_hpa_core,
    pulse_train_for,
    steady_state,
)
from hpatwin.engine.inputs import InputValue, PulseTrain, Schedule
from hpatwin.model.definition import OdeModel
from hpatwin.model.natural_course import with_enrolment_exacerbation
from hpatwin.simulation import simulate
from hpatwin.simulation.scenario import onset_settings
from hpatwin.trials.arms import ResolvedArm
from hpatwin.trials.endpoints import (
    MEASURES,
    ConfiguredEndpoint,
    Role,
    configure_endpoints,
    daily_measures,
    readout_for,
    required_measures,
)
from hpatwin.trials.models import resolve_model
from hpatwin.trials.observed import (
    SCORES,
    TrialVisits,
    conduct_measures,
    natural_course_on,
    observe_cortisol_block,
    trial_visits,
)
from hpatwin.trials.population import TREATMENT_PREFIX, population_parameters
from hpatwin.trials.spec import TrialSpec

PULSE_INPUT = "ultradian_pulse"
ENDPOINT_PREFIX = "endpoint:"
#: the model's expected value at a visit (trials with observation noise)
LATENT_PREFIX = "latent:"
#: observed scores at the screening visit
SCREENING_PREFIX = "screening:"
DAILY_PREFIX = "daily:"
_BUCKET_STEP = 16
_MIN_WIDTH = 8
_IMBALANCE_ALLOWANCE = 4
#: Widest engine block (patients): wide enough to fill the SIMD lanes of every CPU device,
#: small enough that a block's hourly readouts and pulse series stay in hundreds of MB.
MAX_BLOCK_WIDTH = 8192
#: Called with a number of patients whenever one engine block of a chunk has been simulated.
#: An in-process runner sets it so its progress bar moves within a chunk; in Dask workers
#: (other threads or processes) it is unset and the bar moves when a chunk returns.
BLOCK_PROGRESS: ContextVar[Callable[[int], None] | None] = ContextVar(
    "hpatwin_block_progress", default=None
)
#: Time step (min) of the cohort configuration: float32 from this step up (accuracy in
#: docs/engine.md); the epidemiology cohorts of :mod:`hpatwin.cohorts` run at it too.
COHORT_DT_MIN = 5.0
#: Warm-up step (min) in the cohort configuration; see :func:`warmup_step_min`.
COHORT_WARMUP_DT_MIN = 10.0
#: Days the cohort-configuration warm-up settles at true speed; see :func:`warmup_settle_days`.
COHORT_WARMUP_SETTLE_DAYS = 5.0


def padded_size(n: int) -> int:
    """Batch width a group of ``n`` patients is padded to: 8, 16, then multiples of 16.

    Every width is a multiple of 8 — the widest float64 SIMD vector on CPUs
    (AVX-512) — so each patient column goes through the same vectorised
    code whatever its batch, and results are bit-for-bit identical across
    chunkings (narrower batches take scalar code paths whose last bits differ).
    Few distinct widths also mean few JIT compilations.

    Example
    -------
    >>> padded_size(100)
    112
    """
    if n <= _MIN_WIDTH:
        return _MIN_WIDTH
    return -(-n // _BUCKET_STEP) * _BUCKET_STEP


@dataclass(frozen=True)
class IdKeyedPulseTrain(PulseTrain):
    """A :class:`PulseTrain` whose batch column *k* draws the stream of ``patient_ids[k]``.

    Lets a batch hold patients with non-contiguous ids (a chunk's arm group)
    while each patient gets exactly the pulses ``simulate(patient_offset=id)``
    would give it.

    Example
    -------
    >>> import numpy as np
    >>> plain = PulseTrain(160.0, 20.0, 0.3, 0.5, 0.4, seed=2)
    >>> keyed = IdKeyedPulseTrain(160.0, 20.0, 0.3, 0.5, 0.4, seed=2, patient_ids=(7, 3))
    >>> bool((keyed.sample(np.arange(2), 50)[:, 0] == plain.sample(np.array([7]), 50)[:, 0]).all())
    True
    """

    patient_ids: tuple[int, ...] = ()

    def sample(
        self, patient_indices: NDArray[np.int64], n_bins: int, dtype: str = "float64"
    ) -> NDArray[Any]:
        """Values ``(n_bins, len(patient_indices))``; indices are batch positions.

        Example
        -------
        >>> import numpy as np
        >>> train = IdKeyedPulseTrain(160.0, 20.0, 0.3, 0.5, 0.4, patient_ids=(4,))
        >>> train.sample(np.arange(1), 6).shape
        (6, 1)
        """
        ids = np.asarray(self.patient_ids, dtype=np.int64)
        if len(patient_indices) and (
            patient_indices.min() < 0 or patient_indices.max() >= len(ids)
        ):
            raise ValueError(
                f"pulse train: batch positions {patient_indices.min()}..{patient_indices.max()} "
                f"do not match {len(ids)} patient ids"
            )
        return super().sample(ids[patient_indices], n_bins, dtype)


def uses_steady_state(model: OdeModel, warmup: str) -> bool:
    """Whether patients start from a settled state (their untreated steady state, or the
    ``onset`` state settled with the condition knobs at healthy values).

    Example
    -------
    >>> from hpatwin.trials.models import resolve_model
    >>> uses_steady_state(resolve_model("hpa_core"), "auto")
    True
    >>> uses_steady_state(resolve_model("hpa_core"), "onset")
    Traceback (most recent call last):
    ...
    ValueError: simulation.warmup: model hpa_core has no onset values (condition knobs at healthy values); use warmup: steady_state or none
    """
    if warmup == "none":
        return False
    capable = has_hpa_core(model)
    if warmup in ("steady_state", "onset") and not capable:
        raise ValueError(
            f"simulation.warmup: model {model.name} lacks the HPA-core states/parameters "
            f"{warmup} needs; use warmup: none"
        )
    if warmup == "onset" and not model.defaults.onset_values:
        raise ValueError(
            f"simulation.warmup: model {model.name} has no onset values (condition knobs at "
            "healthy values); use warmup: steady_state or none"
        )
    return capable


def uses_pulses(model: OdeModel, pulses: bool) -> bool:
    """Whether seeded ultradian pulses drive this model.

    Example
    -------
    >>> from hpatwin.trials.models import resolve_model
    >>> uses_pulses(resolve_model("hpa_core"), True)
    True
    """
    return (
        pulses
        and PULSE_INPUT in model.input_names
        and set(PULSE_PARAMETERS) <= set(model.parameter_names)
    )


def time_step_min(spec: TrialSpec, model: OdeModel) -> float:
    """Integration step: the spec's, else the model's cohort step (its metadata; the twin:
    10 min).

    Example
    -------
    >>> from hpatwin.trials.models import resolve_model
    >>> from hpatwin.trials.spec import _example_spec
    >>> time_step_min(_example_spec(), resolve_model("hpa_core"))
    1.0
    >>> time_step_min(_example_spec(), resolve_model("twin"))
    10.0
    """
    if spec.simulation.time_step_min is not None:
        return spec.simulation.time_step_min
    return model.defaults.effective_cohort_time_step


def block_width(spec: TrialSpec) -> int:
    """Patients per engine call: every block of a trial has this one width.

    Groups are cut into blocks of this width and the last block is padded, so
    the engine compiles one shape per treatment layout (not one per group
    size) and every patient column runs through the same code whatever the
    chunking. It depends on the spec only: an arm's expected share of a chunk
    (plus 2 % and 4 patients for randomisation imbalance) cut into equal
    blocks of at most :data:`MAX_BLOCK_WIDTH`. Any width gives bit-identical results (columns are
    independent and widths are multiples of 8), so the chunk size may set it.

    Example
    -------
    >>> from hpatwin.trials.spec import _example_spec
    >>> block_width(_example_spec())  # 4 patients in 2 arms: the narrowest block
    8
    """
    if spec.simulation.block_width is not None:
        return padded_size(spec.simulation.block_width)
    patients = min(spec.population.size, spec.chunk_size)
    # an arm's share of a chunk, with room for randomisation imbalance (< one block per arm)
    share = -(-patients * 102 // (100 * max(1, len(spec.arms)))) + _IMBALANCE_ALLOWANCE
    blocks = -(-share // MAX_BLOCK_WIDTH)
    return min(MAX_BLOCK_WIDTH, padded_size(-(-share // blocks)))


def precision(spec: TrialSpec, model: OdeModel) -> str:
    """Floating-point type of the run: the spec's, else float32 at the cohort step (≥ 5 min).

    Example
    -------
    >>> from hpatwin.trials.models import resolve_model
    >>> from hpatwin.trials.spec import _example_spec
    >>> precision(_example_spec(), resolve_model("twin"))
    'float32'
    """
    if spec.simulation.precision != "auto":
        return spec.simulation.precision
    return "float32" if time_step_min(spec, model) >= COHORT_DT_MIN else "float64"


def warmup_step_min(dt: float, dtype: str) -> float:
    """Warm-up step: the run's, or :data:`COHORT_WARMUP_DT_MIN` in the cohort configuration.

    The warm-up has no ultradian pulses, and its deterministic rhythm is resolved at
    10 min (docs/engine.md gives the accuracy); steps of 20 min are unstable.

    Example
    -------
    >>> warmup_step_min(5.0, "float32"), warmup_step_min(1.0, "float64")
    (10.0, 1.0)
    """
    if dtype == "float32" and dt >= COHORT_DT_MIN:
        return max(dt, COHORT_WARMUP_DT_MIN)
    return dt


def warmup_settle_days(dtype: str) -> float:
    """Days the warm-up settles at true speed: 5 in the cohort configuration, else the default.

    After the accelerated phase, 5 days at true speed leave the twin's PHQ-9 within 0.05
    points and salivary cortisol within 0.4 % of a 20-day settle (measured on 128
    varied patients, docs/trials.md); the slow drift that remains is the same either way.

    Example
    -------
    >>> warmup_settle_days("float32")
    5.0
    """
    return COHORT_WARMUP_SETTLE_DAYS if dtype == "float32" else WARMUP_SETTLE_DAYS


def _blocks(rows: NDArray[np.int64], width: int) -> list[NDArray[np.int64]]:
    return [rows[i : i + width] for i in range(0, len(rows), width)]


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs for one chunk, as plain picklable data.

    ``baseline_inputs`` holds each phenotype's untreated input values and
    ``phenotype_input_names`` the inputs some phenotype sets, so workers need
    neither the plan resolver nor the phenotype registry.

    Example
    -------
    >>> from hpatwin.trials.runner import prepare_trial, chunk_tasks
    >>> from hpatwin.trials.spec import _example_spec
    >>> task = next(chunk_tasks(prepare_trial(_example_spec()), [(0, 2)]))
    >>> len(task.patients), task.phenotype_input_names
    (2, ('stress_input',))
    """

    start: int
    stop: int
    patients: pd.DataFrame
    spec: TrialSpec
    arms: Mapping[str, ResolvedArm]
    baseline_inputs: Mapping[str, Mapping[str, float]]
    phenotype_input_names: tuple[str, ...]
    trace_ids: tuple[int, ...] = ()


@dataclass
class ChunkResult:
    """A finished chunk: the patient table (Arrow), optional traces and timings.

    Example
    -------
    >>> import pyarrow as pa
    >>> ChunkResult(0, 4, pa.table({"patient_id": [0, 1, 2, 3]}), None, 2.0, 1.5).timing
    {'wall_s': 2.0, 'engine_s': 1.5, 'overhead_s': 0.5, 'patients': 4.0}
    """

    start: int
    stop: int
    table: pa.Table
    traces: xr.Dataset | None
    wall_s: float
    engine_s: float

    @property
    def timing(self) -> dict[str, float]:
        """Wall, engine and runner-overhead seconds (see the class example)."""
        return {
            "wall_s": self.wall_s,
            "engine_s": self.engine_s,
            "overhead_s": max(0.0, self.wall_s - self.engine_s),
            "patients": float(self.stop - self.start),
        }


def _pad(values: NDArray[Any], size: int) -> NDArray[Any]:
    if len(values) == size:
        return values
    return np.concatenate([values, np.repeat(values[-1:], size - len(values), axis=0)])


def _per_patient_inputs(
    phenotypes: NDArray[np.object_],
    baselines: Mapping[str, Mapping[str, float]],
    names: tuple[str, ...],
) -> dict[str, NDArray[np.float64]]:
    return {
        name: np.array([baselines[str(p)][name] for p in phenotypes], dtype=np.float64)
        for name in names
    }


def simulate_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate a chunk and compute each patient's measures, visit values and endpoints.

    Example
    -------
    >>> from hpatwin.trials.runner import prepare_trial, chunk_tasks
    >>> from hpatwin.trials.spec import parse_spec
    >>> spec = parse_spec({"name": "t", "population": {"size": 2, "phenotypes": {"healthy": 1}},
    ...     "arms": ["usual_care"], "duration_days": 2, "visits_days": [0, 1],
    ...     "endpoints": ["cortisol_0800"], "simulation": {"pulses": False}})
    >>> result = simulate_chunk(next(iter(chunk_tasks(prepare_trial(spec), [(0, 2)]))))
    >>> result.table.num_rows, 5 < result.table["endpoint:cortisol_0800"][0].as_py() < 30
    (2, True)
    """
    started = time.perf_counter()
    engine_s = 0.0
    spec = task.spec
    model = resolve_model(spec.model)
    endpoints = configure_endpoints(spec)
    measures = conduct_measures(spec, required_measures(endpoints))
    patients = task.patients.sort_values("patient_id").reset_index(drop=True)
    ids = patients["patient_id"].to_numpy(dtype=np.int64)
    n = len(ids)
    dt = time_step_min(spec, model)
    output_every = spec.simulation.output_every_min
    n_days = spec.duration_days
    simulation_seed = spec.derived_seed("simulation")

    base_parameters = population_parameters(patients)
    treatment_parameters = {
        column.removeprefix(TREATMENT_PREFIX): patients[column].to_numpy(dtype=np.float64)
        for column in patients.columns
        if column.startswith(TREATMENT_PREFIX)
    }
    phenotypes = patients["phenotype"].to_numpy(dtype=object)
    baselines = task.baseline_inputs
    phenotype_inputs = _per_patient_inputs(phenotypes, baselines, task.phenotype_input_names)

    # without a warm-up, start from the model's default state (passing it explicitly also
    # stops simulate() from computing its own steady state with treated parameters)
    initial: dict[str, NDArray[np.float64]] = {
        state.name: np.full(n, state.initial) for state in model.states
    }
    width = block_width(spec)
    dtype = precision(spec, model)
    if uses_steady_state(model, spec.simulation.warmup):
        tick = time.perf_counter()
        warm_parameters: Mapping[str, NDArray[np.float64]] = base_parameters
        warm_inputs: Mapping[str, NDArray[np.float64]] = phenotype_inputs
        if spec.simulation.warmup == "onset":
            knobs, kept = onset_settings(model, {}, phenotype_inputs)
            warm_parameters = {
                **base_parameters,
                **{name: np.full(n, float(value)) for name, value in knobs.items()},
            }
            warm_inputs = {name: phenotype_inputs[name] for name in kept}
        parts = []
        for block in _blocks(np.arange(n), width):
            steady = steady_state(
                model,
                {name: _pad(values[block], width) for name, values in warm_parameters.items()},
                {name: _pad(values[block], width) for name, values in warm_inputs.items()},
                n_patients=width,
                dt=spec.simulation.warmup_step_min or warmup_step_min(dt, dtype),
                dtype=dtype,
                settle_days=warmup_settle_days(dtype),
                integrator=spec.simulation.integrator,
            )
            parts.append({name: np.asarray(v)[: len(block)] for name, v in steady.items()})
        engine_s += time.perf_counter() - tick
        initial = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    if natural_course_on(spec, model):
        initial = with_enrolment_exacerbation(initial)

    arm_of = patients["arm"].to_numpy(dtype=object)
    groups: dict[tuple[str, tuple[float, ...]], list[int]] = {}
    for row in range(n):
        arm = task.arms[str(arm_of[row])]
        baseline = baselines[str(phenotypes[row])]
        key = (arm.name, tuple(baseline[name] for name in arm.inputs))
        groups.setdefault(key, []).append(row)

    roles: dict[Role, str] = {}
    for measure in measures:
        role = MEASURES[measure].role
        roles[role] = readout_for(role, spec.readouts)
    daily: dict[str, NDArray[np.float64]] = {m: np.full((n_days, n), np.nan) for m in measures}
    screening_latent = {m: np.full(n, np.nan) for m in SCORES if m in measures}
    cortisol: dict[tuple[str, int], NDArray[np.float64]] = {}
    trace_parts: list[xr.Dataset] = []
    trace_set = set(task.trace_ids)
    trace_variables = list(spec.output.trace_variables or model.readout_names)

    blocks = [
        (arm_name, block)
        for (arm_name, _), rows_list in sorted(groups.items(), key=lambda item: item[1][0])
        for block in _blocks(np.asarray(rows_list, dtype=np.int64), width)
    ]

    def run_block(
        arm_name: str, rows: NDArray[np.int64], variables: list[str], size: int = width
    ) -> xr.Dataset:
        arm = task.arms[arm_name]
        parameters: dict[str, Any] = {
            name: _pad(values[rows], size) for name, values in base_parameters.items()
        }
        for name, value in arm.parameters.items():
            parameters[name] = value
        for name, values in treatment_parameters.items():
            # always an array (NaN → the arm's value), so every block of the trial runs the
            # same compiled program whatever rows it holds
            default = parameters.get(name, model.parameter(name).value)
            fallback = np.broadcast_to(np.asarray(default, dtype=np.float64), (size,))
            chosen = _pad(values[rows], size)
            parameters[name] = np.where(np.isfinite(chosen), chosen, fallback)
        inputs: dict[str, InputValue] = {
            name: _pad(values[rows], size) for name, values in phenotype_inputs.items()
        }
        group_baseline = baselines[str(phenotypes[rows[0]])]
        group_inputs: dict[str, float | Schedule] = arm.group_inputs(group_baseline)
        inputs.update(group_inputs)
        if uses_pulses(model, spec.simulation.pulses):
            train = pulse_train_for(model, parameters, simulation_seed)
            inputs[PULSE_INPUT] = IdKeyedPulseTrain(
                **{f.name: getattr(train, f.name) for f in dataclasses.fields(PulseTrain)},
                patient_ids=tuple(int(i) for i in _pad(ids[rows], size)),
            )
        state = {name: _pad(values[rows], size) for name, values in initial.items()}
        return simulate(
            model,
            days=n_days,
            parameters=parameters,
            initial_state=state,
            inputs=inputs,
            n_patients=size,
            dt=dt,
            output_every=output_every,
            seed=simulation_seed,
            pulses=False,
            dtype=dtype,
            variables=variables,
            slow_dt=spec.simulation.slow_step_min,
            integrator=spec.simulation.integrator,
        )

    recorded = list(dict.fromkeys(roles.values()))
    for arm_name, rows in blocks:
        tick = time.perf_counter()
        dataset = run_block(arm_name, rows, recorded)
        engine_s += time.perf_counter() - tick
        report_progress = BLOCK_PROGRESS.get()
        if report_progress is not None:
            report_progress(len(rows))
        real = slice(0, len(rows))
        readout_arrays = {
            role: np.asarray(dataset[name].values[:, real], dtype=np.float64)
            for role, name in roles.items()
        }
        group_daily = daily_measures(
            readout_arrays,
            measures,
            output_every_min=output_every,
            n_days=n_days,
            sampling=spec.sampling,
        )
        for measure, array in group_daily.items():
            daily[measure][:, rows] = array
        for measure, values in screening_latent.items():
            values[rows] = readout_arrays[MEASURES[measure].role][0]  # enrolment, time 0
        block_cortisol = observe_cortisol_block(readout_arrays, ids[rows], measures, spec)
        for visit_key, visit_values in block_cortisol.items():
            cortisol.setdefault(visit_key, np.full(n, np.nan))[rows] = visit_values
        traced = rows[[int(ids[row]) in trace_set for row in rows]]
        if len(traced):
            # traces come from their own run: recording more variables changes the compiled
            # program, and endpoints must not depend on which block held a traced patient
            tick = time.perf_counter()
            # (narrow: a few patients; columns are independent of the batch width)
            part = run_block(arm_name, traced, trace_variables, padded_size(len(traced))).isel(
                patient=slice(0, len(traced))
            )
            engine_s += time.perf_counter() - tick
            part = part.assign_coords(
                patient=("patient", ids[traced]),
                arm=("patient", np.array([arm_name] * len(traced), dtype=str)),
                phenotype=("patient", phenotypes[traced].astype(str)),
            )
            trace_parts.append(part)

    visits = trial_visits(spec, daily, screening_latent, cortisol, ids, measures)
    table = _patient_table(patients, daily, visits, endpoints, spec)
    traces = None
    if trace_parts:
        traces = xr.concat(trace_parts, dim="patient").sortby("patient")
        traces.attrs["phenotype"] = ""
    return ChunkResult(
        task.start, task.stop, table, traces, time.perf_counter() - started, engine_s
    )


def _patient_table(
    patients: pd.DataFrame,
    daily: Mapping[str, NDArray[np.float64]],
    recorded: TrialVisits,
    endpoints: list[ConfiguredEndpoint],
    spec: TrialSpec,
) -> pa.Table:
    visits = recorded.values
    frame = patients.copy()
    completed = np.ones(len(frame), dtype=bool)
    for (measure, day), values in visits.items():
        frame[f"{measure}@day{day}"] = values
        completed &= np.isfinite(values)
    frame["completed"] = completed
    for (measure, day), values in recorded.latent.items():
        frame[f"{LATENT_PREFIX}{measure}@day{day}"] = values
    for measure, values in recorded.screening.items():
        frame[f"{SCREENING_PREFIX}{measure}"] = values
    frame["enrolled"] = recorded.enrolled
    frame["visits_attended"] = recorded.attended.sum(axis=0).astype(np.int64)
    for endpoint in endpoints:
        frame[ENDPOINT_PREFIX + endpoint.key] = endpoint.evaluate(visits)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = canonical_schema(table)
    n_days = spec.duration_days
    for measure in required_measures(endpoints):
        flat = pa.array(np.ascontiguousarray(daily[measure].T).ravel(), type=pa.float64())
        table = table.append_column(
            DAILY_PREFIX + measure, pa.FixedSizeListArray.from_arrays(flat, n_days)
        )
    return table


def canonical_schema(table: pa.Table) -> pa.Table:
    """Cast string-like columns to ``string`` and drop pandas metadata, so chunks share a schema.

    Example
    -------
    >>> import pyarrow as pa
    >>> canonical_schema(pa.table({"arm": pa.array(["a"], pa.large_string())})).schema.types
    [DataType(string)]
    """
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields))


def timing_metadata(result: ChunkResult) -> dict[bytes, bytes]:
    """Parquet key/value metadata recording a chunk's timings.

    Example
    -------
    >>> import pyarrow as pa
    >>> list(timing_metadata(ChunkResult(0, 1, pa.table({}), None, 1.0, 1.0)))
    [b'hpatwin.timing']
    """
    return {b"hpatwin.timing": json.dumps(result.timing).encode()}
