"""Run an in-silico trial: validate, chunk, simulate, checkpoint, resume, merge, analyse, report.

Layout of an output folder::

    manifest.json          spec, its fingerprint, status (running/complete), timings
    chunks/chunk_<first>_<stop>.parquet      one finished chunk (atomic), patient ids [first, stop)
    chunks/chunk_<first>_<stop>.traces.nc    its selected traces (written before the parquet)
    patients.parquet       one row per patient: covariates, parameters, visit values, endpoints
    daily.parquet          per patient, each measure on every day (fixed-size lists)
    traces.nc              full time courses of a few patients per arm (NetCDF, h5netcdf)
    endpoints.csv          per-arm endpoint summaries
    effects.csv            effect sizes vs the control arm with bootstrap CIs
    report.html            self-contained report

**Checkpoint and resume.** Each chunk is written with a temporary file and a
rename, so a chunk file is either complete or absent. A rerun on the same
folder with the same spec (same fingerprint) skips patient ranges already
covered by chunk files and simulates only the rest — whatever the new chunk
size. Because a patient's numbers do not depend on its chunk (see
:mod:`hpatwin.trials.chunk`), the merged result equals an uninterrupted run.

Example
-------
>>> import tempfile
>>> from hpatwin.trials import run_trial
>>> from hpatwin.trials.spec import parse_spec
>>> spec = parse_spec({"name": "mini", "population": {"size": 2},
...     "arms": ["usual_care"], "duration_days": 2, "visits_days": [0, 1],
...     "endpoints": ["cortisol_2300_change"], "simulation": {"pulses": False},
...     "output": {"report": False, "traces_per_arm": 0}})
>>> result = run_trial(spec, tempfile.mkdtemp() + "/out", progress=False)
>>> result.executed_chunks, (result.out_dir / "patients.parquet").exists()
(1, True)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr

from hpatwin.engine.api import PULSE_PARAMETERS, pulse_train_for
from hpatwin.engine.inputs import InputValue
from hpatwin.engine.prepared import prepare_run
from hpatwin.io.atomic import atomic_path
from hpatwin.model.definition import OdeModel
from hpatwin.model.natural_course import EXACERBATION_STATE, has_natural_course
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.trials.arms import ResolvedArm, baseline_inputs, resolve_arms
from hpatwin.trials.chunk import (
    BLOCK_PROGRESS,
    DAILY_PREFIX,
    ENDPOINT_PREFIX,
    PULSE_INPUT,
    ChunkResult,
    ChunkTask,
    simulate_chunk,
    time_step_min,
    timing_metadata,
    uses_pulses,
    uses_steady_state,
)
from hpatwin.trials.endpoints import ConfiguredEndpoint, configure_endpoints, required_measures
from hpatwin.trials.execution import Executor, check_scheduler_address, open_executor
from hpatwin.trials.models import resolve_model
from hpatwin.trials.population import PARAMETER_PREFIX, allocate_arms, generate_population
from hpatwin.trials.primary_analysis import primary_analysis_table
from hpatwin.trials.spec import TrialSpec, TrialSpecError, load_trial_spec
from hpatwin.trials.statistics import EndpointColumn, effect_table, endpoint_table

MANIFEST = "manifest.json"
CHUNK_DIR = "chunks"
_OWN_CHUNK_FILE = re.compile(r"^chunk_\d{9}_\d{9}(?:\.parquet|\.traces\.nc)$")
MANIFEST_FORMAT = "hpatwin-trial/1"
OUTPUT_FILES = (
    "patients.parquet",
    "daily.parquet",
    "traces.nc",
    "endpoints.csv",
    "effects.csv",
    "report.html",
)
_CHUNK_FILE = re.compile(r"^chunk_(\d{9})_(\d{9})\.parquet$")


@dataclass
class PreparedTrial:
    """A validated trial, ready to simulate: population, arms, endpoints, fingerprint.

    ``patients`` has one row per patient (sorted by id): the population table
    plus ``arm`` and any ``treatment:<parameter>`` overrides from plans.

    Example
    -------
    >>> from hpatwin.trials.spec import _example_spec
    >>> prepared = prepare_trial(_example_spec())
    >>> prepared.n_patients, prepared.measures, len(prepared.fingerprint)
    (4, ['cortisol_evening'], 64)
    """

    spec: TrialSpec
    model: OdeModel
    endpoints: list[ConfiguredEndpoint]
    patients: pd.DataFrame
    arms: dict[str, ResolvedArm]
    trace_ids: tuple[int, ...]
    fingerprint: str
    baseline_inputs: dict[str, dict[str, float]] = field(default_factory=dict)
    phenotype_input_names: tuple[str, ...] = ()

    @property
    def n_patients(self) -> int:
        """Number of patients (see the class example)."""
        return len(self.patients)

    @property
    def measures(self) -> list[str]:
        """Measures the endpoints need (see the class example)."""
        return required_measures(self.endpoints)

    def endpoint_columns(self) -> list[EndpointColumn]:
        """Endpoint descriptions for the statistics module.

        Example
        -------
        >>> from hpatwin.trials.spec import _example_spec
        >>> prepare_trial(_example_spec()).endpoint_columns()[0].kind
        'continuous'
        """
        return [EndpointColumn(e.key, e.kind, e.definition.unit) for e in self.endpoints]


def prepare_trial(spec: TrialSpec) -> PreparedTrial:
    """Check a spec against its model and build the population — no simulation, no files.

    Raises :class:`TrialSpecError` listing every problem: unknown model,
    endpoint or readout, unknown arm input/parameter, value out of range,
    plan without resolver, schedule off the time grid, and so on.

    Example
    -------
    >>> from hpatwin.trials.spec import parse_spec
    >>> prepare_trial(parse_spec({"name": "t", "population": {"size": 2},
    ...     "arms": ["usual_care", {"name": "x", "parameters": {"nope": 1}}],
    ...     "duration_days": 2, "visits_days": [0, 1], "endpoints": ["rmssd_change"]}))
    Traceback (most recent call last):
    ...
    hpatwin.trials.spec.TrialSpecError: invalid trial spec:
      - endpoints.rmssd_change: needs readout 'rmssd_ms' (readouts.rmssd), which model hpa_core lacks; ...
      - arms.x.parameters: unknown parameter 'nope' for model hpa_core
    """
    try:
        model = resolve_model(spec.model)
    except ValueError as err:
        raise TrialSpecError([str(err)]) from None
    if model.time_unit != "min":
        raise TrialSpecError(
            [f"model: {model.name} runs in {model.time_unit}; trials need a minute-based model"]
        )
    problems: list[str] = []
    endpoints: list[ConfiguredEndpoint] = []
    try:
        endpoints = configure_endpoints(spec, model)
    except ValueError as err:
        problems.extend(str(err).splitlines())
    problems.extend(conduct_problems(spec, model))
    known_variables = set(model.state_names) | set(model.readout_names)
    for name in spec.output.trace_variables or ():
        if name not in known_variables:
            problems.append(
                f"output.trace_variables: {name!r} is neither a state nor a readout of {model.name}"
            )
    try:
        uses_steady_state(model, spec.simulation.warmup)
    except ValueError as err:
        problems.append(str(err))
    try:
        patients = generate_population(spec.population, model, seed=spec.derived_seed("population"))
    except TrialSpecError as err:
        raise TrialSpecError(problems + err.problems) from None
    if uses_pulses(model, spec.simulation.pulses):
        for name in PULSE_PARAMETERS:
            column = PARAMETER_PREFIX + name
            if column in patients and patients[column].nunique() > 1:
                problems.append(
                    f"population: {name} must be the same for every patient (ultradian pulses "
                    "are drawn per batch); remove it from variability and phenotypes, or set "
                    "simulation.pulses: false"
                )
    patients["arm"] = allocate_arms(
        patients,
        [(arm.name, arm.ratio) for arm in spec.arms],
        spec.randomisation,
        seed=spec.derived_seed("randomisation"),
    ).astype(str)
    arms, overrides, arm_problems = resolve_arms(spec, model, patients)
    problems.extend(arm_problems)
    if not arm_problems and not problems:
        problems.extend(_preflight(spec, model, arms))
    if problems:
        raise TrialSpecError(problems)
    patients = pd.concat([patients, overrides], axis=1)
    per_arm = spec.output.traces_per_arm
    trace_ids = tuple(
        sorted(
            int(i)
            for arm in spec.arms
            for i in patients.loc[patients["arm"] == arm.name, "patient_id"].head(per_arm)
        )
    )
    phenotypes = list(spec.population.phenotypes)
    return PreparedTrial(
        spec=spec,
        model=model,
        endpoints=endpoints,
        patients=patients,
        arms=arms,
        trace_ids=trace_ids,
        fingerprint=spec.fingerprint(_external_content(spec, arms)),
        baseline_inputs={p: baseline_inputs(model, p) for p in phenotypes},
        phenotype_input_names=tuple(
            sorted({name for p in phenotypes for name in get_phenotype(p).inputs})
        ),
    )


def conduct_problems(spec: TrialSpec, model: OdeModel) -> list[str]:
    """Screening, dropout and natural-course options the model cannot support.

    Example
    -------
    >>> from hpatwin.model import get_model
    >>> from hpatwin.trials.spec import _example_spec
    >>> spec = _example_spec().with_overrides(screening={"phq9_min": 10}, natural_course=True)
    >>> for line in conduct_problems(spec, get_model("hpa_core")):
    ...     print(line)
    screening.phq9_min: needs readout 'phq9_expected' (readouts.phq9), which model hpa_core lacks
    natural_course: model hpa_core has no symptom_exacerbation state; set natural_course: auto or false
    """
    problems = []
    needs: list[tuple[str, str, str]] = []
    if spec.screening.needs_phq9:
        needs.append(("screening.phq9_min", "phq9", spec.readouts.phq9))
    if spec.screening.needs_nrs:
        needs.append(("screening.nrs_min", "pain_nrs", spec.readouts.pain_nrs))
    if spec.dropout.mechanism == "mar" and spec.dropout.probability_per_visit > 0:
        needs.append(("dropout.mechanism", "phq9", spec.readouts.phq9))
    for field_name, role, readout in needs:
        if readout not in model.readout_names:
            problems.append(
                f"{field_name}: needs readout {readout!r} (readouts.{role}), which model "
                f"{model.name} lacks"
            )
    if spec.natural_course is True and not has_natural_course(model):
        problems.append(
            f"natural_course: model {model.name} has no {EXACERBATION_STATE} state; "
            "set natural_course: auto or false"
        )
    return problems


def _preflight(spec: TrialSpec, model: OdeModel, arms: dict[str, ResolvedArm]) -> list[str]:
    """Lay out each arm × phenotype on the engine's grid once, to catch errors before work."""
    problems = []
    dt = time_step_min(spec, model)
    seed = spec.derived_seed("simulation")
    for arm in arms.values():
        for phenotype_name in spec.population.phenotypes:
            phenotype = get_phenotype(phenotype_name)
            parameters: dict[str, Any] = {**phenotype.parameters, **arm.parameters}
            inputs: dict[str, InputValue] = dict(phenotype.inputs)
            try:
                inputs.update(arm.group_inputs(baseline_inputs(model, phenotype_name)))
                if uses_pulses(model, spec.simulation.pulses):
                    inputs[PULSE_INPUT] = pulse_train_for(model, parameters, seed)
                prepare_run(
                    model,
                    spec.duration_days * 1440.0,
                    parameters=parameters,
                    inputs=inputs,
                    n_patients=1,
                    dt=dt,
                    output_every=spec.simulation.output_every_min,
                    slow_dt=spec.simulation.slow_step_min,
                )
            except (ValueError, KeyError) as err:
                message = err.args[0] if err.args else str(err)
                problems.append(f"arms.{arm.name} (phenotype {phenotype_name}): {message}")
    return problems


def _external_content(spec: TrialSpec, arms: dict[str, ResolvedArm]) -> str:
    digest = hashlib.sha256()
    try:
        digest.update(metadata.version("hpatwin").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"hpatwin-source")
    for arm in arms.values():
        if arm.plan is not None:
            digest.update(Path(arm.plan).read_bytes())
    return digest.hexdigest()


def chunk_ranges(
    n_patients: int, chunk_size: int, done: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """Patient-id ranges still to simulate, cut into pieces of at most ``chunk_size``.

    Example
    -------
    >>> chunk_ranges(10, 4)
    [(0, 4), (4, 8), (8, 10)]
    >>> chunk_ranges(10, 4, done=[(0, 3), (6, 8)])
    [(3, 6), (8, 10)]
    """
    ranges = []
    position = 0
    for start, stop in [*sorted(done), (n_patients, n_patients)]:
        while position < start:
            end = min(start, position + chunk_size)
            ranges.append((position, end))
            position = end
        position = max(position, stop)
    return ranges


def chunk_tasks(prepared: PreparedTrial, ranges: Sequence[tuple[int, int]]) -> Iterator[ChunkTask]:
    """One :class:`ChunkTask` per range (built lazily, so memory stays bounded).

    Example
    -------
    >>> from hpatwin.trials.spec import _example_spec
    >>> [t.stop for t in chunk_tasks(prepare_trial(_example_spec()), [(0, 3), (3, 4)])]
    [3, 4]
    """
    traces = np.asarray(prepared.trace_ids, dtype=np.int64)
    for start, stop in ranges:
        yield ChunkTask(
            start=start,
            stop=stop,
            patients=prepared.patients.iloc[start:stop].copy(),
            spec=prepared.spec,
            arms=prepared.arms,
            baseline_inputs=prepared.baseline_inputs,
            phenotype_input_names=prepared.phenotype_input_names,
            trace_ids=tuple(int(i) for i in traces[(traces >= start) & (traces < stop)]),
        )


@dataclass
class TrialResult:
    """Where a finished trial's files are, and its summary tables (see :func:`run_trial`).

    Example
    -------
    >>> import pandas as pd, pathlib
    >>> TrialResult(pathlib.Path("out"), pd.DataFrame(), pd.DataFrame(), 1, 0).report_path.name
    'report.html'
    """

    out_dir: Path
    endpoints: pd.DataFrame
    effects: pd.DataFrame
    executed_chunks: int
    resumed_chunks: int
    timing: dict[str, float] = field(default_factory=dict)

    @property
    def patients_path(self) -> Path:
        """The merged per-patient table (see the class example)."""
        return self.out_dir / "patients.parquet"

    @property
    def report_path(self) -> Path:
        """The HTML report (see the class example)."""
        return self.out_dir / "report.html"

    def patients(self) -> pd.DataFrame:
        """Read the per-patient table (see :func:`run_trial`)."""
        return pd.read_parquet(self.patients_path)


OutputState = Literal["fresh", "clean", "resume", "reuse"]


def _read_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def inspect_output(
    out_dir: Path, fingerprint: str, *, overwrite: bool, reuse_complete: bool = False
) -> OutputState:
    """Decide what to do with an output folder; raises ``FileExistsError`` to protect results.

    ``fresh``: empty or new; ``clean``: replace earlier hpatwin results
    (``overwrite``); ``resume``: unfinished run of this same trial;
    ``reuse``: finished run of this same trial (``reuse_complete``).

    Example
    -------
    >>> import pathlib, tempfile
    >>> inspect_output(pathlib.Path(tempfile.mkdtemp()) / "new", "abc", overwrite=False)
    'fresh'
    """
    if not out_dir.exists():
        return "fresh"
    if not out_dir.is_dir():
        raise FileExistsError(f"--out: {out_dir} exists and is not a folder")
    manifest = _read_manifest(out_dir)
    ours = [name for name in (*OUTPUT_FILES, CHUNK_DIR) if (out_dir / name).exists()]
    if manifest is None:
        if not ours:
            return "fresh"
        if overwrite:
            return "clean"
        raise FileExistsError(
            f"--out: {out_dir} already holds trial results ({', '.join(ours)}) without a "
            "manifest; pass --overwrite (overwrite=True) to replace them"
        )
    same = manifest.get("fingerprint") == fingerprint and manifest.get("format") == MANIFEST_FORMAT
    if overwrite:
        return "clean"
    if not same:
        raise FileExistsError(
            f"--out: {out_dir} holds results of a different trial (spec, model or plans "
            "changed); pass --overwrite (overwrite=True) to replace them, or choose another folder"
        )
    if manifest.get("status") == "complete":
        if reuse_complete:
            return "reuse"
        raise FileExistsError(
            f"--out: {out_dir} holds a finished run of this trial; pass --overwrite "
            "(overwrite=True) to run it again"
        )
    return "resume"


def _clean(out_dir: Path) -> None:
    for name in (*OUTPUT_FILES, MANIFEST):
        (out_dir / name).unlink(missing_ok=True)
    folder = out_dir / CHUNK_DIR
    if folder.is_dir():
        # only our own chunk files: anything else the user put there is kept
        for path in folder.iterdir():
            ours = _OWN_CHUNK_FILE.match(path.name) or (
                path.name.startswith(".chunk_") and path.name.endswith(".tmp")
            )
            if ours and path.is_file():
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty


def finished_chunks(out_dir: Path, n_patients: int) -> list[tuple[int, int]]:
    """Patient ranges covered by complete chunk files (stale temporary files are removed).

    Example
    -------
    >>> import pathlib, tempfile
    >>> finished_chunks(pathlib.Path(tempfile.mkdtemp()), 10)
    []
    """
    folder = out_dir / CHUNK_DIR
    if not folder.is_dir():
        return []
    ranges = []
    for path in folder.iterdir():
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)  # left by a killed run; never a finished chunk
            continue
        match = _CHUNK_FILE.match(path.name)
        if match:
            ranges.append((int(match.group(1)), int(match.group(2))))
    ranges.sort()
    position = 0
    for start, stop in ranges:
        if start < position or stop <= start or stop > n_patients:
            raise FileExistsError(
                f"--out: chunk files in {folder} overlap or exceed {n_patients} patients; "
                "pass --overwrite to start again"
            )
        position = stop
    return ranges


def _chunk_path(out_dir: Path, start: int, stop: int, suffix: str) -> Path:
    return out_dir / CHUNK_DIR / f"chunk_{start:09d}_{stop:09d}{suffix}"


def write_chunk(out_dir: Path, result: ChunkResult) -> None:
    """Write a finished chunk atomically: its traces first, then its parquet (the marker).

    Example
    -------
    >>> import pathlib, tempfile, pyarrow as pa
    >>> from hpatwin.trials.chunk import ChunkResult
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> write_chunk(out, ChunkResult(0, 2, pa.table({"patient_id": [0, 1]}), None, 1.0, 1.0))
    >>> finished_chunks(out, 2)
    [(0, 2)]
    """
    if result.traces is not None:
        with atomic_path(_chunk_path(out_dir, result.start, result.stop, ".traces.nc")) as tmp:
            result.traces.to_netcdf(tmp, engine="h5netcdf")
    table = result.table.replace_schema_metadata(timing_metadata(result))
    with atomic_path(_chunk_path(out_dir, result.start, result.stop, ".parquet")) as tmp:
        pq.write_table(table, tmp)


def _write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    with atomic_path(out_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str), "utf-8")


def _merge(out_dir: Path, n_patients: int) -> list[dict[str, float]]:
    """Stream chunk files into ``patients.parquet`` and ``daily.parquet``; merge traces."""
    ranges = finished_chunks(out_dir, n_patients)
    covered = sum(stop - start for start, stop in ranges)
    if covered != n_patients:
        raise RuntimeError(f"merge: chunks cover {covered} of {n_patients} patients")
    timings: list[dict[str, float]] = []
    patients_writer: pq.ParquetWriter | None = None
    daily_writer: pq.ParquetWriter | None = None
    with (
        atomic_path(out_dir / "patients.parquet") as patients_tmp,
        atomic_path(out_dir / "daily.parquet") as daily_tmp,
    ):
        try:
            for start, stop in ranges:
                chunk = pq.read_table(_chunk_path(out_dir, start, stop, ".parquet"))
                meta = chunk.schema.metadata or {}
                if b"hpatwin.timing" in meta:
                    timings.append(json.loads(meta[b"hpatwin.timing"]))
                chunk = chunk.replace_schema_metadata(None)
                daily_names = [n for n in chunk.column_names if n.startswith(DAILY_PREFIX)]
                scalar = chunk.drop_columns(daily_names)
                keys = [c for c in ("patient_id", "arm", "enrolled") if c in chunk.column_names]
                daily = chunk.select([*keys, *daily_names])
                if patients_writer is None or daily_writer is None:
                    patients_writer = pq.ParquetWriter(patients_tmp, scalar.schema)
                    daily_writer = pq.ParquetWriter(daily_tmp, daily.schema)
                patients_writer.write_table(scalar.cast(patients_writer.schema))
                daily_writer.write_table(daily.cast(daily_writer.schema))
        finally:
            if patients_writer is not None:
                patients_writer.close()
            if daily_writer is not None:
                daily_writer.close()
    trace_files = [
        _chunk_path(out_dir, start, stop, ".traces.nc")
        for start, stop in ranges
        if _chunk_path(out_dir, start, stop, ".traces.nc").exists()
    ]
    if trace_files:
        parts = []
        for path in trace_files:
            with xr.open_dataset(path, engine="h5netcdf") as part:
                parts.append(part.load())
        traces = xr.concat(parts, dim="patient").sortby("patient")
        with atomic_path(out_dir / "traces.nc") as tmp:
            traces.to_netcdf(tmp, engine="h5netcdf")
    return timings


def _summarise_timings(timings: list[dict[str, float]]) -> dict[str, float]:
    if not timings:
        return {}
    wall = np.array([t["wall_s"] for t in timings])
    engine = np.array([t["engine_s"] for t in timings])
    overhead = np.array([t["overhead_s"] for t in timings])
    return {
        "chunks": float(len(timings)),
        "chunk_wall_s_mean": float(wall.mean()),
        "chunk_engine_s_mean": float(engine.mean()),
        "chunk_overhead_s_mean": float(overhead.mean()),
        "chunk_overhead_s_max": float(overhead.max()),
        "engine_s_total": float(engine.sum()),
    }


def analyse(prepared: PreparedTrial, patients: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Endpoint summaries per arm and effect sizes vs the control arm.

    Example
    -------
    >>> from hpatwin.trials.spec import _example_spec
    >>> prepared = prepare_trial(_example_spec())
    >>> patients = prepared.patients.assign(**{"endpoint:cortisol_2300_change": 1.0})
    >>> summaries, effects = analyse(prepared, patients)
    >>> list(effects["arm"]), float(effects["estimate"].iloc[0])
    (['relief'], 0.0)
    """
    spec = prepared.spec
    arms = [arm.name for arm in spec.arms]
    columns = prepared.endpoint_columns()
    patients = enrolled_patients(patients)
    summaries = endpoint_table(patients, columns, arms, confidence=spec.statistics.confidence_level)
    control = spec.control_arm_name()
    if control is None:
        return summaries, pd.DataFrame()
    effects = effect_table(
        patients,
        columns,
        arms,
        control,
        n_bootstrap=spec.statistics.bootstrap_samples,
        confidence=spec.statistics.confidence_level,
        seed=spec.derived_seed("statistics"),
        primary=spec.primary_endpoint_key(),
    )
    adjusted = primary_analysis_table(
        patients,
        prepared.endpoints,
        arms,
        control,
        visits_days=spec.visits_days,
        confidence=spec.statistics.confidence_level,
        n_bootstrap=spec.statistics.bootstrap_samples,
        seed=spec.derived_seed("statistics"),
    )
    if not adjusted.empty:
        effects = effects.merge(adjusted, on=["endpoint", "arm"], how="left")
    return summaries, effects


def enrolled_patients(patients: pd.DataFrame) -> pd.DataFrame:
    """The patients who passed screening (all of them in tables without an ``enrolled`` column).

    Example
    -------
    >>> import pandas as pd
    >>> len(enrolled_patients(pd.DataFrame({"enrolled": [True, False]})))
    1
    """
    if "enrolled" not in patients:
        return patients
    return patients[patients["enrolled"].to_numpy(dtype=bool)]


def _write_csv(path: Path, table: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


def run_trial(
    spec: TrialSpec | str | Path,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    overwrite: bool = False,
    progress: bool = True,
    workers: int | None = None,
    chunk_size: int | None = None,
    reuse_complete: bool = False,
    connect_timeout_s: float = 10.0,
    report_writer: ReportWriter | None = None,
) -> TrialResult:
    """Run (or resume) a trial and write its results under ``out_dir``.

    ``report_writer`` writes ``report.html`` when the spec asks for a report; the public
    :func:`hpatwin.trials.run_trial` passes :func:`hpatwin.trials.report.write_report` (the
    report module sits above the runner, so the runner is handed it rather than importing it).

    Everything is validated before any file is written: the spec against the
    model, the output folder (existing results are never replaced without
    ``overwrite``) and the scheduler (see :mod:`hpatwin.trials.execution`).
    Then chunks of ``chunk_size`` patients run in-process or on Dask; each
    finished chunk is written at once; a rerun resumes. ``reuse_complete``
    returns an identical finished run instead of refusing it. The module
    docstring runs a small trial.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from hpatwin.trials.spec import _example_spec
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> run_trial(_example_spec(), out, scheduler="tcp://127.0.0.1:1", connect_timeout_s=1)
    Traceback (most recent call last):
    ...
    ValueError: --scheduler: cannot reach the Dask scheduler at tcp://127.0.0.1:1 ...
    >>> out.exists()
    False
    """
    if not isinstance(spec, TrialSpec):
        spec = load_trial_spec(spec)
    if chunk_size is not None:
        spec = spec.with_overrides(chunk_size=chunk_size)
    if scheduler is not None:
        check_scheduler_address(scheduler)
    out = Path(out_dir)
    prepared = prepare_trial(spec)
    state = inspect_output(
        out, prepared.fingerprint, overwrite=overwrite, reuse_complete=reuse_complete
    )
    if state == "reuse":
        return _load_result(out)
    executor = open_executor(scheduler, workers, connect_timeout_s=connect_timeout_s)
    try:
        return _execute(prepared, out, state, executor, progress, report_writer)
    finally:
        executor.close()


class ReportWriter(Protocol):
    """Writes a finished trial's report (see :func:`hpatwin.trials.report.write_report`)."""

    def __call__(
        self,
        path: Path,
        *,
        prepared: PreparedTrial,
        patients: pd.DataFrame,
        daily_path: Path,
        endpoints: pd.DataFrame,
        effects: pd.DataFrame,
        timing: Mapping[str, float],
    ) -> Path: ...


def _execute(
    prepared: PreparedTrial,
    out: Path,
    state: OutputState,
    executor: Executor,
    progress: bool,
    report_writer: ReportWriter | None,
) -> TrialResult:
    from tqdm.auto import tqdm

    spec = prepared.spec
    started = time.perf_counter()
    if state == "clean":
        _clean(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out) if state == "resume" else None
    if not manifest:
        manifest = {
            "format": MANIFEST_FORMAT,
            "fingerprint": prepared.fingerprint,
            "status": "running",
            "n_patients": prepared.n_patients,
            "spec": spec.model_dump(mode="json"),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        _write_manifest(out, manifest)
    done = finished_chunks(out, prepared.n_patients)
    todo = chunk_ranges(prepared.n_patients, spec.chunk_size, done)
    done_patients = sum(stop - start for start, stop in done)
    write_s = 0.0
    with tqdm(
        total=prepared.n_patients,
        initial=done_patients,
        unit="patient",
        desc=f"trial {spec.name}",
        disable=not progress,
        dynamic_ncols=True,
    ) as bar:
        # in-process chunks report each finished engine block, so the bar moves within a chunk
        moved_within_chunk = [0]

        def block_done(patients: int) -> None:
            moved_within_chunk[0] += patients
            bar.update(patients)

        token = BLOCK_PROGRESS.set(block_done)
        try:
            for result in executor.map_unordered(simulate_chunk, chunk_tasks(prepared, todo)):
                tick = time.perf_counter()
                write_chunk(out, result)
                write_s += time.perf_counter() - tick
                bar.update(result.stop - result.start - moved_within_chunk[0])
                moved_within_chunk[0] = 0
        finally:
            BLOCK_PROGRESS.reset(token)
    tick = time.perf_counter()
    timings = _merge(out, prepared.n_patients)
    patients = pd.read_parquet(out / "patients.parquet")
    summaries, effects = analyse(prepared, patients)
    _write_csv(out / "endpoints.csv", summaries)
    _write_csv(out / "effects.csv", effects)
    timing = _summarise_timings(timings)
    timing["chunk_write_s_total"] = write_s
    if spec.output.report and report_writer is not None:
        report_writer(
            out / "report.html",
            prepared=prepared,
            patients=patients,
            daily_path=out / "daily.parquet",
            endpoints=summaries,
            effects=effects,
            timing=timing,
        )
    timing["finish_s"] = time.perf_counter() - tick
    timing["run_wall_s"] = time.perf_counter() - started
    manifest.update(
        status="complete",
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        executor=executor.description,
        timing=timing,
    )
    _write_manifest(out, manifest)
    return TrialResult(out, summaries, effects, len(todo), len(done), timing)


def _load_result(out: Path) -> TrialResult:
    manifest = _read_manifest(out) or {}
    endpoints = pd.read_csv(out / "endpoints.csv")
    effects_path = out / "effects.csv"
    try:
        effects = pd.read_csv(effects_path)
    except pd.errors.EmptyDataError:
        effects = pd.DataFrame()
    timing = {k: float(v) for k, v in manifest.get("timing", {}).items()}
    n_patients = int(manifest.get("n_patients", 0))
    return TrialResult(out, endpoints, effects, 0, len(finished_chunks(out, n_patients)), timing)


def daily_summary(daily_path: Path, arms: Sequence[str], measures: Sequence[str]) -> xr.Dataset:
    """Per-arm daily mean and SD of each measure, streamed from ``daily.parquet``.

    Returns a Dataset with variables ``<measure>_mean``/``_sd``/``_n`` over
    ``(arm, day)``; memory does not grow with the number of patients. Screen failures
    (``enrolled`` false) are left out.

    Example
    -------
    >>> import pathlib, tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "daily.parquet"
    >>> values = pa.FixedSizeListArray.from_arrays(pa.array([1.0, 2.0, 3.0, 4.0]), 2)
    >>> pq.write_table(pa.table({"arm": ["a", "a"], "daily:phq9": values}), path)
    >>> daily_summary(path, ["a"], ["phq9"])["phq9_mean"].values.tolist()
    [[2.0, 3.0]]
    """
    parquet = pq.ParquetFile(daily_path)
    n_days: int | None = None
    sums: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    squares: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    counts: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    index = {arm: k for k, arm in enumerate(arms)}
    screened = "enrolled" in parquet.schema_arrow.names  # screen failures are left out
    columns = ["arm", *(["enrolled"] if screened else []), *(DAILY_PREFIX + m for m in measures)]
    for batch in parquet.iter_batches(batch_size=4096, columns=columns):
        arm_codes = np.array([index.get(a, -1) for a in batch.column("arm").to_pylist()])
        if screened:
            enrolled = np.asarray(batch.column("enrolled").to_pylist(), dtype=bool)
            arm_codes = np.where(enrolled, arm_codes, -1)
        for measure in measures:
            column = batch.column(DAILY_PREFIX + measure)
            assert isinstance(column, pa.FixedSizeListArray)
            n_days = column.type.list_size
            values = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, n_days)
            if measure not in sums:
                sums[measure] = np.zeros((len(arms), n_days))
                squares[measure] = np.zeros((len(arms), n_days))
                counts[measure] = np.zeros((len(arms), n_days))
            finite = np.isfinite(values)
            clean = np.where(finite, values, 0.0)
            for k in range(len(arms)):
                rows = arm_codes == k
                sums[measure][k] += clean[rows].sum(axis=0)
                squares[measure][k] += (clean[rows] ** 2).sum(axis=0)
                counts[measure][k] += finite[rows].sum(axis=0)
    data: dict[str, Any] = {}
    for measure in measures:
        if measure not in sums:
            continue
        n = counts[measure]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums[measure] / n
            variance = (squares[measure] - n * mean**2) / (n - 1)
        data[f"{measure}_mean"] = (("arm", "day"), mean)
        data[f"{measure}_sd"] = (("arm", "day"), np.sqrt(np.clip(variance, 0, None)))
        data[f"{measure}_n"] = (("arm", "day"), n)
    return xr.Dataset(data, coords={"arm": list(arms), "day": np.arange(n_days or 0)})


__all__ = [
    "ENDPOINT_PREFIX",
    "PreparedTrial",
    "TrialResult",
    "chunk_ranges",
    "chunk_tasks",
    "daily_summary",
    "finished_chunks",
    "inspect_output",
    "prepare_trial",
    "run_trial",
]
