"""Fit the twin to one patient: the posterior of the fitted quantities given the record.

:func:`fit_patient` weighs population-prior draws by the likelihood of the patient's data
(:mod:`hpatwin.observation.likelihood`) with tempered SMC (:mod:`hpatwin.patient_twin.smc`),
each likelihood call being one batched forward run of all particles over the observed days
(:mod:`hpatwin.patient_twin.runs`). The result, a :class:`TwinFit`, keeps the posterior
particles with their day-0 states, the fluctuation each particle's filter estimated at the
last visit (the forecast continues it), diagnostics (tempering ladder, ESS, acceptance,
R-hat across islands), identifiability (prior vs posterior width, correlations), and
flags: too little data (a prior-based fit), implausible values left out, contradictory
observations and observations the fitted twin cannot explain.

Example
-------
>>> from hpatwin.patient_twin.data import PatientData
>>> from hpatwin.patient_twin.smc import SMCSettings
>>> data = PatientData.from_arrays(phq9=[(0, 17)], nrs=[(0, 7)])
>>> fit = fit_patient(data, FitSettings(smc=SMCSettings(n_particles=64, n_islands=2)))
>>> fit.prior_based, fit.diagnostics["temperatures"][-1]
(True, 1.0)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hpatwin.observation.likelihood import (
    cortisol_log_likelihood,
    is_evening,
    lognormal_log_likelihood,
    normal_log_likelihood,
    score_filter,
)
from hpatwin.observation.parameters import ObservationSettings
from hpatwin.patient_twin.data import PatientData, Series
from hpatwin.patient_twin.parameters import value as twin_value
from hpatwin.patient_twin.priors import DEFAULT_PHENOTYPE, TwinPrior, twin_prior
from hpatwin.patient_twin.runs import ParticleRunner, RunResult, RunSettings
from hpatwin.patient_twin.smc import LogLikelihood, SMCResult, SMCSettings, tempered_smc
from hpatwin.simulation.provenance import hpatwin_version

Array = NDArray[np.float64]
#: plausible ranges; values outside are left out of the fit and flagged
PLAUSIBLE = {
    "cortisol": (0.05, 100.0, "nmol/L (salivary)"),
    "rmssd": (3.0, 250.0, "ms"),
    "heart_rate": (30.0, 180.0, "beats/min"),
    "systolic": (70.0, 240.0, "mmHg"),
}
#: a change larger than this between two administrations at most 2 days apart is flagged
CONTRADICTION_POINTS = {"phq9": 10.0, "nrs": 5.0}
#: an observation whose standardised residual under the fitted twin exceeds this is flagged
OUTLIER_Z = 3.3
#: posterior / prior 80 % width above this: the data do not inform the quantity
INFORMED_WIDTH_RATIO = 0.8
#: fewer visits with a PHQ-9 or NRS than this give a prior-based fit (one visit sets a
#: level, not a course: the forecast course is the population's)
MIN_VISITS_FOR_FIT = 2
SCORE_MEASURES = {"phq9": "phq9_expected", "nrs": "pain_nrs_expected"}
_Z80 = 1.2815515655446004


@dataclass(frozen=True)
class FitSettings:
    """How to fit: SMC and engine settings, the prior's phenotype and the model.

    Example
    -------
    >>> FitSettings().smc.n_particles, FitSettings().phenotype
    (1024, 'comorbid')
    """

    smc: SMCSettings = field(default_factory=SMCSettings)
    run: RunSettings = field(default_factory=RunSettings)
    phenotype: str = DEFAULT_PHENOTYPE
    model: str = "twin"

    def as_dict(self) -> dict[str, Any]:
        """Plain settings (stored with every fit)."""
        return {
            "smc": dict(vars(self.smc)),
            "run": dict(vars(self.run)),
            "phenotype": self.phenotype,
            "model": self.model,
        }


@dataclass
class TwinFit:
    """A fitted twin: posterior particles and everything needed to forecast and audit it."""

    data: PatientData
    prior: TwinPrior
    settings: FitSettings
    z: Array
    island: NDArray[np.int64]
    baseline_states: dict[str, Array]
    fluctuation: dict[str, Array]
    diagnostics: dict[str, Any]
    flags: list[str]
    prior_based: bool
    created_at: str
    version: str

    @property
    def n_particles(self) -> int:
        """Number of posterior particles."""
        return len(self.z)

    def values(self) -> dict[str, Array]:
        """Posterior particles in natural units, by quantity."""
        return self.prior.values(self.z)

    def identifiability(self) -> pd.DataFrame:
        """Prior vs posterior per quantity: medians, 80 % intervals, width ratio, informed.

        Example
        -------
        >>> # see docs/patient-twin.md for a table from a real fit
        """
        rows = []
        posterior = self.values()
        for i, q in enumerate(self.prior.quantities):
            prior_low, prior_mid, prior_high = q.from_z(np.array([-_Z80, 0.0, _Z80]))
            low, mid, high = np.quantile(posterior[q.name], [0.1, 0.5, 0.9])
            ratio = (high - low) / max(prior_high - prior_low, 1e-12)
            rows.append(
                {
                    "quantity": q.name,
                    "unit": q.unit,
                    "prior_median": prior_mid,
                    "prior_p10": prior_low,
                    "prior_p90": prior_high,
                    "posterior_median": mid,
                    "posterior_p10": low,
                    "posterior_p90": high,
                    "width_ratio": ratio,
                    "informed": bool(ratio < INFORMED_WIDTH_RATIO),
                    "z_mean": float(self.z[:, i].mean()),
                }
            )
        return pd.DataFrame(rows)

    def correlations(self) -> pd.DataFrame:
        """Posterior correlations of the fitted quantities (standard-normal coordinates)."""
        names = list(self.prior.names)
        corr = np.corrcoef(self.z, rowvar=False)
        return pd.DataFrame(np.nan_to_num(corr), index=names, columns=names)


def data_flags(data: PatientData) -> tuple[PatientData, list[str]]:
    """Leave implausible values out and list them; flag contradictory score pairs.

    Example
    -------
    >>> data = PatientData.from_arrays(phq9=[(0, 25), (1, 4)], cortisol=[(0, 900.0, 480)])
    >>> cleaned, flags = data_flags(data)
    >>> cleaned.cortisol.size, len(flags)
    (0, 2)
    """
    flags: list[str] = []
    kept: dict[str, Series] = {}
    for measure, (low, high, unit) in PLAUSIBLE.items():
        series: Series = getattr(data, measure)
        ok = (series.values >= low) & (series.values <= high) & np.isfinite(series.values)
        for day in series.days[~ok]:
            flags.append(
                f"implausible {measure} on day {int(day)} (outside {low:g}-{high:g} {unit}): "
                "left out of the fit; check the entry"
            )
        kept[measure] = Series(series.days[ok], series.values[ok], series.minutes[ok])
    for measure, limit in CONTRADICTION_POINTS.items():
        series = getattr(data, measure)
        for k in range(1, series.size):
            gap = int(series.days[k] - series.days[k - 1])
            change = abs(float(series.values[k] - series.values[k - 1]))
            if gap <= 2 and change > limit:
                flags.append(
                    f"contradictory {measure}: {change:g} points apart within {gap} day(s) "
                    f"(days {int(series.days[k - 1])} and {int(series.days[k])}); both kept, "
                    "check the entries"
                )
    cleaned = PatientData(**{**vars(data), **kept})
    return cleaned, flags


class PatientLikelihood:
    """The log-likelihood of one patient's data for a batch of particles.

    Calling it runs the particles from their steady states over the observed days and
    sums every measure's log-likelihood; the payload carries each particle's day-0 state
    and the fluctuation its filters estimated at the last visit.
    """

    def __init__(self, runner: ParticleRunner, observation: ObservationSettings) -> None:
        self.runner = runner
        self.observation = observation
        self.data = runner.data
        self.days = self.data.last_day + 1

    def __call__(self, z: Array) -> tuple[Array, dict[str, Array]]:
        """Log-likelihoods ``(n,)`` and payload of particles ``z``."""
        states = self.runner.baseline_states(z)
        result = self.runner.run(z, states, self.data.treatment, days=self.days)
        total, payload, _ = self.evaluate(result, len(z))
        payload.update({f"state:{k}": v for k, v in states.items()})
        return total, payload

    def evaluate(
        self, result: RunResult, n: int
    ) -> tuple[Array, dict[str, Array], dict[str, Array]]:
        """Log-likelihood, fluctuation payload and standardised residuals of a run."""
        total = np.zeros(n)
        payload: dict[str, Array] = {}
        residuals: dict[str, Array] = {}
        for measure, readout in SCORE_MEASURES.items():
            series: Series = getattr(self.data, measure)
            name = "phq9" if measure == "phq9" else "pain_nrs"
            if not series.size:
                payload[f"fluctuation:{name}:mean"] = np.zeros(n)
                payload[f"fluctuation:{name}:var"] = np.full(n, np.nan)
                continue
            latent = result.day_means(readout, series.days)
            filtered = score_filter(
                series.values, series.days.astype(np.float64), latent, name, self.observation
            )
            total += filtered.log_likelihood
            payload[f"fluctuation:{name}:mean"] = filtered.last_mean
            payload[f"fluctuation:{name}:var"] = filtered.last_var
            residuals[measure] = filtered.standardised
        cortisol = self.data.cortisol
        if cortisol.size:
            minutes = cortisol.days * 1440.0 + cortisol.minutes
            latent, slope = result.at_times("salivary_cortisol_nmol_l", minutes)
            evening = is_evening(cortisol.minutes)
            sd = np.where(
                evening,
                twin_value("cortisol_day_to_day_sd_log_evening"),
                twin_value("cortisol_day_to_day_sd_log_morning"),
            )
            ll = np.zeros(n)
            parts = []
            for k in range(cortisol.size):
                one, z_k = cortisol_log_likelihood(
                    cortisol.values[k : k + 1],
                    cortisol.minutes[k : k + 1],
                    latent[k : k + 1],
                    slope[k : k + 1],
                    self.observation,
                    biological_sd_log=float(sd[k]),
                )
                ll += one
                parts.append(z_k)
            total += ll
            residuals["cortisol"] = np.concatenate(parts)
        for measure, readout, noise in (
            ("rmssd", "rmssd_ms", None),
            ("heart_rate", "heart_rate_bpm", "heart_rate_visit_sd_bpm"),
            ("systolic", "systolic_bp_mmhg", "systolic_visit_sd_mmhg"),
        ):
            series = getattr(self.data, measure)
            if not series.size:
                continue
            expected, _ = result.at_times(readout, series.days * 1440.0 + series.minutes)
            if noise is None:
                ll, z_m = lognormal_log_likelihood(
                    series.values, expected, self.observation.value("rmssd_day_to_day_sd_log")
                )
            else:
                ll, z_m = normal_log_likelihood(series.values, expected, twin_value(noise))
            total += ll
            residuals[measure] = z_m
        return total, payload, residuals


def _outlier_flags(
    likelihood: PatientLikelihood, smc: SMCResult, runner: ParticleRunner
) -> list[str]:
    """Observations the fitted twin cannot explain (posterior-mean |z| > :data:`OUTLIER_Z`)."""
    pick = np.linspace(0, len(smc.z) - 1, min(64, len(smc.z))).astype(np.int64)
    z = smc.z[pick]
    states = {
        k.removeprefix("state:"): v[pick] for k, v in smc.payload.items() if k.startswith("state:")
    }
    result = runner.run(z, states, likelihood.data.treatment, days=likelihood.days)
    _, _, residuals = likelihood.evaluate(result, len(z))
    flags = []
    for measure, values in residuals.items():
        series: Series = getattr(likelihood.data, measure)
        mean_z = np.asarray(values).mean(axis=1)
        for k in np.flatnonzero(np.abs(mean_z) > OUTLIER_Z):
            direction = "higher" if mean_z[k] > 0 else "lower"
            flags.append(
                f"{measure} on day {int(series.days[k])} is much {direction} than the fitted "
                f"twin explains (z = {mean_z[k]:+.1f}); check the entry or the model's fit"
            )
    return flags


def fit_patient(data: PatientData, settings: FitSettings | None = None) -> TwinFit:
    """Fit the twin to one patient's data (see the module docstring)."""
    chosen = settings or FitSettings()
    cleaned, flags = data_flags(data)
    scores = cleaned.phq9.size + cleaned.nrs.size
    if scores == 0:
        raise ValueError("data: no PHQ-9 or pain NRS to fit; record at least one")
    prior = twin_prior(age_years=cleaned.age_years, phenotype=chosen.phenotype, model=chosen.model)
    runner = ParticleRunner(prior, cleaned, chosen.run, chosen.model)
    likelihood = PatientLikelihood(runner, ObservationSettings.default())
    started = time.perf_counter()
    loglik: LogLikelihood = likelihood
    smc = tempered_smc(loglik, prior.size, chosen.smc)
    elapsed = time.perf_counter() - started
    visits = len(set(cleaned.phq9.days.tolist()) | set(cleaned.nrs.days.tolist()))
    prior_based = visits < MIN_VISITS_FOR_FIT
    if prior_based:
        flags.append(
            f"PHQ-9/NRS from {visits} visit only: the forecast course is the population's "
            "(prior-based), not yet this patient's"
        )
    if smc.truncated:
        flags.append(
            "the SMC evaluation budget ended the tempering early; the posterior is an "
            f"importance-weighted jump (ESS {smc.final_ess:.0f} per island)"
        )
    flags.extend(_outlier_flags(likelihood, smc, runner))
    diagnostics: dict[str, Any] = {
        "temperatures": smc.temperatures,
        "stage_ess": [s.ess for s in smc.stages],
        "stage_acceptance": [s.acceptance for s in smc.stages],
        "evaluations": smc.evaluations,
        "truncated": smc.truncated,
        "final_ess_per_island": smc.final_ess,
        "unique_fraction": smc.unique_fraction,
        "rhat": dict(zip(prior.names, [float(r) for r in smc.rhat], strict=True)),
        "max_rhat": float(np.max(smc.rhat)),
        "fit_seconds": elapsed,
        "n_observations": cleaned.n_observations,
    }
    return TwinFit(
        data=cleaned,
        prior=prior,
        settings=chosen,
        z=smc.z,
        island=smc.island,
        baseline_states={
            k.removeprefix("state:"): v for k, v in smc.payload.items() if k.startswith("state:")
        },
        fluctuation={
            k.removeprefix("fluctuation:"): v
            for k, v in smc.payload.items()
            if k.startswith("fluctuation:")
        },
        diagnostics=diagnostics,
        flags=flags,
        prior_based=prior_based,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        version=hpatwin_version(),
    )


def prior_fit(data: PatientData, settings: FitSettings | None = None) -> TwinFit:
    """The population prior in a fit's form: draws and their day-0 states, no data used.

    The population-average forecast for a protocol is this fit's forecast; the patient
    twin's validation compares against it.

    Example
    -------
    >>> from hpatwin.patient_twin.smc import SMCSettings
    >>> fit = prior_fit(PatientData(), FitSettings(smc=SMCSettings(n_particles=16, n_islands=2)))
    >>> fit.prior_based, fit.z.shape[0]
    (True, 16)
    """
    chosen = settings or FitSettings()
    prior = twin_prior(age_years=data.age_years, phenotype=chosen.phenotype, model=chosen.model)
    runner = ParticleRunner(prior, data, chosen.run, chosen.model)
    rng = np.random.default_rng(chosen.smc.seed)
    z = rng.standard_normal((chosen.smc.n_particles, prior.size))
    return TwinFit(
        data=data,
        prior=prior,
        settings=chosen,
        z=z,
        island=np.repeat(np.arange(chosen.smc.n_islands), len(z) // chosen.smc.n_islands),
        baseline_states=runner.baseline_states(z),
        fluctuation={},
        diagnostics={
            "temperatures": [],
            "evaluations": 0,
            "max_rhat": float("nan"),
            "fit_seconds": 0.0,
            "n_observations": 0,
        },
        flags=["population prior: no patient data used"],
        prior_based=True,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        version=hpatwin_version(),
    )


def summary_lines(fit: TwinFit) -> list[str]:
    """A short text summary of a fit (diagnostics, informed quantities, flags).

    Example
    -------
    >>> # see fit_patient's example; summary_lines(fit)[0] starts with "fit:"
    """
    d: Mapping[str, Any] = fit.diagnostics
    table = fit.identifiability()
    informed = [str(q) for q in table.loc[table["informed"], "quantity"]]
    lines = [
        f"fit: {fit.n_particles} particles, {d['evaluations']} batched runs, "
        f"{len(d['temperatures'])} tempering stages, max R-hat {d['max_rhat']:.3f}, "
        f"{d['fit_seconds']:.1f} s",
        "informed by the data: " + (", ".join(informed) if informed else "none (prior only)"),
    ]
    lines.extend(f"flag: {flag}" for flag in fit.flags)
    return lines
