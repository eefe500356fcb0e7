"""Full-model benchmark: the twin (HPA core + pain–depression layer + treatments) with an EA arm.

Side by side in one run, on a seeded comorbid population with inter-individual
variability, 12 weeks, EA 2/100 Hz twice weekly (``examples/plans``):

* steady-state warm-up (cohort configuration: dt = 10 min, float32, once per cohort);
* JAX, cohort configuration (the twin's cohort step, 10 min, float32, seeded ultradian pulses), batches of
  ``--batch`` patients (default 5,120: two equal device shares, multiples of 16 float32 lanes),
  recording the four trial readouts hourly;
* JAX deterministic configuration (no pulses, same step) and libRoadRunner on the same
  model exported to SBML (CVODE, EA sessions replayed as input segments), looping
  over patients (the target: JAX ≥ 150× libRoadRunner);
* one patient × 12 weeks, warm, through :func:`hpatwin.simulate` in the cohort
  configuration and in the accuracy-test configuration (dt = 1 min, float64).

Run::

    .venv/bin/python benchmarks/bench_twin.py --patients 10000 --json benchmarks/results/twin.json

The trial-level figures (``hpatwin trial`` end to end, peak memory, Dask workers)
come from ``benchmarks/bench_trial.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import hpatwin
from hpatwin.cohorts.population import generate_population, population_parameters
from hpatwin.engine.api import pulse_train_for, steady_state
from hpatwin.engine.inputs import Schedule
from hpatwin.engine.jax_engine import cpu_device_count, run_jax_recorded
from hpatwin.engine.prepared import prepare_run
from hpatwin.model.catalogue import get_model
from hpatwin.treatments import compile_plan, load_plan

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "plans" / "ea_2_100hz_low_back_12w.yaml"
READOUTS = ["phq9_expected", "pain_nrs_expected", "salivary_cortisol_nmol_l", "rmssd_ms"]
WARMUP_DT_MIN = 10.0
COHORT_DT_MIN = get_model("twin").defaults.effective_cohort_time_step
TRANSIENT = ("dex_gut_mg", "dex_plasma_ng_ml", "crh_exogenous")


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall seconds of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def population(n: int, seed: int) -> dict[str, np.ndarray]:
    """Per-patient twin parameters of a seeded comorbid population (no injury events)."""
    table = generate_population(n, {"comorbid": 1.0}, seed=seed)
    params = population_parameters(table)
    for name in ("injury_nociception", "injury_onset_day"):
        params.pop(name, None)
    return params


def segments(
    inputs: Mapping[str, Any], default: Mapping[str, float]
) -> list[tuple[float, dict[str, float]]]:
    """Input schedules as ``(time, {input: value})`` change points for libRoadRunner."""
    changes: dict[float, dict[str, float]] = {}
    for name, value in inputs.items():
        if isinstance(value, Schedule):
            for t, v in value.changes:
                changes.setdefault(float(t), {})[name] = float(v)
        else:
            changes.setdefault(0.0, {})[name] = float(value)
    return sorted(changes.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=5_120)
    parser.add_argument("--days", type=float, default=84.0)
    parser.add_argument("--roadrunner-patients", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    model = get_model("twin")
    duration = args.days * 1440.0
    plan = compile_plan(load_plan(PLAN), args.days)
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "jax_cpu_devices": cpu_device_count(),
        },
        "model": f"twin ({len(model.states)} states, {len(model.parameters)} parameters)",
        "plan": PLAN.name,
        "days": args.days,
        "rows": [],
    }

    def row(
        name: str, patients: int, seconds: float, days: float = args.days, note: str = ""
    ) -> None:
        rate = patients * days / seconds
        results["rows"].append(
            {
                "case": name,
                "patients": patients,
                "days": days,
                "seconds": seconds,
                "patient_days_per_s": rate,
                "note": note,
            }
        )
        print(
            f"{name:<62} {patients:>6} pts {seconds:>9.2f} s {rate:>10.0f} patient-days/s {note}",
            flush=True,
        )

    params = population(args.patients, args.seed)
    params.update({k: v for k, v in plan.parameters.items()})

    def batch_slices(n: int) -> list[slice]:
        return [slice(i, min(i + args.batch, n)) for i in range(0, n, args.batch)]

    def warm_up(n: int) -> dict[str, np.ndarray]:
        parts = []
        for part in batch_slices(n):
            parts.append(
                steady_state(
                    model,
                    {k: np.asarray(v)[part] if np.ndim(v) else v for k, v in params.items()},
                    n_patients=part.stop - part.start,
                    dt=WARMUP_DT_MIN,
                    dtype="float32",
                )
            )
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    warm_up(min(args.batch, args.patients))  # compile
    seconds, initial = timed(lambda: warm_up(args.patients), 1)
    row(
        "steady-state warm-up (80 d, dt=10 min, float32)",
        args.patients,
        seconds,
        days=80.0,
        note="once per cohort",
    )

    def run_cohort(n: int, pulses: bool) -> dict[str, np.ndarray]:
        out: list[dict[str, np.ndarray]] = []
        for part in batch_slices(n):
            size = part.stop - part.start
            inputs: dict[str, Any] = dict(plan.inputs)
            if pulses:
                inputs["ultradian_pulse"] = pulse_train_for(model, {}, seed=args.seed)
            run = prepare_run(
                model,
                duration,
                parameters={k: np.asarray(v)[part] if np.ndim(v) else v for k, v in params.items()},
                initial_state={k: v[part] for k, v in initial.items()},
                inputs=inputs,
                n_patients=size,
                dt=COHORT_DT_MIN,
                output_every=60.0,
                patient_offset=part.start,
                seed=args.seed,
            )
            out.append(run_jax_recorded(run, READOUTS, "float32"))
        return {k: np.concatenate([o[k] for o in out], axis=1) for k in out[0]}

    for pulses, label in ((True, "pulsatile"), (False, "deterministic")):
        run_cohort(min(args.batch, args.patients), pulses)  # compile
        seconds, cohort = timed(lambda p=pulses: run_cohort(args.patients, p), args.repeats)
        row(
            f"JAX twin + EA, cohort configuration ({label}, dt={COHORT_DT_MIN:g} min, f32)",
            args.patients,
            seconds,
        )
        if not pulses:
            deterministic = cohort

    # libRoadRunner on the same model's SBML, deterministic, EA sessions as input segments
    try:
        from hpatwin.sbml.roadrunner import RoadRunnerSimulator

        simulator = RoadRunnerSimulator(model, relative_tolerance=1e-6, absolute_tolerance=1e-9)
        times = np.arange(0.0, duration + 1.0, 60.0)
        plan_segments = segments(plan.inputs, {})
        n_rr = args.roadrunner_patients

        def rr_loop() -> np.ndarray:
            values = []
            for i in range(n_rr):
                values.append(
                    simulator.run(
                        {
                            k: float(np.asarray(v)[i]) if np.ndim(v) else float(v)
                            for k, v in params.items()
                        },
                        {k: float(v[i]) for k, v in initial.items()},
                        times,
                        plan_segments,
                        variables=READOUTS,
                    )
                )
            return np.stack(values, axis=-1)  # (time, readout, patient)

        seconds, rr = timed(rr_loop, 1)
        row("libRoadRunner loop on the SBML export (deterministic, CVODE 1e-6)", n_rr, seconds)
        errors = {}
        for k, name in enumerate(READOUTS):
            ref = rr[:, k, :]
            ours = deterministic[name][:, :n_rr]
            errors[name] = float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))
        results["jax_cohort_vs_roadrunner_max_error_of_range"] = errors
        print("JAX cohort configuration vs libRoadRunner (max |error| / max |value|):", errors)
    except ImportError as err:
        print(f"libRoadRunner not available: {err}")

    # one patient, 12 weeks, warm, through the public API
    one = {k: v[:1] for k, v in initial.items()}
    for label, kwargs in (
        (f"cohort configuration, dt={COHORT_DT_MIN:g} min f32", {"dt": COHORT_DT_MIN, "dtype": "float32"}),
        ("accuracy configuration, dt=1 min f64", {"dt": 1.0, "dtype": "float64"}),
    ):

        def single(kw: dict[str, Any] = kwargs) -> Any:
            return hpatwin.simulate(
                "twin",
                days=args.days,
                phenotype="comorbid",
                plan=PLAN,
                initial_state=one,
                output_every=60.0,
                **kw,
            )

        single()
        seconds, _ = timed(single, args.repeats)
        row(
            f"hpatwin.simulate, 1 patient + EA plan, all variables ({label})",
            1,
            seconds,
            note="warm",
        )

    by_case = {r["case"]: r["patient_days_per_s"] for r in results["rows"]}
    jax_det = by_case[f"JAX twin + EA, cohort configuration (deterministic, dt={COHORT_DT_MIN:g} min, f32)"]
    rr_rate = by_case.get("libRoadRunner loop on the SBML export (deterministic, CVODE 1e-6)")
    if rr_rate:
        results["ratio_jax_deterministic_vs_roadrunner"] = jax_det / rr_rate
        print(f"ratio JAX (deterministic) / libRoadRunner: {jax_det / rr_rate:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
