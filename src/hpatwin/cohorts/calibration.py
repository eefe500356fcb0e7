"""Calibration of the twin against the epidemiology targets, through ``hpatwin trial`` itself.

Each population is a trial spec in ``examples/trials/`` run by the one trial runner
(:func:`hpatwin.trials.run_trial`: the one population generator, the one chunked engine,
checkpoints and resume): untreated (usual care only), every patient starting from onset
(``simulation.warmup: onset``: settled with the condition knobs at healthy values, so the
condition develops during the year), no enrolment exacerbation and the model's expected
values. This module only reads the figures off the finished trials' per-patient daily
measures (``daily.parquet``: daily means of PHQ-9 and pain NRS, 08:00 plasma cortisol):

``chronic_pain`` (``calibration_epidemiology_chronic_pain.yaml``)
    among chronic-pain patients, the share whose daily PHQ-9 reaches 10 within the year
    (target 30-60 %; source article; Bair et al. 2003 Arch Intern Med 163:2433).
``depression_pain`` (``calibration_epidemiology_depression_pain.yaml``)
    people with the ``depression`` phenotype and without (``healthy``, whose pain generators
    still vary), each with a chance of one injury in the year (``population.injury``). On the
    classification day (the day of the spec's ``plasma_cortisol_0800`` endpoint, 60) people
    are classed depressed (PHQ-9 ≥ 10; Kroenke, Spitzer & Williams 2001 J Gen Intern Med
    16:606) or not. The relative risk of persistent pain (pain NRS ≥ 4 on every day of some
    90-day window after that day), depressed vs non-depressed, among those not in pain
    (NRS < 4) that day (target 2-4×; source article; Carroll et al. 2004 Pain 107:134,
    HR 3.97); and Cohen's d (pooled SD, ``ddof = 1``) of 08:00 plasma cortisol that day,
    depressed vs non-depressed (target 0.3-0.6; Stetler & Miller 2011 Psychosom Med 73:114).

Run ``python -m hpatwin.cohorts.calibration --patients 2000 --out epidemiology-out`` to
reproduce the figures in ``docs/pain-depression.md`` (``--patients`` per phenotype; each
trial shows its progress bar and is resumable; ``--only NAME`` runs one).

Example
-------
>>> import numpy as np
>>> longest_runs(np.array([[True, True, False, True, True, True], [False] * 6])).tolist()
[3, 0]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from hpatwin.cohorts.treatment_calibration import Target, jsonable, target_line
from hpatwin.io.atomic import atomic_write_text
from hpatwin.trials.chunk import DAILY_PREFIX
from hpatwin.trials.endpoints import configure_endpoints, required_measures
from hpatwin.trials.spec import TrialSpec, TrialSpecError, load_trial_spec
from hpatwin.trials.study import run_trial

Array = NDArray[np.float64]

#: PHQ-9 ≥ 10: depressed (Kroenke, Spitzer & Williams 2001: sensitivity and specificity 88 %)
PHQ9_DEPRESSED = 10.0
#: persistent pain: expected NRS ≥ 4 (moderate pain) on every day of a 90-day window
PERSISTENT_PAIN_NRS = 4.0
PERSISTENT_PAIN_DAYS = 90
#: the endpoint whose day is the classification day of ``depression_pain``
CLASSIFICATION_ENDPOINT = "plasma_cortisol_0800"

#: calibration name -> spec file (in the specs folder, by default ``examples/trials``)
EPIDEMIOLOGY_SPECS: dict[str, str] = {
    "chronic_pain": "calibration_epidemiology_chronic_pain.yaml",
    "depression_pain": "calibration_epidemiology_depression_pain.yaml",
}
#: daily measures each calibration reads
NEEDED_MEASURES: dict[str, tuple[str, ...]] = {
    "chronic_pain": ("phq9",),
    "depression_pain": ("phq9", "pain_nrs", "plasma_cortisol_morning"),
}
DEFAULT_SPECS_DIR = Path("examples/trials")
#: patients per phenotype of the documented run
DEFAULT_PATIENTS = 2000


def longest_runs(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Length of the longest run of ``True`` in each row of a 2-D boolean array.

    >>> longest_runs(np.array([[True, False, True, True]])).tolist()
    [2]
    """
    rows = np.asarray(mask, dtype=bool)
    best = np.zeros(rows.shape[0], dtype=np.int64)
    current = np.zeros(rows.shape[0], dtype=np.int64)
    for column in rows.T:
        current = np.where(column, current + 1, 0)
        np.maximum(best, current, out=best)
    return best


def cohens_d(a: Array, b: Array) -> float:
    """Standardised mean difference ``(mean a − mean b) / pooled SD`` (``ddof = 1``).

    >>> round(cohens_d(np.array([2.0, 3, 4]), np.array([1.0, 2, 3])), 3)
    1.0
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return math.nan
    pooled = math.sqrt(
        ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    )
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else math.nan


def _share(values: NDArray[np.bool_]) -> float:
    return float(values.mean()) if len(values) else math.nan


def classification_day(spec: TrialSpec) -> int:
    """The day of the spec's :data:`CLASSIFICATION_ENDPOINT` (its ``at_day``, else the last visit).

    >>> spec = load_trial_spec("examples/trials/calibration_epidemiology_depression_pain.yaml")
    >>> classification_day(spec)
    60
    """
    for endpoint in spec.endpoints:
        if endpoint.name == CLASSIFICATION_ENDPOINT:
            return spec.visits_days[-1] if endpoint.at_day is None else endpoint.at_day
    raise TrialSpecError(
        [f"endpoints: give {CLASSIFICATION_ENDPOINT} (its at_day is the classification day)"]
    )


def read_daily(path: Path, measures: Sequence[str]) -> tuple[NDArray[np.int64], dict[str, Array]]:
    """Patient ids and each measure's daily values ``(patients, days)`` from ``daily.parquet``.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "daily.parquet"
    >>> values = pa.FixedSizeListArray.from_arrays(pa.array([1.0, 2.0, 3.0, 4.0]), 2)
    >>> pq.write_table(pa.table({"patient_id": [0, 1], "daily:phq9": values}), path)
    >>> ids, daily = read_daily(path, ["phq9"])
    >>> ids.tolist(), daily["phq9"].tolist()
    ([0, 1], [[1.0, 2.0], [3.0, 4.0]])
    """
    columns = [DAILY_PREFIX + m for m in measures]
    table = pq.read_table(path, columns=["patient_id", *columns])
    ids = table.column("patient_id").to_numpy().astype(np.int64)
    out: dict[str, Array] = {}
    for measure, name in zip(measures, columns, strict=True):
        column = table.column(name).combine_chunks()
        assert isinstance(column, pa.FixedSizeListArray)
        flat = column.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
        out[measure] = flat.reshape(len(ids), column.type.list_size)
    return ids, out


# --------------------------------------------------------------------------- the figures
def chronic_pain_figures(
    spec: TrialSpec, patients: pd.DataFrame, daily: Mapping[str, Array]
) -> dict[str, Any]:
    """Share of patients whose daily PHQ-9 reaches 10 on some day of the trial.

    >>> spec = load_trial_spec("examples/trials/calibration_epidemiology_chronic_pain.yaml")
    >>> daily = {"phq9": np.array([[4.0, 9.0, 11.0], [3.0, 5.0, 6.0]])}
    >>> chronic_pain_figures(spec, pd.DataFrame(), daily)["share_phq9_10_within_year"]
    0.5
    """
    reached = np.nanmax(daily["phq9"], axis=1) >= PHQ9_DEPRESSED
    share = _share(reached)
    return {
        "patients": len(reached),
        "reached_phq9_10": int(reached.sum()),
        "share_phq9_10_within_year": share,
        "targets": [
            Target(
                "chronic-pain patients reaching PHQ-9 ≥ 10 within a year (from onset)",
                share,
                0.30,
                0.60,
                "fraction",
                f"{int(reached.sum())} of {len(reached)}",
            )
        ],
    }


def depression_pain_figures(
    spec: TrialSpec, patients: pd.DataFrame, daily: Mapping[str, Array]
) -> dict[str, Any]:
    """Relative risk of persistent pain and morning-cortisol d, depressed vs non-depressed.

    See the module docstring for the definitions; ``patients`` gives the phenotype counts.

    >>> spec = load_trial_spec("examples/trials/calibration_epidemiology_depression_pain.yaml")
    >>> days = 365
    >>> phq9 = np.repeat([[12.0], [12.0], [3.0], [3.0], [3.0], [3.0]], days, axis=1)
    >>> pain = np.zeros((6, days))
    >>> pain[[0, 2], 61:200] = 5.0  # one persistent case in each group
    >>> cortisol = np.repeat([[20.0], [22.0], [15.0], [16.0], [17.0], [18.0]], days, axis=1)
    >>> table = pd.DataFrame({"phenotype": ["depression"] * 2 + ["healthy"] * 4})
    >>> out = depression_pain_figures(spec, table, {"phq9": phq9, "pain_nrs": pain,
    ...                                             "plasma_cortisol_morning": cortisol})
    >>> out["persistent_pain_relative_risk"], out["depressed"], out["non_depressed"]
    (2.0, 2, 4)
    """
    day = classification_day(spec)
    depressed = daily["phq9"][:, day] >= PHQ9_DEPRESSED
    pain = daily["pain_nrs"]
    at_risk = pain[:, day] < PERSISTENT_PAIN_NRS
    persistent = longest_runs(pain[:, day + 1 :] >= PERSISTENT_PAIN_NRS) >= PERSISTENT_PAIN_DAYS
    share_depressed = _share(persistent[depressed & at_risk])
    share_other = _share(persistent[~depressed & at_risk])
    with np.errstate(divide="ignore", invalid="ignore"):
        relative_risk = float(np.float64(share_depressed) / np.float64(share_other))
    cortisol = daily["plasma_cortisol_morning"][:, day]
    d = cohens_d(cortisol[depressed], cortisol[~depressed])
    counts = patients["phenotype"].value_counts() if "phenotype" in patients else pd.Series()
    return {
        "classification_day": day,
        "patients_per_phenotype": {str(k): int(v) for k, v in counts.items()},
        "depressed": int(depressed.sum()),
        "non_depressed": int((~depressed).sum()),
        "at_risk_depressed": int((depressed & at_risk).sum()),
        "at_risk_non_depressed": int((~depressed & at_risk).sum()),
        "persistent_depressed": int(persistent[depressed & at_risk].sum()),
        "persistent_non_depressed": int(persistent[~depressed & at_risk].sum()),
        "persistent_pain_share_depressed": share_depressed,
        "persistent_pain_share_non_depressed": share_other,
        "persistent_pain_relative_risk": relative_risk,
        "morning_cortisol_cohens_d": d,
        "targets": [
            Target(
                "persistent pain (NRS ≥ 4 for 90 days) after the classification day, "
                "depressed vs non-depressed",
                relative_risk,
                2.0,
                4.0,
                "×",
                f"{share_depressed:.1%} vs {share_other:.1%}",
            ),
            Target(
                "08:00 plasma cortisol, depressed (PHQ-9 ≥ 10) vs non-depressed, Cohen's d",
                d,
                0.3,
                0.6,
                "SD",
                f"{int(depressed.sum())} depressed, {int((~depressed).sum())} not",
            ),
        ],
    }


FIGURES: dict[str, Callable[[TrialSpec, pd.DataFrame, Mapping[str, Array]], dict[str, Any]]] = {
    "chronic_pain": chronic_pain_figures,
    "depression_pain": depression_pain_figures,
}


# --------------------------------------------------------------------------- running
def calibration_spec(name: str, path: Path, patients: int | None) -> TrialSpec:
    """Load and check a calibration spec; ``patients`` per phenotype sets the population size.

    The spec must record the daily measures the figures read (:data:`NEEDED_MEASURES`) and
    leave room for the persistent-pain window after the classification day.

    >>> spec = calibration_spec("depression_pain",
    ...     Path("examples/trials/calibration_epidemiology_depression_pain.yaml"), 20)
    >>> spec.population.size, spec.simulation.warmup
    (40, 'onset')
    >>> calibration_spec("chronic_pain",
    ...     Path("examples/trials/calibration_epidemiology_chronic_pain.yaml"), 0)
    Traceback (most recent call last):
    ...
    hpatwin.trials.spec.TrialSpecError: invalid trial spec examples/trials/calibration_epidemiology_chronic_pain.yaml:
      - --patients: 0 must be ≥ 1 (patients per phenotype)
    """
    spec = load_trial_spec(path)
    problems: list[str] = []
    if patients is not None:
        if patients < 1:
            raise TrialSpecError(
                [f"--patients: {patients} must be ≥ 1 (patients per phenotype)"], str(path)
            )
        size = patients * len(spec.population.phenotypes)
        population = spec.population.model_copy(update={"size": size})
        spec = spec.with_overrides(population=population.model_dump())
    try:
        recorded = set(required_measures(configure_endpoints(spec)))
    except ValueError as err:
        raise TrialSpecError(str(err).splitlines(), str(path)) from None
    for measure in NEEDED_MEASURES[name]:
        if measure not in recorded:
            problems.append(
                f"endpoints: the {name} calibration reads the daily measure {measure!r}; give an "
                "endpoint that records it"
            )
    if name == "depression_pain":
        try:
            day = classification_day(spec)
        except TrialSpecError as err:
            problems.extend(err.problems)
        else:
            if day + PERSISTENT_PAIN_DAYS >= spec.duration_days:
                problems.append(
                    f"duration_days: {spec.duration_days} leaves no {PERSISTENT_PAIN_DAYS}-day "
                    f"window after the classification day {day}; set duration_days > "
                    f"{day + PERSISTENT_PAIN_DAYS}"
                )
    if problems:
        raise TrialSpecError(problems, str(path))
    return spec


def run_calibration(
    out_dir: Path,
    *,
    specs_dir: Path = DEFAULT_SPECS_DIR,
    patients: int | None = DEFAULT_PATIENTS,
    only: Sequence[str] | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run each epidemiology trial (reusing finished ones) and write the figures.

    ``patients`` per phenotype (``None``: the specs' sizes). Writes ``out_dir/<name>/`` (the
    trial), ``out_dir/epidemiology.json`` and ``out_dir/epidemiology.md``; returns the
    figures. Every spec is loaded and checked before the first trial starts.

    >>> run_calibration(Path("/tmp/unused"), only=["nonsense"])
    Traceback (most recent call last):
    ...
    hpatwin.trials.spec.TrialSpecError: invalid trial spec:
      - --only: unknown calibration nonsense; known: chronic_pain, depression_pain
    """
    names = list(only) if only else list(EPIDEMIOLOGY_SPECS)
    unknown = [n for n in names if n not in EPIDEMIOLOGY_SPECS]
    if unknown:
        raise TrialSpecError(
            [
                f"--only: unknown calibration {', '.join(unknown)}; "
                f"known: {', '.join(EPIDEMIOLOGY_SPECS)}"
            ]
        )
    specs = {n: calibration_spec(n, specs_dir / EPIDEMIOLOGY_SPECS[n], patients) for n in names}
    say = log or (lambda text: print(text, file=sys.stderr, flush=True))
    figures: dict[str, Any] = {}
    for index, (name, spec) in enumerate(specs.items(), start=1):
        started = time.perf_counter()
        say(
            f"[{index}/{len(specs)}] {name}: {spec.population.size} patients "
            f"({', '.join(spec.population.phenotypes)}), {spec.duration_days} days"
        )
        result = run_trial(
            spec,
            out_dir / name,
            progress=progress,
            reuse_complete=True,
            overwrite=False,
            chunk_size=chunk_size,
        )
        table = result.patients()
        ids, daily = read_daily(result.out_dir / "daily.parquet", NEEDED_MEASURES[name])
        if not np.array_equal(ids, table["patient_id"].to_numpy(dtype=np.int64)):
            raise RuntimeError(f"{result.out_dir}: daily.parquet and patients.parquet disagree")
        entry = FIGURES[name](spec, table, daily)
        entry.update(
            spec=EPIDEMIOLOGY_SPECS[name],
            seed=spec.seed,
            seconds=round(time.perf_counter() - started, 1),
        )
        figures[name] = entry
        for target in entry["targets"]:
            say(f"    {target_line(target)}")
    write_figures(out_dir, figures, patients)
    return figures


def markdown(figures: Mapping[str, Any], patients: int | None) -> str:
    """The figures as a markdown table (figure, target, model, pass/fail).

    >>> text = markdown({"x": {"targets": [Target("share", 0.4, 0.3, 0.6, "fraction")]}}, 10)
    >>> text.splitlines()[-1]
    '| x | share | 0.3 to 0.6 fraction | **0.4** | pass |'
    """
    size = f"{patients} patients per phenotype" if patients else "the specs' sizes"
    lines = [
        f"Epidemiology calibration through `hpatwin trial` ({size}; details in the JSON).",
        "",
        "| trial | figure | target | model | |",
        "|---|---|---|---|---|",
    ]
    for name, entry in figures.items():
        for target in entry["targets"]:
            t = Target.of(target)
            span = f"{t.low:g} to {t.high:g} {t.unit}".strip()
            value = f"**{t.value:.3g}**" + (f" ({t.note})" if t.note else "")
            lines.append(
                f"| {name} | {t.figure} | {span} | {value} | {'pass' if t.passed else 'FAIL'} |"
            )
    return "\n".join(lines) + "\n"


def write_figures(out_dir: Path, figures: Mapping[str, Any], patients: int | None) -> None:
    """Write ``epidemiology.json`` and ``epidemiology.md`` atomically.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> write_figures(out, {"x": {"targets": [Target("d", 0.5, 0.3, 0.6)]}}, 10)
    >>> sorted(p.name for p in out.iterdir())
    ['epidemiology.json', 'epidemiology.md']
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"patients_per_phenotype": patients, "calibrations": jsonable(figures)}
    atomic_write_text(out_dir / "epidemiology.json", json.dumps(data, indent=2) + "\n")
    atomic_write_text(out_dir / "epidemiology.md", markdown(figures, patients))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hpatwin.cohorts.calibration [--patients N] [--out DIR] …``.

    Bad input (an unknown calibration, a missing or invalid spec) prints one ``Error:``
    line and returns 2.

    >>> main(["--only", "nonsense", "--out", "/tmp/unused"])
    2
    """
    parser = argparse.ArgumentParser(
        description="Epidemiology calibration of the twin through hpatwin trial"
    )
    parser.add_argument(
        "--patients", type=int, default=DEFAULT_PATIENTS, help="patients per phenotype"
    )
    parser.add_argument("--out", type=Path, default=Path("epidemiology-out"))
    parser.add_argument("--specs-dir", type=Path, default=DEFAULT_SPECS_DIR)
    parser.add_argument("--only", action="append", help="one calibration (repeat the option)")
    parser.add_argument("--chunk-size", type=int, default=None, help="patients per chunk")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        figures = run_calibration(
            args.out,
            specs_dir=args.specs_dir,
            patients=args.patients,
            only=args.only,
            chunk_size=args.chunk_size,
            progress=not args.no_progress,
        )
    except (TrialSpecError, ValueError, OSError) as err:
        print(f"Error: {err}", file=sys.stderr)
        return 2
    print(markdown(figures, args.patients))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
