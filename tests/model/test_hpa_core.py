"""Physiology targets of the HPA core (hpa-models.md §3) and the Karin 2020 claim."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import hpatwin
from hpatwin.analysis import count_secretory_episodes, daily_extremes
from hpatwin.experiments import (
    cortisol_washout,
    crh_stimulation,
    dexamethasone_suppression,
    stress_then_release,
)

SALIVA_0800_RANGE_NMOL_L = (2.8, 20.7)  # clinical-facts §2.2: 07:00-09:00 100-750 ng/dL
SALIVA_2300_MAX_NMOL_L = 2.8  # LC-MS/MS late-night cut-off (clinical-facts §2.3)


def _clock(ds: xr.Dataset, name: str, day: int, hour: float) -> np.ndarray:
    return ds[name].sel(time=day * 1440 + hour * 60).values


def test_deterministic_salivary_targets(healthy_deterministic: xr.Dataset) -> None:
    s08 = float(_clock(healthy_deterministic, "salivary_cortisol_nmol_l", 1, 8)[0])
    s23 = float(_clock(healthy_deterministic, "salivary_cortisol_nmol_l", 1, 23)[0])
    assert SALIVA_0800_RANGE_NMOL_L[0] <= s08 <= SALIVA_0800_RANGE_NMOL_L[1]
    assert s23 < SALIVA_2300_MAX_NMOL_L


def test_pulsatile_salivary_targets_median_over_days(healthy_week: xr.Dataset) -> None:
    # a single saliva sample can meet a pulse; clinical protocols average days, so do we
    s08 = np.median(
        [_clock(healthy_week, "salivary_cortisol_nmol_l", d, 8) for d in range(1, 7)], axis=0
    )
    s23 = np.median(
        [_clock(healthy_week, "salivary_cortisol_nmol_l", d, 23) for d in range(1, 7)], axis=0
    )
    assert np.all((s08 >= SALIVA_0800_RANGE_NMOL_L[0]) & (s08 <= SALIVA_0800_RANGE_NMOL_L[1]))
    assert np.all(s23 < SALIVA_2300_MAX_NMOL_L)


def test_peak_in_morning_and_nadir_near_midnight(
    healthy_deterministic: xr.Dataset, healthy_week: xr.Dataset
) -> None:
    cortisol = healthy_deterministic["plasma_cortisol_nmol_l"].isel(patient=0)
    extremes = daily_extremes(cortisol["time"], cortisol, day=1)
    assert 6.5 <= extremes.peak_clock_h <= 9.5
    assert extremes.nadir_clock_h >= 22 or extremes.nadir_clock_h <= 2.5
    assert extremes.peak / extremes.nadir > 5  # Debono: ~8× (15.5 vs < 2 µg/dL)
    # the clock-time mean profile of pulsatile patients keeps the same shape
    pulsed = healthy_week["plasma_cortisol_nmol_l"].sel(time=slice(1440, 7 * 1440 - 10))
    clock = (pulsed["time"] % 1440).values
    profile = pulsed.mean("patient").groupby(xr.DataArray(clock, dims="time", name="clock")).mean()
    peak_h = float(profile.idxmax()) / 60
    nadir_h = float(profile.idxmin()) / 60
    assert 6.5 <= peak_h <= 9.5
    assert nadir_h >= 22 or nadir_h <= 2.5


def test_secretory_episodes_per_day(healthy_week: xr.Dataset) -> None:
    counts = [
        count_secretory_episodes(
            healthy_week["plasma_cortisol_nmol_l"]
            .isel(patient=p)
            .sel(time=slice(d * 1440, (d + 1) * 1440))
            .values
        )
        for p in range(healthy_week.sizes["patient"])
        for d in range(1, 7)
    ]
    assert 7 <= np.mean(counts) <= 13  # Weitzman 1971: mean 9 (7-13)
    assert np.mean([7 <= c <= 13 for c in counts]) >= 0.7


def test_pulses_reproducible_and_independent_of_batch() -> None:
    a = hpatwin.simulate("hpa_core", days=1, seed=5, n_patients=3)
    b = hpatwin.simulate("hpa_core", days=1, seed=5, n_patients=3)
    np.testing.assert_array_equal(a["cortisol"].values, b["cortisol"].values)
    alone = hpatwin.simulate("hpa_core", days=1, seed=5, n_patients=1, patient_offset=2)
    np.testing.assert_allclose(
        alone["cortisol"].values[:, 0], a["cortisol"].values[:, 2], rtol=1e-12
    )
    other = hpatwin.simulate("hpa_core", days=1, seed=6, n_patients=1)
    assert not np.allclose(other["cortisol"].values[:, 0], a["cortisol"].values[:, 0])


def test_cortisol_washout_half_life() -> None:
    result = cortisol_washout()
    assert 49 <= result.half_life_min <= 80  # Keenan 49 ± 2.4 min … Karin 80 min


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dexamethasone_suppression_healthy_vs_gr_resistant(seed: int) -> None:
    healthy = dexamethasone_suppression(phenotype="healthy", seed=seed)
    resistant = dexamethasone_suppression(phenotype="gr_resistant", seed=seed)
    assert healthy.suppressed and healthy.cortisol_0800_nmol_l < 50
    assert not resistant.suppressed and resistant.cortisol_0800_nmol_l >= 50


def test_crh_stimulation_raises_acth_then_cortisol() -> None:
    result = crh_stimulation()
    assert result.acth_peak_pg_ml > 1.5 * result.acth_baseline_pg_ml
    assert result.cortisol_peak_nmol_l > 1.3 * result.cortisol_baseline_nmol_l
    assert 0 < result.acth_peak_minutes < result.cortisol_peak_minutes <= 180


def test_weeks_of_stress_leave_cortisol_high_and_acth_low() -> None:
    result = stress_then_release(stress_factor=2.0, stress_days=42, recovery_days=56)
    cort_base = result.baseline(result.cortisol_daily_mean_nmol_l)
    acth_base = result.baseline(result.acth_daily_mean_pg_ml)
    after = slice(result.stress_end_day + 3, result.stress_end_day + 31)  # days 3-30 after release
    assert np.all(result.cortisol_daily_mean_nmol_l[after] > 1.05 * cort_base)
    assert np.all(result.acth_daily_mean_pg_ml[after] < 0.97 * acth_base)
    # the enlarged adrenal is what keeps cortisol up, and it is recovering
    adrenal = result.adrenal_mass
    assert adrenal[result.stress_end_day] > 1.2 * result.baseline(adrenal)
    assert adrenal[-1] < adrenal[result.stress_end_day + 7]


def test_karin_reference_model_shows_the_same_signature() -> None:
    schedule = hpatwin.engine.Schedule.of([(0.0, 2.0), (42 * 1440.0, 1.0)])
    ds = hpatwin.simulate(
        "karin2020", days=84, inputs={"stress_input": schedule}, output_every=1440.0, dt=2.0
    )
    day = ds["time_day"].values
    after = (day >= 45) & (day <= 70)
    assert np.all(ds["cortisol"].values[after, 0] > 1.05)
    assert np.all(ds["acth"].values[after, 0] < 0.97)


def test_cortisol_awakening_response(healthy_deterministic: xr.Dataset) -> None:
    saliva = healthy_deterministic["salivary_cortisol_nmol_l"].isel(patient=0)
    wake = 1440 + 7 * 60
    rise = float(saliva.sel(time=wake + 30) / saliva.sel(time=wake)) - 1
    assert 0.50 <= rise <= 0.75  # Pruessner 1997: +50-75 % within 30 min of waking
