"""Engine benchmark: patient-days per second, side by side in one run.

Measures, on the HPA core over 84 days (hourly output):

* JAX engine, one patient (warm: compiled, median of repeats);
* JAX engine, a batch of 1,000 patients with inter-individual parameter variability;
* the same model exported to SBML, in libRoadRunner, looping over patients;
* the SciPy reference path (``solve_ivp`` LSODA), looping over patients.

libRoadRunner and SciPy run the deterministic configuration (no ultradian
pulses, which are inputs they would have to replay segment by segment); the
JAX figures are given for both configurations. Steady-state warm-up is done
once beforehand and timed separately. Run::

    .venv/bin/python benchmarks/bench_engine.py [--patients 1000] [--days 84] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from hpatwin.engine.api import pulse_train_for, steady_state
from hpatwin.engine.jax_engine import run_jax
from hpatwin.engine.prepared import prepare_run
from hpatwin.engine.scipy_engine import run_scipy
from hpatwin.model.catalogue import get_model

VARIED = {  # inter-individual variability: lognormal CV ~10 % around the defaults
    "cortisol_half_life_min": 0.1,
    "acth_half_life_min": 0.1,
    "gr_expression_capacity": 0.1,
    "circadian_amplitude_24h": 0.05,
    "wake_time_h": 0.03,
}


def cohort_parameters(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    model = get_model("hpa_core")
    rng = np.random.default_rng(seed)
    return {
        name: model.parameter(name).value * rng.lognormal(0.0, cv, n) for name, cv in VARIED.items()
    }


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=float, default=84.0)
    parser.add_argument("--roadrunner-patients", type=int, default=20)
    parser.add_argument("--scipy-patients", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()

    model = get_model("hpa_core")
    duration = args.days * 1440.0
    params = cohort_parameters(args.patients)
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "days": args.days,
        "patients": args.patients,
        "rows": [],
    }

    def row(name: str, patients: int, seconds: float, note: str = "") -> None:
        rate = patients * args.days / seconds
        results["rows"].append(
            {
                "case": name,
                "patients": patients,
                "seconds": seconds,
                "patient_days_per_s": rate,
                "note": note,
            }
        )
        print(
            f"{name:<46} {patients:>6} patients {seconds:>9.3f} s {rate:>12.1f} patient-days/s  {note}",
            flush=True,
        )

    start = time.perf_counter()
    initial = steady_state(model, params, {}, n_patients=args.patients)
    row(
        "steady-state warm-up (JAX, 80 d at dt=2)",
        args.patients,
        time.perf_counter() - start,
        "once per cohort; not included below",
    )

    def run_batch(n: int, pulses: bool, dt: float = 1.0, dtype: str = "float64") -> np.ndarray:
        batch = {k: v[:n] for k, v in params.items()}
        inputs = {"ultradian_pulse": pulse_train_for(model, {}, seed=1)} if pulses else {}
        run = prepare_run(
            model,
            duration,
            parameters=batch,
            inputs=inputs,
            initial_state={k: v[:n] for k, v in initial.items()},
            n_patients=n,
            dt=dt,
            output_every=60.0,
        )
        return run_jax(run, dtype)

    for pulses in (False, True):
        label = "pulsatile" if pulses else "deterministic"
        run_batch(1, pulses)  # compile
        seconds, _ = timed(lambda p=pulses: run_batch(1, p), args.repeats)
        row(f"JAX 1 patient ({label}, dt=1 min)", 1, seconds, "warm")
        run_batch(args.patients, pulses)
        seconds, _ = timed(lambda p=pulses: run_batch(args.patients, p), args.repeats)
        row(f"JAX batch ({label}, dt=1 min)", args.patients, seconds, "warm")

    # cohort configuration: coarser step in float32 (accuracy: see docs/engine.md)
    run_batch(args.patients, True, 5.0, "float32")
    seconds, cohort = timed(lambda: run_batch(args.patients, True, 5.0, "float32"), args.repeats)
    row("JAX batch (pulsatile, cohort dt=5 min float32)", args.patients, seconds, "warm")
    fine = run_batch(min(args.patients, 50), True)
    coarse = cohort[:, :, : fine.shape[2]]
    scale = np.abs(fine).max(axis=0, keepdims=True)
    results["cohort_config_max_relative_error"] = float(
        np.max(np.abs(coarse[:, :6] - fine[:, :6]) / scale[:, :6])
    )
    print(
        f"cohort configuration vs dt=1 min float64: max relative error "
        f"{results['cohort_config_max_relative_error']:.2e}"
    )

    twin = get_model("twin")
    twin_initial = steady_state(twin, {}, {}, n_patients=1)
    for n_twin in (1, args.patients):

        def run_twin(n: int = n_twin) -> np.ndarray:
            run = prepare_run(
                twin,
                duration,
                initial_state={k: np.repeat(v, n) for k, v in twin_initial.items()},
                inputs={"ultradian_pulse": pulse_train_for(twin, {}, seed=1)},
                n_patients=n,
                dt=5.0,
                output_every=60.0,
            )
            return run_jax(run, "float32")

        run_twin()
        seconds, _ = timed(run_twin, args.repeats)
        row(f"JAX twin ({len(twin.states)} states, cohort configuration)", n_twin, seconds, "warm")

    try:
        from hpatwin.sbml.roadrunner import RoadRunnerSimulator

        simulator = RoadRunnerSimulator(model, relative_tolerance=1e-6, absolute_tolerance=1e-9)
        times = np.arange(0.0, duration + 1.0, 60.0)
        n_rr = args.roadrunner_patients

        def rr_loop() -> None:
            for i in range(n_rr):
                simulator.run(
                    {k: float(v[i]) for k, v in params.items()},
                    {k: float(v[i]) for k, v in initial.items()},
                    times,
                )

        seconds, _ = timed(rr_loop, 1)
        row("libRoadRunner loop (deterministic, CVODE 1e-6)", n_rr, seconds)
    except ImportError as err:
        print(f"libRoadRunner not available: {err}")

    n_sp = args.scipy_patients

    def scipy_loop() -> np.ndarray:
        run = prepare_run(
            model,
            duration,
            parameters={k: v[:n_sp] for k, v in params.items()},
            initial_state={k: v[:n_sp] for k, v in initial.items()},
            n_patients=n_sp,
            dt=1.0,
            output_every=60.0,
        )
        return run_scipy(run, rtol=1e-6, atol=1e-9)

    seconds, reference = timed(scipy_loop, 1)
    row("SciPy solve_ivp loop (deterministic, LSODA 1e-6)", n_sp, seconds)

    jax_states = run_batch(n_sp, False)
    scale = np.abs(reference).max(axis=0, keepdims=True)
    error = float(np.max(np.abs(jax_states[:, :6] - reference[:, :6]) / scale[:, :6]))
    results["jax_vs_scipy_max_relative_error"] = error
    print(f"JAX (dt=1 min) vs SciPy over {args.days:g} days: max relative error {error:.2e}")

    by_case = {r["case"]: r["patient_days_per_s"] for r in results["rows"]}
    batch = by_case["JAX batch (deterministic, dt=1 min)"]
    for other in (
        "libRoadRunner loop (deterministic, CVODE 1e-6)",
        "SciPy solve_ivp loop (deterministic, LSODA 1e-6)",
    ):
        if other in by_case:
            print(f"ratio JAX batch / {other.split(' (')[0]}: {batch / by_case[other]:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
