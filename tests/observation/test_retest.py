"""The observation model reproduces its sourced test–retest figures on stable patients.

Stable patients: latent severity held fixed; PHQ-9 latent uniform on [0, 20] (true-score
SD 5.8 points), NRS latent uniform on [1, 9]. Tolerances: correlation ±0.05 of the
target (sampling SD of r at n = 5,000 is about 0.005; the margin is for the model), SEM
±0.3 points, mean bias of the observed total < 0.1 point without fluctuation.
"""

from __future__ import annotations

import numpy as np
import pytest

from hpatwin.observation import DrawKey, ObservationSettings, observe_nrs, observe_phq9
from hpatwin.observation.visits import observe_visits

N = 5_000
SETTINGS = ObservationSettings.default()


def _phq9_pair(settings: ObservationSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    latent = np.linspace(0.0, settings.value("phq9_calibration_latent_max"), N)
    ids = np.arange(N)
    first = observe_phq9(latent, ids, DrawKey(11, 0, "phq9"), settings).totals
    second = observe_phq9(latent, ids, DrawKey(11, 1, "phq9"), settings).totals
    return latent, first, second


def test_phq9_48h_retest_correlation_and_sem_match_kroenke_2001() -> None:
    latent, first, second = _phq9_pair(SETTINGS)
    r = float(np.corrcoef(first, second)[0, 1])
    sem = float(np.std(first - second, ddof=1) / np.sqrt(2))
    assert r == pytest.approx(SETTINGS.value("phq9_retest_correlation_48h"), abs=0.05)
    assert sem == pytest.approx(SETTINGS.value("phq9_sem_points"), abs=0.3)
    assert abs(float(first.mean() - latent.mean())) < 0.1


def _visit_totals(low: float, high: float) -> np.ndarray:
    latent = np.linspace(low, high, N)
    days = [0.0, 2.0, 14.0]
    ds = observe_visits({"phq9": np.stack([latent] * 3)}, np.arange(N), visit_days=days, seed=4)
    return np.asarray(ds["phq9"].values)


def test_phq9_retest_with_visit_fluctuation_over_48h_and_two_weeks() -> None:
    primary_care = _visit_totals(0.0, 20.0)  # Kroenke 2001 (48 h, r = 0.84)
    r_48h = float(np.corrcoef(primary_care[0], primary_care[1])[0, 1])
    assert r_48h == pytest.approx(0.84, abs=0.05)
    clinic = _visit_totals(5.0, 25.0)  # Sun et al. 2020, MDD patients (2 weeks, r = 0.737)
    r_2w = float(np.corrcoef(clinic[0], clinic[2])[0, 1])
    assert r_2w == pytest.approx(0.737, abs=0.05)


def test_nrs_retest_correlation_matches_ferraz_1990() -> None:
    latent = np.linspace(1.0, 9.0, N)
    ids = np.arange(N)
    first = observe_nrs(latent, ids, DrawKey(2, 0, "nrs"), SETTINGS)
    second = observe_nrs(latent, ids, DrawKey(2, 1, "nrs"), SETTINGS)
    r = float(np.corrcoef(first, second)[0, 1])
    assert r == pytest.approx(SETTINGS.value("nrs_retest_correlation"), abs=0.05)
    assert abs(float(first.mean() - latent.mean())) < 0.1


@pytest.mark.parametrize("level", [0.0, 2.0, 10.0, 20.0, 26.0, 27.0])
def test_phq9_total_is_unbiased_at_every_severity(level: float) -> None:
    ids = np.arange(N)
    totals = observe_phq9(np.full(N, level), ids, DrawKey(5, 0, "phq9"), SETTINGS).totals
    assert float(totals.mean()) == pytest.approx(level, abs=0.1)


@pytest.mark.parametrize("level", [1.0, 13.0, 26.0])
def test_visit_fluctuation_keeps_the_latent_value_the_mean(level: float) -> None:
    latent = np.full((2, N), level)
    ds = observe_visits({"phq9": latent, "pain_nrs": latent * 10 / 27}, np.arange(N), [0, 7], 8)
    assert float(ds["phq9"].values.mean()) == pytest.approx(level, abs=0.15)
    assert float(ds["pain_nrs"].values.mean()) == pytest.approx(level * 10 / 27, abs=0.1)
