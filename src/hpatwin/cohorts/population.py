"""Seeded virtual populations: phenotype mix, inter-individual variability, age and sex.

Patient ``i`` of a population is drawn from its own random stream keyed by
``(seed, i)``, so it is the same patient whatever the population size, chunk or
worker that simulates it. Each row holds the patient's phenotype, covariates and
every varied model parameter.

Example
-------
>>> from hpatwin.cohorts import generate_population
>>> pop = generate_population(4, {"chronic_pain": 0.5, "healthy": 0.5}, seed=7)
>>> list(pop.columns[:4])
['patient_id', 'phenotype', 'age_years', 'sex']
>>> pop.equals(generate_population(4, {"chronic_pain": 0.5, "healthy": 0.5}, seed=7))
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpatwin.model.catalogue import get_model
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.parameters import Evidence


@dataclass(frozen=True)
class Variability:
    """How one parameter varies between patients.

    ``kind="lognormal"`` multiplies the phenotype value by ``exp(N(0, spread))``;
    ``kind="normal"`` adds ``N(0, spread)``. Results are clipped to the registry range.
    """

    spread: float
    kind: str
    source: str
    evidence: Evidence
    rationale: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("lognormal", "normal"):
            raise ValueError(f"variability kind: {self.kind!r} is not 'lognormal' or 'normal'")
        if not (math.isfinite(self.spread) and self.spread >= 0):
            raise ValueError(f"variability spread: {self.spread!r} must be ≥ 0")


_ASSUMED = "hpatwin calibration"
#: Default inter-individual variability of the twin (assumptions, calibrated on populations).
DEFAULT_VARIABILITY: dict[str, Variability] = {
    "tissue_nociception": Variability(
        0.6,
        "lognormal",
        _ASSUMED,
        Evidence.ASSUMPTION,
        "pain generators differ in strength; spread sized so chronic-pain NRS spans ~3-8 and "
        "persistent pain is common in the general population",
    ),
    "depression_vulnerability": Variability(
        0.6,
        "normal",
        _ASSUMED,
        Evidence.ASSUMPTION,
        "resilience differs between people; together with the pain pathways it sets how many "
        "chronic-pain patients become depressed (30-60 %, the calibration target)",
    ),
    "cortisol_half_life_min": Variability(
        0.1,
        "lognormal",
        "Keenan et al. (t½ 49 ± 2.4 min, between-subject spread)",
        Evidence.ASSUMPTION,
        "between-subject variation of cortisol clearance",
    ),
    "gr_expression_capacity": Variability(
        0.25,
        "lognormal",
        _ASSUMED,
        Evidence.ASSUMPTION,
        "GR sensitivity differs between people; gives the spread of morning cortisol that sets "
        "the depressed vs non-depressed effect size (d ≈ 0.3-0.6, Stetler & Miller 2011)",
    ),
    "circadian_amplitude_24h": Variability(
        0.1, "lognormal", _ASSUMED, Evidence.ASSUMPTION, "individual circadian amplitude"
    ),
    "wake_time_h": Variability(
        0.75, "normal", _ASSUMED, Evidence.ASSUMPTION, "habitual wake times spread about ±45 min"
    ),
    "pain_hpa_drive": Variability(
        0.2, "lognormal", _ASSUMED, Evidence.ASSUMPTION, "individual stress reactivity to pain"
    ),
    "mood_hpa_drive": Variability(
        0.2, "lognormal", _ASSUMED, Evidence.ASSUMPTION, "individual HPA reactivity in depression"
    ),
    "resting_rmssd_ms": Variability(
        0.3,
        "lognormal",
        "Nunan et al. 2010 (range ~19-75 ms, UNCONFIRMED)",
        Evidence.ASSUMPTION,
        "wide between-person spread of short-term RMSSD",
    ),
}


@dataclass(frozen=True)
class InjuryRisk:
    """Chance of one injury or pain flare in the simulated year, its size and healing time.

    The defaults are assumptions: a substantial share of adults have a new
    musculoskeletal pain episode in a year; sizes are chosen so an episode is
    moderately painful (NRS ~3-5) before it heals. Healing times are lognormal around
    the model's 21-day time constant with a heavy tail: most episodes resolve within
    weeks, but a minority last months in anyone (in primary-care cohorts of acute low
    back pain only about a third have recovered by 3 months and many still report pain
    at 12 months: Itz et al. 2013 Eur J Pain 17:5, doi 10.1002/j.1532-2149.2012.00170.x),
    which gives non-depressed people a baseline risk of persistent pain. The spread
    (0.8) is an assumption sized on the calibration populations.
    """

    yearly_probability: float = 0.4
    median_size: float = 1.5
    size_spread: float = 0.4
    median_healing_days: float = 21.0
    healing_spread: float = 0.8

    def __post_init__(self) -> None:
        if not 0 <= self.yearly_probability <= 1:
            raise ValueError(f"injury yearly_probability: {self.yearly_probability} not in [0, 1]")
        if self.median_size <= 0 or self.size_spread < 0:
            raise ValueError("injury median_size must be > 0 and size_spread ≥ 0")
        if self.median_healing_days <= 0 or self.healing_spread < 0:
            raise ValueError("injury median_healing_days must be > 0 and healing_spread ≥ 0")


#: Adult age distribution (years): mean, SD, bounds — an assumption for clinic populations.
AGE_MEAN_YEARS, AGE_SD_YEARS, AGE_MIN_YEARS, AGE_MAX_YEARS = 50.0, 15.0, 18.0, 90.0
#: RMSSD falls with age ("strong age effect": Nunan et al., Pacing Clin Electrophysiol 2010;33:1407); fractional change per decade
#: from age 40 is an assumption.
RMSSD_CHANGE_PER_DECADE = -0.12
FEMALE_FRACTION = 0.6  # assumption: chronic pain clinic populations are majority female


def _mix(phenotype_mix: Mapping[str, float] | str) -> list[tuple[str, float]]:
    if isinstance(phenotype_mix, str):
        phenotype_mix = {phenotype_mix: 1.0}
    if not phenotype_mix:
        raise ValueError("phenotype_mix: give at least one phenotype")
    total = 0.0
    for name, fraction in phenotype_mix.items():
        get_phenotype(name)
        if not (math.isfinite(fraction) and fraction > 0):
            raise ValueError(f"phenotype_mix[{name}]: {fraction!r} must be a positive fraction")
        total += fraction
    return [(name, fraction / total) for name, fraction in phenotype_mix.items()]


def generate_population(
    n: int,
    phenotype_mix: Mapping[str, float] | str,
    seed: int = 0,
    *,
    variability: Mapping[str, Variability] | None = None,
    model: str = "twin",
    first_patient: int = 0,
    injury: InjuryRisk | None = None,
) -> pd.DataFrame:
    """``n`` patients (ids ``first_patient …``) with phenotype, age, sex and varied parameters."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n: {n!r} must be a positive integer")
    if first_patient < 0:
        raise ValueError(f"first_patient: {first_patient} must be ≥ 0")
    mix = _mix(phenotype_mix)
    ode = get_model(model)
    variability = DEFAULT_VARIABILITY if variability is None else variability
    for name in variability:
        ode.parameter(name)  # raises for unknown names
    cumulative = np.cumsum([f for _, f in mix])
    condition_names = sorted({n for name, _ in mix for n in get_phenotype(name).parameters})
    rows = []
    for patient in range(first_patient, first_patient + n):
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(patient,)))
        )
        phenotype = mix[
            int(np.searchsorted(cumulative, rng.uniform(), side="right").clip(0, len(mix) - 1))
        ][0]
        pheno = get_phenotype(phenotype)
        age = float(np.clip(rng.normal(AGE_MEAN_YEARS, AGE_SD_YEARS), AGE_MIN_YEARS, AGE_MAX_YEARS))
        sex = "female" if rng.uniform() < FEMALE_FRACTION else "male"
        row: dict[str, object] = {
            "patient_id": patient,
            "phenotype": phenotype,
            "age_years": age,
            "sex": sex,
        }
        for name, spec in variability.items():
            parameter = ode.parameter(name)
            centre = pheno.parameters.get(name, parameter.value)
            draw = rng.standard_normal()
            value = (
                centre * math.exp(spec.spread * draw)
                if spec.kind == "lognormal"
                else centre + spec.spread * draw
            )
            row[name] = float(np.clip(value, parameter.lower, parameter.upper))
        for name in condition_names:
            row.setdefault(name, pheno.parameters.get(name, ode.parameter(name).value))
        if injury is not None and rng.uniform() < injury.yearly_probability:
            row["injury_onset_day"] = float(rng.uniform(0, 365))
            row["injury_nociception"] = float(
                injury.median_size * math.exp(injury.size_spread * rng.standard_normal())
            )
            row["injury_healing_time_constant_days"] = float(
                np.clip(
                    injury.median_healing_days
                    * math.exp(injury.healing_spread * rng.standard_normal()),
                    1.0,
                    365.0,
                )
            )
        elif injury is not None:
            row["injury_onset_day"], row["injury_nociception"] = 1e6, 0.0
            row["injury_healing_time_constant_days"] = injury.median_healing_days
        if "resting_rmssd_ms" in row:
            row["resting_rmssd_ms"] = float(row["resting_rmssd_ms"]) * (  # type: ignore[arg-type]
                1 + RMSSD_CHANGE_PER_DECADE * (age - 40) / 10
            )
        rows.append(row)
    return pd.DataFrame(rows)


def population_parameters(population: pd.DataFrame, model: str = "twin") -> dict[str, np.ndarray]:
    """Per-patient parameter arrays (the columns that are model parameters) for ``simulate``."""
    names = set(get_model(model).parameter_names)
    return {c: population[c].to_numpy(dtype=float) for c in population.columns if c in names}
