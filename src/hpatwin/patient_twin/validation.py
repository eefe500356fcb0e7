"""Validate the patient twin on virtual patients whose truth is known.

Virtual patients are drawn with a fresh seed from the calibrated population (the trial
population generator, :func:`hpatwin.trials.population.generate_population`, phenotype
``comorbid``); the quantities the population does not vary (treatment responsiveness, the
exacerbation at the first visit, resting heart rate and blood pressure) are drawn from the
twin's prior with the same counter-based streams. Each is simulated with ultradian pulses
(its truth) under a known protocol — EA 2/100 Hz twice weekly for 12 weeks — and observed
through the observation layer on a clinic schedule: PHQ-9 and NRS at every session,
salivary cortisol at 08:00 and 23:00 on day 0. The twin is fitted on weeks 0–4 and
forecasts weeks 5–12. Measured, per patient and summarised:

* coverage of the observed week-12 PHQ-9 by the forecast's central 80 % and 95 %
  predictive intervals, read through the randomised probability integral transform (PIT) as
  integer scores need; the inclusive quantile intervals are reported too, with the
  predictive probability they actually hold;
* week-12 PHQ-9 mean absolute error of the twin (predictive median) against
  last-observation-carried-forward and the population-average trajectory for the same
  protocol (the prior predictive mean);
* the protocol choice at week 4 — step EA down to once weekly, or stop it and start
  duloxetine — against
  each patient's truth (lower true expected PHQ-9 at week 12), twin vs population average;
* coverage of the truth by the posterior 80 % interval of every quantity the fit labels
  informed.

Patients are processed in batches and each finished patient is appended to
``patients.jsonl`` in the output folder, so an interrupted run resumes where it stopped.
``python -m hpatwin.patient_twin.validation --patients 200 --out results/twin-validation``
reproduces the figures in docs/patient-twin.md.

Example
-------
>>> settings = ValidationSettings(n_patients=2)
>>> [s["day"] for s in known_protocol_sessions(settings)][:4]
[0, 3, 7, 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hpatwin.io.atomic import atomic_write_text, check_writable
from hpatwin.observation import observe_cortisol_sample, observe_visits
from hpatwin.observation.parameters import ObservationSettings
from hpatwin.patient_twin.data import PatientData, Series
from hpatwin.patient_twin.fit import FitSettings, TwinFit, fit_patient, prior_fit
from hpatwin.patient_twin.forecast import forecast
from hpatwin.patient_twin.priors import POPULATION_FITTED, TwinPrior, twin_prior
from hpatwin.patient_twin.protocols import Protocol, ea_sessions
from hpatwin.patient_twin.runs import ParticleRunner, RunSettings
from hpatwin.patient_twin.smc import SMCSettings
from hpatwin.trials.population import (
    PARAMETER_PREFIX,
    counter_normals,
    counter_uniforms,
    generate_population,
)
from hpatwin.trials.spec import PopulationSpec

Array = NDArray[np.float64]
#: virtual patients are simulated as trials simulate them: 5-min steps with ultradian pulses
TRUTH_RUN = RunSettings(dt_min=5.0)
KNOWN, STEP_DOWN, SWITCH = "continue_ea", "step_down_ea", "switch_to_snri"


@dataclass(frozen=True)
class ValidationSettings:
    """What the validation runs (see the module docstring).

    Example
    -------
    >>> ValidationSettings().n_patients, ValidationSettings().fit_days
    (200, 28)
    """

    n_patients: int = 200
    seed: int = 20261204
    fit_days: int = 28
    horizon_days: int = 84
    phenotype: str = "comorbid"
    batch: int = 50
    draws: int = 128
    reference_particles: int = 512
    fit: FitSettings = field(
        default_factory=lambda: FitSettings(smc=SMCSettings(n_particles=512, n_islands=4))
    )


def known_protocol_sessions(settings: ValidationSettings) -> list[dict[str, Any]]:
    """EA 2/100 Hz twice weekly (Mon/Thu) from day 0 to the horizon."""
    days = [d for week in range(0, settings.horizon_days, 7) for d in (week, week + 3)]
    return ea_sessions([d for d in days if d < settings.horizon_days], "2/100")


def comparison_protocols(settings: ValidationSettings) -> list[Protocol]:
    """The two week-4 choices: step EA down to once weekly, or stop it and start duloxetine.

    The observed course to week 12 (coverage and errors) follows the known protocol, kept
    as a third protocol (``continue_ea``).
    """
    start = settings.fit_days + 1
    future = [s for s in known_protocol_sessions(settings) if s["day"] >= start]
    weekly = [s for s in future if s["day"] % 7 == 0]
    snri = {
        "name": "duloxetine",
        "dose_mg": 30.0,
        "times": ["08:00"],
        "start_day": start,
        "titration": [{"day": start + 7, "dose_mg": 60.0}],
    }
    return [
        Protocol(KNOWN, "Continue EA 2/100 Hz twice weekly", {"ea_sessions": future}),
        Protocol(STEP_DOWN, "Step EA down to once weekly", {"ea_sessions": weekly}),
        Protocol(SWITCH, "Stop EA, start duloxetine 30→60 mg", {"drugs": [snri]}),
    ]


def _history(settings: ValidationSettings) -> dict[str, Any]:
    return {
        "start_weekday": "mon",
        "ea_sessions": [
            s for s in known_protocol_sessions(settings) if s["day"] <= settings.fit_days
        ],
    }


def virtual_patients(settings: ValidationSettings) -> tuple[pd.DataFrame, list[TwinPrior], Array]:
    """The population table, each patient's prior (age-specific) and true coordinates z."""
    table = generate_population(
        PopulationSpec(
            size=settings.n_patients, phenotypes={settings.phenotype: 1.0}, seed=settings.seed
        ),
        "twin",
    )
    ids = table["patient_id"].to_numpy(dtype=np.int64)
    priors = [
        twin_prior(age_years=float(age), phenotype=settings.phenotype) for age in table["age_years"]
    ]
    truth = np.zeros((len(table), priors[0].size))
    for j, name in enumerate(priors[0].names):
        if name in POPULATION_FITTED:
            values = table[PARAMETER_PREFIX + name].to_numpy(dtype=np.float64)
            truth[:, j] = [
                p.quantity(name).to_z(np.array([v]))[0] for p, v in zip(priors, values, strict=True)
            ]
        else:
            truth[:, j] = counter_normals(settings.seed, f"twin-validation:{name}", ids)
    return table, priors, truth


def _truth_runner(settings: ValidationSettings, table: pd.DataFrame) -> ParticleRunner:
    runner = ParticleRunner(
        twin_prior(age_years=None, phenotype=settings.phenotype),
        PatientData(treatment=_history(settings)),
        TRUTH_RUN,
    )
    factors = [
        PatientData(age_years=float(a), sex=str(s)).patient_factors()
        for a, s in zip(table["age_years"], table["sex"], strict=True)
    ]
    for name in list(runner.clearance):
        key = name.removesuffix("_clearance_factor")
        runner.clearance[name] = np.array([f.clearance_factor(key) for f in factors])
    return runner


@dataclass
class Truth:
    """Observed data and true week-12 latent PHQ-9 of a batch of virtual patients."""

    visit_days: list[int]
    phq9: Array  # (n_visits, n) observed
    nrs: Array
    cortisol_morning: Array
    cortisol_evening: Array
    latent_end: dict[str, Array]  # protocol -> true expected PHQ-9 at the horizon


def simulate_truth(
    settings: ValidationSettings, rows: NDArray[np.int64], table: pd.DataFrame, truth_z: Array
) -> Truth:
    """Simulate and observe patients ``rows`` (with pulses) under the known protocol."""
    runner = _truth_runner(settings, table.iloc[rows])
    # a runner's prior maps z to values; age-specific RMSSD centres are applied per patient
    z = truth_z[rows]
    states = runner.baseline_states(z)
    ids = table["patient_id"].to_numpy(dtype=np.int64)[rows]
    sessions = sorted({s["day"] for s in known_protocol_sessions(settings)})
    visit_days = [*sessions, settings.horizon_days]
    latent_end: dict[str, Array] = {}
    observed: Any = None
    cortisol: tuple[Array, Array] | None = None
    for protocol in comparison_protocols(settings):
        treatment = {**_history(settings)}
        for key, entries in protocol.treatment.items():
            treatment[key] = [*treatment.get(key, []), *entries]
        result = runner.run(
            z, states, treatment, days=settings.horizon_days + 1, pulse_seed=settings.seed
        )
        day_index = np.asarray(visit_days, dtype=np.int64)
        latent = {
            "phq9": result.day_means("phq9_expected", day_index),
            "pain_nrs": result.day_means("pain_nrs_expected", day_index),
        }
        latent_end[protocol.name] = latent["phq9"][-1]
        if protocol.name == KNOWN:
            observed = observe_visits(latent, ids, [float(d) for d in visit_days], settings.seed)
            grid = result.times_min
            profile = result.readouts["salivary_cortisol_nmol_l"]
            obs = ObservationSettings.default()
            cortisol = (
                observe_cortisol_sample(
                    grid,
                    profile,
                    480.0,
                    ids,
                    visit=0,
                    seed=settings.seed,
                    evening=False,
                    settings=obs,
                ),
                observe_cortisol_sample(
                    grid,
                    profile,
                    1380.0,
                    ids,
                    visit=0,
                    seed=settings.seed,
                    evening=True,
                    settings=obs,
                ),
            )
    assert observed is not None and cortisol is not None
    return Truth(
        visit_days,
        np.asarray(observed["phq9"].values, dtype=np.float64),
        np.asarray(observed["pain_nrs"].values, dtype=np.float64),
        cortisol[0],
        cortisol[1],
        latent_end,
    )


def patient_data(
    settings: ValidationSettings, truth: Truth, column: int, age: float, sex: str
) -> PatientData:
    """What the clinic has at week 4 for one virtual patient."""
    fitted = [k for k, d in enumerate(truth.visit_days) if d <= settings.fit_days]
    days = [truth.visit_days[k] for k in fitted]
    return PatientData(
        label=f"virtual-{column}",
        phq9=Series.of([(d, truth.phq9[k, column]) for d, k in zip(days, fitted, strict=True)]),
        nrs=Series.of([(d, truth.nrs[k, column]) for d, k in zip(days, fitted, strict=True)]),
        cortisol=Series.of(
            [
                (0, truth.cortisol_morning[column], 480.0),
                (0, truth.cortisol_evening[column], 1380.0),
            ]
        ),
        treatment=_history(settings),
        session_days=tuple(days),
        age_years=age,
        sex=sex,
    )


def _reference(settings: ValidationSettings) -> dict[str, float]:
    """Population-average week-12 observed PHQ-9 per protocol (prior predictive mean)."""
    history = _history(settings)
    data = PatientData(
        treatment=history,
        session_days=tuple(s["day"] for s in history["ea_sessions"]),
        phq9=Series.of([(settings.fit_days, 15.0)]),
    )
    fit = prior_fit(
        data,
        replace(
            settings.fit,
            smc=SMCSettings(
                n_particles=settings.reference_particles, n_islands=4, seed=settings.seed
            ),
        ),
    )
    predicted = forecast(
        fit,
        comparison_protocols(settings),
        horizon_days=settings.horizon_days,
        draws=settings.reference_particles,
        seed=settings.seed + 1,
    )
    end = predicted.dataset["phq9"].sel(day=settings.horizon_days)
    return {str(p): float(end.sel(protocol=p).mean()) for p in end["protocol"].values}


def _patient_row(
    settings: ValidationSettings,
    fit: TwinFit,
    truth: Truth,
    column: int,
    truth_z: Array,
    reference: dict[str, float],
) -> dict[str, Any]:
    predicted = forecast(
        fit,
        comparison_protocols(settings),
        horizon_days=settings.horizon_days,
        draws=settings.draws,
        seed=settings.seed + 2 + column,
    )
    end_obs = float(truth.phq9[-1, column])
    draws = np.asarray(
        predicted.dataset["phq9"].sel(protocol=KNOWN, day=settings.horizon_days).values
    )
    lo80, hi80 = np.quantile(draws, [0.10, 0.90])
    lo95, hi95 = np.quantile(draws, [0.025, 0.975])
    latent_means = {
        p: float(predicted.dataset["phq9_latent"].sel(protocol=p, day=settings.horizon_days).mean())
        for p in (STEP_DOWN, SWITCH)
    }
    fitted_days = fit.data.phq9.days
    locf = float(fit.data.phq9.values[fitted_days <= settings.fit_days][-1])
    truly_better = (
        STEP_DOWN
        if truth.latent_end[STEP_DOWN][column] <= truth.latent_end[SWITCH][column]
        else SWITCH
    )
    twin_pick = STEP_DOWN if latent_means[STEP_DOWN] <= latent_means[SWITCH] else SWITCH
    population_pick = STEP_DOWN if reference[STEP_DOWN] <= reference[SWITCH] else SWITCH
    table = fit.identifiability()
    covered = {}
    for _, row in table.iterrows():
        true_value = fit.prior.quantity(str(row["quantity"])).from_z(
            np.array([truth_z[fit.prior.names.index(str(row["quantity"]))]])
        )[0]
        covered[str(row["quantity"])] = {
            "informed": bool(row["informed"]),
            "covered": bool(row["posterior_p10"] <= true_value <= row["posterior_p90"]),
            "width_ratio": float(row["width_ratio"]),
        }
    return {
        "patient": fit.data.label,
        "observed_end": end_obs,
        "twin_median": float(np.median(draws)),
        "in80": bool(lo80 <= end_obs <= hi80),
        "in95": bool(lo95 <= end_obs <= hi95),
        # integer scores: the inclusive intervals hold more than 80/95 % of the predictive;
        # the randomised PIT (Czado, Gneiting & Held 2009) is the calibration check
        "content80": float(((draws >= lo80) & (draws <= hi80)).mean()),
        "content95": float(((draws >= lo95) & (draws <= hi95)).mean()),
        "pit": _randomised_pit(draws, end_obs, settings.seed, column, fit.data.label),
        "locf": locf,
        "population": reference[KNOWN],
        "truly_better": truly_better,
        "twin_pick": twin_pick,
        "population_pick": population_pick,
        "true_gap": float(truth.latent_end[STEP_DOWN][column] - truth.latent_end[SWITCH][column]),
        "quantities": covered,
        "max_rhat": float(fit.diagnostics["max_rhat"]),
        "fit_seconds": float(fit.diagnostics["fit_seconds"]),
        "forecast_seconds": float(predicted.seconds),
        "flags": len(fit.flags),
    }


def _randomised_pit(draws: Array, observed: float, seed: int, column: int, label: str) -> float:
    """Randomised probability integral transform of an integer observation.

    ``F(y − 1) + V·(F(y) − F(y − 1))`` with ``V`` uniform, keyed by the patient: uniform on
    (0, 1) when the predictive is calibrated, also for integer scores.
    """
    below = float((draws < observed).mean())
    at_or_below = float((draws <= observed).mean())
    index = int(label.rsplit("-", 1)[-1]) if label.rsplit("-", 1)[-1].isdigit() else column
    v = float(counter_uniforms(seed, "twin-validation:pit", np.array([index]))[0])
    return below + v * (at_or_below - below)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The validation figures from per-patient rows (see the module docstring).

    Example
    -------
    >>> row = {"observed_end": 10.0, "twin_median": 9.0, "in80": True, "in95": True,
    ...        "content80": 0.85, "content95": 0.97, "pit": 0.4,
    ...        "locf": 14.0, "population": 12.0, "truly_better": "a", "twin_pick": "a",
    ...        "population_pick": "b", "max_rhat": 1.01,
    ...        "quantities": {"x": {"informed": True, "covered": True, "width_ratio": 0.5}}}
    >>> s = summarise([row])
    >>> s["coverage_80"], s["mae_twin"], s["twin_pick_rate"], s["informed_coverage_80"]
    (1.0, 1.0, 1.0, 1.0)
    """
    frame = pd.DataFrame(rows)
    informed = [q for r in rows for q in r["quantities"].values() if q["informed"]]
    per_quantity: dict[str, dict[str, float]] = {}
    for r in rows:
        for name, q in r["quantities"].items():
            entry = per_quantity.setdefault(name, {"informed": 0.0, "covered": 0.0, "n": 0.0})
            entry["n"] += 1
            entry["informed"] += q["informed"]
            entry["covered"] += q["covered"] and q["informed"]
    return {
        "patients": len(frame),
        "coverage_80": float(frame["pit"].between(0.10, 0.90).mean()),
        "coverage_95": float(frame["pit"].between(0.025, 0.975).mean()),
        "coverage_80_inclusive": float(frame["in80"].mean()),
        "content_80_inclusive": float(frame["content80"].mean()),
        "coverage_95_inclusive": float(frame["in95"].mean()),
        "content_95_inclusive": float(frame["content95"].mean()),
        "mae_twin": float((frame["twin_median"] - frame["observed_end"]).abs().mean()),
        "mae_locf": float((frame["locf"] - frame["observed_end"]).abs().mean()),
        "mae_population": float((frame["population"] - frame["observed_end"]).abs().mean()),
        "twin_pick_rate": float((frame["twin_pick"] == frame["truly_better"]).mean()),
        "population_pick_rate": float((frame["population_pick"] == frame["truly_better"]).mean()),
        "informed_coverage_80": float(np.mean([q["covered"] for q in informed]))
        if informed
        else float("nan"),
        "informed_pairs": len(informed),
        "per_quantity": {
            name: {
                "informed_share": v["informed"] / v["n"],
                "covered_when_informed": v["covered"] / v["informed"]
                if v["informed"]
                else float("nan"),
            }
            for name, v in per_quantity.items()
        },
        "max_rhat_median": float(frame["max_rhat"].median()),
    }


def summary_markdown(summary: dict[str, Any]) -> str:
    """The validation figures as the markdown table docs/patient-twin.md shows.

    Example
    -------
    >>> text = summary_markdown({"patients": 2, "coverage_80": 0.8, "coverage_95": 0.95,
    ...     "coverage_80_inclusive": 0.9, "content_80_inclusive": 0.88,
    ...     "coverage_95_inclusive": 1.0, "content_95_inclusive": 0.97, "mae_twin": 3.0,
    ...     "mae_locf": 4.0, "mae_population": 5.0, "twin_pick_rate": 0.8,
    ...     "population_pick_rate": 0.7, "informed_coverage_80": 0.75, "informed_pairs": 9,
    ...     "max_rhat_median": 1.04, "per_quantity": {}})
    >>> "| coverage of week-12 PHQ-9 by the central 80 % interval (randomised PIT)" in text
    True
    """
    s = summary
    rows = [
        ("virtual patients", f"{s['patients']}", ""),
        (
            "coverage of week-12 PHQ-9 by the central 80 % interval (randomised PIT)",
            f"{s['coverage_80']:.3f}",
            "0.75–0.85",
        ),
        ("… by the central 95 % interval (randomised PIT)", f"{s['coverage_95']:.3f}", "0.90–1.00"),
        (
            "inclusive 80 % quantile interval: coverage / predictive probability it holds",
            f"{s['coverage_80_inclusive']:.3f} / {s['content_80_inclusive']:.3f}",
            "equal",
        ),
        (
            "inclusive 95 % quantile interval: coverage / predictive probability it holds",
            f"{s['coverage_95_inclusive']:.3f} / {s['content_95_inclusive']:.3f}",
            "equal",
        ),
        ("week-12 PHQ-9 MAE: twin (predictive median)", f"{s['mae_twin']:.2f}", "below both"),
        ("… last observation carried forward", f"{s['mae_locf']:.2f}", ""),
        ("… population-average trajectory, same protocol", f"{s['mae_population']:.2f}", ""),
        (
            "week-4 choice (step down to weekly EA vs switch to duloxetine): truly better "
            "protocol picked, twin",
            f"{s['twin_pick_rate']:.3f}",
            "above population",
        ),
        ("… population average", f"{s['population_pick_rate']:.3f}", ""),
        (
            "informed quantities: truth inside the posterior 80 % interval",
            f"{s['informed_coverage_80']:.3f} ({s['informed_pairs']} patient-quantity pairs)",
            "0.70–0.90",
        ),
        (
            "median over patients of the largest R-hat across islands",
            f"{s['max_rhat_median']:.3f}",
            "",
        ),
    ]
    lines = ["| measure | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    per = s.get("per_quantity", {})
    if per:
        lines += [
            "",
            "| quantity | share of fits labelling it informed | truth covered when informed |",
            "|---|---:|---:|",
        ]
        for name, v in per.items():
            covered = v["covered_when_informed"]
            shown = "–" if covered != covered else f"{covered:.2f}"
            lines.append(f"| {name} | {v['informed_share']:.2f} | {shown} |")
    return "\n".join(lines) + "\n"


def run_validation(
    settings: ValidationSettings,
    out_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Run (or resume) the validation into ``out_dir``; returns the summary."""
    check_writable(out_dir, folder=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "patients.jsonl"
    done = (
        {json.loads(line)["patient"]: json.loads(line) for line in log.read_text().splitlines()}
        if log.exists()
        else {}
    )
    table, _, truth_z = virtual_patients(settings)
    reference_path = out_dir / "reference.json"
    if reference_path.exists():
        reference = json.loads(reference_path.read_text())
    else:
        reference = _reference(settings)
        atomic_write_text(reference_path, json.dumps(reference, indent=2))
    started = time.perf_counter()
    for first in range(0, settings.n_patients, settings.batch):
        rows = np.arange(first, min(first + settings.batch, settings.n_patients))
        todo = [r for r in rows if f"virtual-{r}" not in done]
        if not todo:
            continue
        truth = simulate_truth(settings, rows, table, truth_z)
        for local, row in enumerate(rows):
            if f"virtual-{row}" in done:
                continue
            data = patient_data(
                settings,
                truth,
                local,
                float(table["age_years"].iloc[row]),
                str(table["sex"].iloc[row]),
            )
            data = replace(data, label=f"virtual-{row}")
            fit = fit_patient(
                data, replace(settings.fit, smc=replace(settings.fit.smc, seed=int(row)))
            )
            result = _patient_row(settings, fit, truth, local, truth_z[row], reference)
            with log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(result) + "\n")
            done[result["patient"]] = result
            progress(
                f"patient {row + 1}/{settings.n_patients} done "
                f"({time.perf_counter() - started:.0f} s)"
            )
    summary = summarise([done[f"virtual-{r}"] for r in range(settings.n_patients)])
    summary["reference_week12_phq9"] = reference
    summary["settings"] = {
        "n_patients": settings.n_patients,
        "seed": settings.seed,
        "particles": settings.fit.smc.n_particles,
        "draws": settings.draws,
        "fit_days": settings.fit_days,
        "horizon_days": settings.horizon_days,
    }
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2))
    atomic_write_text(out_dir / "summary.md", summary_markdown(summary))
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m hpatwin.patient_twin.validation --patients 200 --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--particles", type=int, default=512)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--out", type=Path, default=Path("results/twin-validation"))
    parser.add_argument(
        "--report", action="store_true", help="Print the markdown table of a finished run."
    )
    args = parser.parse_args(argv)
    if args.report:
        print(summary_markdown(json.loads((args.out / "summary.json").read_text())))
        return 0
    settings = ValidationSettings(
        n_patients=args.patients,
        seed=args.seed,
        fit=FitSettings(smc=SMCSettings(n_particles=args.particles, n_islands=4)),
    )
    summary = run_validation(
        settings, args.out, lambda line: print(line, file=sys.stderr, flush=True)
    )
    print(json.dumps({k: v for k, v in summary.items() if k != "per_quantity"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
