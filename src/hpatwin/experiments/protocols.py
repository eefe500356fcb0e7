"""Dexamethasone suppression, CRH stimulation, cortisol washout and stress-then-release.

Each function simulates the HPA core under a protocol and returns the readout a
clinician or physiologist would report, plus the full labelled result.

Example
-------
>>> from hpatwin.experiments import dexamethasone_suppression
>>> result = dexamethasone_suppression(phenotype="healthy", seed=2)
>>> result.suppressed
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from hpatwin.analysis.rhythm import fit_half_life
from hpatwin.engine.inputs import Schedule
from hpatwin.simulation import simulate

#: Normal overnight 1 mg DST: 08:00 cortisol < 50 nmol/L (1.8 µg/dL); Nieman et al. 2008 JCEM
#: 93:1526 (doi 10.1210/jc.2008-0125).
DST_SUPPRESSION_THRESHOLD_NMOL_L = 50.0
#: Post-dexamethasone cortisol > 5 µg/dL (138 nmol/L) at 16:00 or 23:00 is non-suppression in
#: Carroll et al. 1981 Arch Gen Psychiatry 38:15 (PMID 7458567), the psychiatric DST.
DST_LATE_THRESHOLD_NMOL_L = 138.0
#: clock times (minutes after midnight) of the next-day samples: 08:00, 16:00, 23:00
DST_SAMPLE_CLOCK_MIN = (480.0, 960.0, 1380.0)


@dataclass(frozen=True)
class DexamethasoneResult:
    """Overnight dexamethasone suppression test: plasma cortisol the next day.

    The ``per_patient_*`` arrays hold every simulated patient; the scalar values are
    the first patient's.
    """

    dose_mg: float
    cortisol_0800_nmol_l: float
    cortisol_1600_nmol_l: float
    cortisol_2300_nmol_l: float
    baseline_cortisol_0800_nmol_l: float
    threshold_nmol_l: float
    late_threshold_nmol_l: float
    dataset: xr.Dataset
    per_patient_0800_nmol_l: np.ndarray
    per_patient_1600_nmol_l: np.ndarray
    per_patient_2300_nmol_l: np.ndarray

    @property
    def suppressed(self) -> bool:
        """True when (the first patient's) 08:00 cortisol falls below the threshold."""
        return self.cortisol_0800_nmol_l < self.threshold_nmol_l

    @property
    def non_suppression_rate(self) -> float:
        """Share of simulated patients whose 08:00 cortisol stays at or above the threshold."""
        return float(np.mean(self.per_patient_0800_nmol_l >= self.threshold_nmol_l))

    @property
    def late_non_suppression_rate(self) -> float:
        """Share of patients at or above the late threshold at 16:00 or 23:00 (Carroll 1981)."""
        late = np.maximum(self.per_patient_1600_nmol_l, self.per_patient_2300_nmol_l)
        return float(np.mean(late >= self.late_threshold_nmol_l))


def dexamethasone_suppression(
    *,
    model: str = "hpa_core",
    phenotype: str | None = "healthy",
    parameters: Mapping[str, float | np.ndarray] | None = None,
    n_patients: int | None = None,
    dose_mg: float = 1.0,
    dose_clock_h: float = 23.0,
    seed: int = 0,
    pulses: bool = True,
    threshold_nmol_l: float = DST_SUPPRESSION_THRESHOLD_NMOL_L,
    late_threshold_nmol_l: float = DST_LATE_THRESHOLD_NMOL_L,
    dt: float | None = None,
    dtype: str = "float64",
) -> DexamethasoneResult:
    """Oral dexamethasone at ``dose_clock_h`` on day 1; plasma cortisol at 08:00, 16:00, 23:00 next.

    The dose is given as a ten-minute oral input; the samples are taken on the first day
    whose 08:00 follows the dose. The 08:00 value one day earlier is the baseline.
    ``parameters`` may hold per-patient arrays (``n_patients``) for population rates;
    ``dt``/``dtype`` choose the step and precision (e.g. the 5-min float32 cohort setting).
    """
    if not (0 < dose_mg <= 100):
        raise ValueError(f"dose_mg: {dose_mg!r} is outside the allowed range (0, 100] mg")
    if not (0 <= dose_clock_h < 24):
        raise ValueError(f"dose_clock_h: {dose_clock_h!r} is outside the allowed range [0, 24) h")
    dose_start = 1440.0 + 10 * round(dose_clock_h * 6)  # on the 10-min pulse grid
    schedule = Schedule.of([(dose_start, dose_mg / 10), (dose_start + 10.0, 0.0)])
    ds = simulate(
        model,
        days=3,
        phenotype=phenotype,
        parameters=parameters,
        n_patients=n_patients,
        seed=seed,
        pulses=pulses,
        inputs={"dex_dose_rate_mg_per_min": schedule},
        output_every=10.0,
        dt=dt,
        dtype=dtype,
    )
    sample_day = 1440.0 * (2 if dose_clock_h >= 8 else 1)
    all_cortisol = ds["plasma_cortisol_nmol_l"]
    samples = [all_cortisol.sel(time=sample_day + clock).values for clock in DST_SAMPLE_CLOCK_MIN]
    baseline = all_cortisol.sel(time=sample_day - 1440.0 + DST_SAMPLE_CLOCK_MIN[0]).values
    return DexamethasoneResult(
        dose_mg=dose_mg,
        cortisol_0800_nmol_l=float(samples[0][0]),
        cortisol_1600_nmol_l=float(samples[1][0]),
        cortisol_2300_nmol_l=float(samples[2][0]),
        baseline_cortisol_0800_nmol_l=float(baseline[0]),
        threshold_nmol_l=threshold_nmol_l,
        late_threshold_nmol_l=late_threshold_nmol_l,
        dataset=ds,
        per_patient_0800_nmol_l=samples[0],
        per_patient_1600_nmol_l=samples[1],
        per_patient_2300_nmol_l=samples[2],
    )


@dataclass(frozen=True)
class CrhStimulationResult:
    """CRH stimulation test: peak rises of ACTH and cortisol over baseline."""

    acth_baseline_pg_ml: float
    acth_peak_pg_ml: float
    acth_peak_minutes: float
    cortisol_baseline_nmol_l: float
    cortisol_peak_nmol_l: float
    cortisol_peak_minutes: float
    dataset: xr.Dataset


def crh_stimulation(
    *,
    phenotype: str | None = "healthy",
    parameters: Mapping[str, float] | None = None,
    clock_h: float = 20.0,
    dose: float = 10.0,
    infusion_min: float = 30.0,
    seed: int = 0,
    pulses: bool = False,
) -> CrhStimulationResult:
    """Infuse ``dose`` normalised CRH units over ``infusion_min`` (Ron Mizrachi 2023 protocol).

    Starts at ``clock_h`` on day 1; peaks are read over the following 3 hours.
    """
    if not (0 < dose <= 1000):
        raise ValueError(f"dose: {dose!r} is outside the allowed range (0, 1000]")
    if not (1 <= infusion_min <= 240):
        raise ValueError(
            f"infusion_min: {infusion_min!r} is outside the allowed range [1, 240] min"
        )
    start = 1440.0 + round(clock_h * 60)
    schedule = Schedule.of([(start, dose / infusion_min), (start + infusion_min, 0.0)])
    ds = simulate(
        "hpa_core",
        days=2,
        phenotype=phenotype,
        parameters=parameters,
        seed=seed,
        pulses=pulses,
        inputs={"crh_infusion_rate_per_min": schedule},
        output_every=1.0,
    )
    window = ds.sel(time=slice(start, start + 180)).isel(patient=0)
    acth = window["acth_pg_ml"]
    cort = window["plasma_cortisol_nmol_l"]
    return CrhStimulationResult(
        acth_baseline_pg_ml=float(acth.isel(time=0)),
        acth_peak_pg_ml=float(acth.max()),
        acth_peak_minutes=float(acth.idxmax()) - start,
        cortisol_baseline_nmol_l=float(cort.isel(time=0)),
        cortisol_peak_nmol_l=float(cort.max()),
        cortisol_peak_minutes=float(cort.idxmax()) - start,
        dataset=ds,
    )


@dataclass(frozen=True)
class WashoutResult:
    """Effective half-life of total plasma cortisol after adrenal synthesis is blocked."""

    half_life_min: float
    dataset: xr.Dataset


def cortisol_washout(
    *,
    phenotype: str | None = "healthy",
    parameters: Mapping[str, float] | None = None,
    block_clock_h: float = 9.0,
    fit_minutes: float = 180.0,
    seed: int = 0,
) -> WashoutResult:
    """Block cortisol synthesis at ``block_clock_h`` on day 1 and fit the decay over ``fit_minutes``."""
    start = 1440.0 + round(block_clock_h * 60)
    schedule = Schedule.of([(start, 0.0)])
    ds = simulate(
        "hpa_core",
        days=2,
        phenotype=phenotype,
        parameters=parameters,
        seed=seed,
        pulses=False,
        inputs={"cortisol_synthesis_factor": schedule},
        output_every=1.0,
    )
    window = (
        ds["plasma_cortisol_nmol_l"]
        .isel(patient=0)
        .sel(time=slice(start + 10, start + fit_minutes))
    )
    return WashoutResult(fit_half_life(window["time"].values, window.values), ds)


@dataclass(frozen=True)
class StressReleaseResult:
    """Daily means of cortisol and ACTH before, during and after a stress period."""

    day: np.ndarray
    cortisol_daily_mean_nmol_l: np.ndarray
    acth_daily_mean_pg_ml: np.ndarray
    adrenal_mass: np.ndarray
    pituitary_mass: np.ndarray
    stress_start_day: int
    stress_end_day: int
    dataset: xr.Dataset

    def baseline(self, values: np.ndarray) -> float:
        """Mean of ``values`` over the days before the stress period."""
        return float(np.mean(values[: self.stress_start_day]))


def stress_then_release(
    *,
    phenotype: str | None = "healthy",
    parameters: Mapping[str, float] | None = None,
    stress_factor: float = 2.0,
    baseline_days: int = 7,
    stress_days: int = 42,
    recovery_days: int = 84,
    seed: int = 0,
    pulses: bool = False,
) -> StressReleaseResult:
    """Multiply the CRH drive by ``stress_factor`` for ``stress_days`` then release (Karin 2020)."""
    if not (0 < stress_factor <= 100):
        raise ValueError(f"stress_factor: {stress_factor!r} is outside the allowed range (0, 100]")
    for name, value in (
        ("baseline_days", baseline_days),
        ("stress_days", stress_days),
        ("recovery_days", recovery_days),
    ):
        if value < 1:
            raise ValueError(f"{name}: {value!r} must be ≥ 1 day")
    start, end = baseline_days, baseline_days + stress_days
    total = end + recovery_days
    schedule = Schedule.of([(start * 1440.0, stress_factor), (end * 1440.0, 1.0)])
    ds = simulate(
        "hpa_core",
        days=total,
        phenotype=phenotype,
        parameters=parameters,
        seed=seed,
        pulses=pulses,
        inputs={"stress_input": schedule},
        output_every=60.0,
    )
    day_index = (ds["time"].values[:-1] // 1440).astype(int)

    def daily(name: str) -> np.ndarray:
        values = ds[name].isel(patient=0).values[:-1]
        return np.array([values[day_index == d].mean() for d in range(total)])

    return StressReleaseResult(
        day=np.arange(total),
        cortisol_daily_mean_nmol_l=daily("plasma_cortisol_nmol_l"),
        acth_daily_mean_pg_ml=daily("acth_pg_ml"),
        adrenal_mass=daily("adrenal_mass"),
        pituitary_mass=daily("pituitary_mass"),
        stress_start_day=start,
        stress_end_day=end,
        dataset=ds,
    )
