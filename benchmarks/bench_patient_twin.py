"""Patient-twin benchmark: one patient's fit and a 6-protocol forecast, cold and warm.

A virtual clinic patient (6 weeks of EA 2/100 Hz twice weekly, PHQ-9 and NRS at every
session, salivary cortisol at 08:00 and 23:00 on day 0, pre-session heart rate and blood
pressure) is fitted with the default settings (1,024 particles, tempered SMC) and forecast
under six candidate protocols (128 posterior draws × 4 observation replicates), side by side
with a naive baseline in the same run: plain importance sampling from the prior with the
same number of batched forward runs in one batch, reported by its effective sample size.

Targets: fit ≤ 30 s and forecast ≤ 10 s, warm, on 2 cores. Run::

    .venv/bin/python benchmarks/bench_patient_twin.py --json benchmarks/results/patient_twin.json
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

from hpatwin.observation.parameters import ObservationSettings
from hpatwin.patient_twin.data import PatientData
from hpatwin.patient_twin.fit import FitSettings, PatientLikelihood, fit_patient
from hpatwin.patient_twin.forecast import forecast
from hpatwin.patient_twin.priors import twin_prior
from hpatwin.patient_twin.protocols import candidate_protocols, ea_sessions
from hpatwin.patient_twin.runs import ParticleRunner
from hpatwin.patient_twin.smc import SMCSettings

SIX = (
    "ea_2_100hz_twice_weekly",
    "ea_2hz_twice_weekly",
    "ea_100hz_twice_weekly",
    "ea_2_100hz_plus_snri",
    "ea_2_100hz_plus_cbt",
    "usual_care",
)


def clinic_patient() -> PatientData:
    """Six weeks of a plausible comorbid patient improving under EA."""
    days = sorted(d for week in range(0, 42, 7) for d in (week, week + 3))
    phq9 = [19, 18, 18, 17, 16, 16, 15, 14, 14, 13, 12, 12]
    nrs = [7, 7, 7, 6, 6, 6, 5, 5, 5, 5, 4, 4]
    return PatientData.from_arrays(
        phq9=list(zip(days, phq9, strict=True)),
        nrs=list(zip(days, nrs, strict=True)),
        cortisol=[(0, 15.5, 480.0), (0, 2.4, 1380.0)],
        heart_rate=[(d, 74.0 - 0.1 * d, 540.0) for d in days],
        systolic=[(d, 128.0, 540.0) for d in days],
        treatment={"start_weekday": "mon", "ea_sessions": ea_sessions(days, "2/100")},
        session_days=tuple(days),
        age_years=52.0,
        sex="female",
    )


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Wall seconds of each call and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def importance_ess(data: PatientData, particles: int, seed: int) -> float:
    """ESS of plain prior importance sampling with ``particles`` draws in one batch."""
    prior = twin_prior(age_years=data.age_years)
    runner = ParticleRunner(prior, data)
    likelihood = PatientLikelihood(runner, ObservationSettings.default())
    z = np.random.default_rng(seed).standard_normal((particles, prior.size))
    log_likelihood, _ = likelihood(z)
    w = np.exp(log_likelihood - log_likelihood.max())
    return float(w.sum() ** 2 / (w**2).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--particles", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    data = clinic_patient()
    settings = FitSettings(smc=SMCSettings(n_particles=args.particles, seed=1))
    cold_fit, fit = timed(lambda: fit_patient(data, settings), 1)
    warm_fit, fit = timed(lambda: fit_patient(data, settings), args.repeats)
    protocols = [
        p
        for p in candidate_protocols(start_day=data.last_day + 1, horizon_days=84)
        if p.name in SIX
    ]
    cold_forecast, _ = timed(lambda: forecast(fit, protocols), 1)
    warm_forecast, result = timed(lambda: forecast(fit, protocols), args.repeats)
    evaluations = int(fit.diagnostics["evaluations"])
    baseline_particles = args.particles * evaluations
    is_times, ess = timed(lambda: importance_ess(data, baseline_particles, 2), 1)
    report = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
        },
        "patient": {"observations": data.n_observations, "days": data.last_day + 1},
        "fit": {
            "particles": args.particles,
            "cold_s": cold_fit[0],
            "warm_s": warm_fit,
            "warm_median_s": statistics.median(warm_fit),
            "evaluations": evaluations,
            "stages": len(fit.diagnostics["temperatures"]),
            "max_rhat": fit.diagnostics["max_rhat"],
            "ess_per_island_before_last_resampling": fit.diagnostics["final_ess_per_island"],
        },
        "forecast": {
            "protocols": len(protocols),
            "draws": int(result.dataset.sizes["draw"]),
            "cold_s": cold_forecast[0],
            "warm_s": warm_forecast,
            "warm_median_s": statistics.median(warm_forecast),
        },
        "baseline_importance_sampling": {
            "particles": baseline_particles,
            "seconds": is_times[0],
            "ess": ess,
        },
    }
    fit_ratio = statistics.median(warm_fit) / 30.0
    forecast_ratio = statistics.median(warm_forecast) / 10.0
    print(json.dumps(report, indent=2))
    print(
        f"fit {statistics.median(warm_fit):.1f} s warm ({fit_ratio:.2f}× the 30 s target), "
        f"forecast {statistics.median(warm_forecast):.1f} s warm ({forecast_ratio:.2f}× the "
        f"10 s target); importance sampling with the same runs: ESS {ess:.0f} of "
        f"{baseline_particles}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
