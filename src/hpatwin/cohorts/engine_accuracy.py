"""Accuracy of the engine's trial configurations against the dt = 1 min float64 reference.

One trial spec (``examples/trials/engine_accuracy.yaml``: 128 varied comorbid patients, usual
care vs 2/100 Hz EA twice weekly for 12 weeks, seeded ultradian pulses, observation noise off)
runs through the trial machinery once per configuration — the same patients, the same pulses,
the whole pipeline (untreated warm-up, 12 weeks, the model's PHQ-9, pain NRS and 08:00
salivary cortisol at each visit) — and each patient's values are compared with the reference
run's: dt = 1 min, float64, RK4, the warm-up at 2 min and 20 settle days.

Each configuration states its tolerance on the last visit (week 12): PHQ-9 points and 08:00
salivary cortisol in nmol/L. The default configuration's are the performance issue's
targets (0.3 and 0.3); a slow test (``tests/cohorts/test_engine_accuracy.py``) fails when a
configuration drifts outside its own.

Run::

    python -m hpatwin.cohorts.engine_accuracy --out results/engine-accuracy

Example
-------
>>> CONFIGURATIONS["cohort"].tolerance
{'phq9': 0.3, 'cortisol_morning': 0.3}
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpatwin.io.atomic import atomic_write_text
from hpatwin.trials.chunk import simulate_chunk
from hpatwin.trials.runner import chunk_tasks, prepare_trial
from hpatwin.trials.spec import SimulationSpec, TrialSpec, TrialSpecError, load_trial_spec

#: The spec every configuration runs.
DEFAULT_SPEC = Path("examples/trials/engine_accuracy.yaml")
#: Compared at every visit: the model's PHQ-9, pain NRS and 08:00 salivary cortisol (nmol/L).
MEASURES = ("phq9", "pain_nrs", "cortisol_morning")
#: The reference: dt = 1 min, float64, classical RK4 (its warm-up: 2 min, 20 settle days).
REFERENCE_SETTINGS: dict[str, Any] = {
    "time_step_min": 1.0,
    "precision": "float64",
    "integrator": "rk4",
}


@dataclass(frozen=True)
class Configuration:
    """Simulation settings of a trial spec and the largest differences they are allowed
    at the last visit (``tolerance``: measure → absolute difference)."""

    settings: Mapping[str, Any]
    tolerance: Mapping[str, float]
    description: str = ""


#: The configurations this module measures, by name. ``cohort`` is what a trial of the twin
#: runs unless its spec says otherwise.
CONFIGURATIONS: dict[str, Configuration] = {
    "cohort": Configuration(
        {},
        {"phq9": 0.3, "cortisol_morning": 0.3},
        "default: 10-min RK4 steps, float32, warm-up at 10 min with 5 settle days",
    ),
    "cohort_5min": Configuration(
        {"time_step_min": 5.0},
        {"phq9": 0.3, "cortisol_morning": 0.3},
        "the previous default: 5-min RK4 steps, float32",
    ),
    "exponential_warmup_20min": Configuration(
        {"integrator": "exponential_rk4", "warmup_step_min": 20.0},
        {"phq9": 0.3, "cortisol_morning": 0.3},
        "exponential RK4 (ETDRK4) at 10 min, warm-up at 20 min (RK4 is unstable there)",
    ),
    "multirate_60min": Configuration(
        {"slow_step_min": 60.0},
        {"phq9": 1.0, "cortisol_morning": 2.5},
        "opt-in multirate, slow states every 60 min: 25 % faster, too coarse for trials",
    ),
}


def configured_spec(
    spec: TrialSpec, settings: Mapping[str, Any], patients: int | None
) -> TrialSpec:
    """``spec`` with the simulation ``settings`` applied (and ``patients``, one chunk).

    Example
    -------
    >>> spec = load_trial_spec(DEFAULT_SPEC)
    >>> configured_spec(spec, {"time_step_min": 5.0}, 16).simulation.time_step_min
    5.0
    """
    size = spec.population.size if patients is None else patients
    simulation = SimulationSpec.model_validate({**spec.simulation.model_dump(), **settings})
    return spec.model_copy(
        update={
            "population": spec.population.model_copy(update={"size": size}),
            "chunk_size": size,
            "simulation": simulation,
        }
    )


def simulated_visits(spec: TrialSpec) -> pd.DataFrame:
    """Each patient's values of :data:`MEASURES` at every visit (one chunk, in-process)."""
    prepared = prepare_trial(spec)
    result = simulate_chunk(next(iter(chunk_tasks(prepared, [(0, spec.population.size)]))))
    table: pd.DataFrame = result.table.to_pandas().set_index("patient_id").sort_index()
    columns = [c for c in table.columns if c.split("@")[0] in MEASURES and "@day" in c]
    visits: pd.DataFrame = table[columns].astype(np.float64)
    return visits


def differences(reference: pd.DataFrame, run: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Largest and median absolute difference per measure: at the last visit, and the largest
    over every visit.

    Example
    -------
    >>> ref = pd.DataFrame({"phq9@day0": [10.0, 12.0], "phq9@day83": [8.0, 9.0]})
    >>> run = pd.DataFrame({"phq9@day0": [10.1, 12.0], "phq9@day83": [8.0, 8.5]})
    >>> differences(ref, run)["phq9"]
    {'last_max': 0.5, 'last_median': 0.25, 'all_visits_max': 0.5}
    """
    if list(reference.columns) != list(run.columns) or len(reference) != len(run):
        raise ValueError("run: its visits or patients differ from the reference run's")
    out: dict[str, dict[str, float]] = {}
    for measure in MEASURES:
        columns = [c for c in reference.columns if c.split("@")[0] == measure]
        if not columns:
            continue
        last = max(columns, key=lambda c: int(c.rsplit("@day", 1)[1]))
        gap = np.abs(run[columns].to_numpy() - reference[columns].to_numpy())
        last_gap = gap[:, columns.index(last)]
        if not np.isfinite(gap).all():
            raise ValueError(f"run: non-finite {measure} values")
        out[measure] = {
            "last_max": round(float(last_gap.max()), 6),
            "last_median": round(float(np.median(last_gap)), 6),
            "all_visits_max": round(float(gap.max()), 6),
        }
    return out


def within_tolerance(
    measured: Mapping[str, Mapping[str, float]], tolerance: Mapping[str, float]
) -> list[str]:
    """The measures whose last-visit difference exceeds the tolerance (empty: all within).

    Example
    -------
    >>> within_tolerance({"phq9": {"last_max": 0.4}}, {"phq9": 0.3})
    ['phq9: 0.4 > 0.3']
    """
    return [
        f"{name}: {measured[name]['last_max']:g} > {limit:g}"
        for name, limit in tolerance.items()
        if measured[name]["last_max"] > limit
    ]


def measure_accuracy(
    spec: TrialSpec, names: Sequence[str], patients: int | None = None
) -> dict[str, Any]:
    """Run the reference and each named configuration; differences, tolerances, seconds."""
    unknown = [n for n in names if n not in CONFIGURATIONS]
    if unknown:
        raise ValueError(
            f"configuration: unknown {', '.join(unknown)}; known: {', '.join(CONFIGURATIONS)}"
        )
    started = time.perf_counter()
    reference = simulated_visits(configured_spec(spec, REFERENCE_SETTINGS, patients))
    results: dict[str, Any] = {
        "spec": spec.name,
        "patients": len(reference),
        "reference": {"settings": REFERENCE_SETTINGS, "seconds": time.perf_counter() - started},
        "configurations": {},
    }
    for name in names:
        configuration = CONFIGURATIONS[name]
        started = time.perf_counter()
        run = simulated_visits(configured_spec(spec, configuration.settings, patients))
        measured = differences(reference, run)
        results["configurations"][name] = {
            "description": configuration.description,
            "settings": dict(configuration.settings),
            "tolerance": dict(configuration.tolerance),
            "differences": measured,
            "outside_tolerance": within_tolerance(measured, configuration.tolerance),
            "seconds": time.perf_counter() - started,
        }
    return results


def markdown(results: Mapping[str, Any]) -> str:
    """The results as a Markdown table (max / median at week 12; max over all visits).

    Example
    -------
    >>> gap = {"last_max": 0.1, "last_median": 0.01, "all_visits_max": 0.2}
    >>> row = {"description": "d", "differences": {m: gap for m in MEASURES},
    ...        "tolerance": {"phq9": 0.3, "cortisol_morning": 0.3}, "outside_tolerance": []}
    >>> text = markdown({"patients": 8, "spec": "s", "configurations": {"cohort": row}})
    >>> text.splitlines()[-1].endswith("| 0.3, 0.3 | yes |")
    True
    """
    lines = [
        f"Engine accuracy: {results['patients']} patients, spec `{results['spec']}`, against "
        "dt = 1 min float64 RK4 (absolute differences: week 12 max / median; all visits max).",
        "",
        "| configuration | PHQ-9 | pain NRS | 08:00 salivary cortisol (nmol/L) | tolerance (PHQ-9, "
        "cortisol) | within |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in results["configurations"].items():
        cells = []
        for measure in MEASURES:
            d = row["differences"][measure]
            cells.append(f"{d['last_max']:.3f} / {d['last_median']:.4f}; {d['all_visits_max']:.3f}")
        tolerance = row["tolerance"]
        lines.append(
            f"| `{name}`: {row['description']} | {' | '.join(cells)} | "
            f"{tolerance.get('phq9', float('nan')):g}, {tolerance.get('cortisol_morning', float('nan')):g} | "
            f"{'yes' if not row['outside_tolerance'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: measure, print the table, write ``accuracy.json``/``accuracy.md``.

    Exit code 0 when every configuration is within its tolerance, 1 when one is not and
    2 for bad input.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--patients", type=int, default=None, help="default: the spec's (128)")
    parser.add_argument("--only", default=",".join(CONFIGURATIONS))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    try:
        if args.patients is not None and not 8 <= args.patients <= 100_000:
            raise ValueError(f"--patients: {args.patients} is outside 8..100000")
        spec = load_trial_spec(args.spec)
        results = measure_accuracy(spec, names, args.patients)
    except (OSError, ValueError, TrialSpecError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = markdown(results)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out / "accuracy.json", json.dumps(results, indent=2))
        atomic_write_text(args.out / "accuracy.md", text)
    failed = any(row["outside_tolerance"] for row in results["configurations"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
