"""The likelihood is the observation layer run backwards: calibrated on its own draws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.observation import ObservationSettings, observe_visits
from hpatwin.observation.likelihood import (
    answer_variance,
    cortisol_log_likelihood,
    lognormal_log_likelihood,
    observed_logit,
    phq9_total_variance,
    score_filter,
)

SETTINGS = ObservationSettings.default()
DAYS = np.array([0.0, 3.0, 7.0, 14.0, 21.0, 28.0])


@pytest.mark.parametrize("measure,maximum", [("phq9", 27.0), ("pain_nrs", 10.0)])
@pytest.mark.parametrize("fraction", [0.15, 0.5, 0.8])
def test_standardised_residuals_are_standard_normal(
    measure: str, maximum: float, fraction: float
) -> None:
    """On scores drawn by the observation layer itself, one-step residuals have mean 0 and
    SD 1 ± 0.1 (measured 0.94-1.04 with the registered variance inflation)."""
    n = 1500
    latent_value = fraction * maximum
    latent = np.full((len(DAYS), n), latent_value)
    observed = observe_visits({measure: latent}, np.arange(n), DAYS.tolist(), seed=5)[measure]
    residuals = np.concatenate(
        [
            score_filter(
                observed.values[:, i], DAYS, latent[:, i : i + 1], measure, SETTINGS
            ).standardised[:, 0]
            for i in range(n)
        ]
    )
    assert abs(residuals.mean()) < 0.2
    assert 0.9 < residuals.std() < 1.1


def test_log_likelihood_peaks_near_the_true_latent() -> None:
    n = 400
    truth = 14.0
    observed = observe_visits(
        {"phq9": np.full((len(DAYS), n), truth)}, np.arange(n), DAYS.tolist(), seed=2
    )["phq9"].values
    candidates = np.array([6.0, 10.0, 14.0, 18.0, 22.0])
    total = np.zeros(len(candidates))
    for i in range(n):
        latent = np.tile(candidates, (len(DAYS), 1))
        total += score_filter(observed[:, i], DAYS, latent, "phq9", SETTINGS).log_likelihood
    assert candidates[total.argmax()] == truth


def test_filter_carries_the_fluctuation_to_the_last_visit() -> None:
    high = score_filter(
        np.array([20.0, 21.0]), np.array([0.0, 2.0]), np.full((2, 1), 12.0), "phq9", SETTINGS
    )
    low = score_filter(
        np.array([5.0, 4.0]), np.array([0.0, 2.0]), np.full((2, 1), 12.0), "phq9", SETTINGS
    )
    assert high.last_mean[0] > 0 > low.last_mean[0]
    assert high.last_var[0] < SETTINGS.value("phq9_fluctuation_sd_logit") ** 2
    assert high.last_day == 2.0


def test_bad_inputs_name_the_field() -> None:
    with pytest.raises(ValueError, match="measure"):
        score_filter(np.array([1.0]), np.array([0.0]), np.ones((1, 1)), "bdi", SETTINGS)
    with pytest.raises(ValueError, match="latent"):
        score_filter(np.array([1.0, 2.0]), np.array([0.0, 1.0]), np.ones((1, 1)), "phq9", SETTINGS)
    with pytest.raises(ValueError, match="time order"):
        score_filter(np.array([1.0, 2.0]), np.array([3.0, 1.0]), np.ones((2, 1)), "phq9", SETTINGS)


def test_phq9_answer_variance_matches_simulated_items() -> None:
    """The exact ordinal-model variance equals the spread of simulated totals (±10 %)."""
    n = 20000
    for level in (4.0, 13.5, 22.0):
        draws = observe_visits(
            {"phq9": np.full((1, n), level)},
            np.arange(n),
            [0.0],
            seed=1,
            settings=SETTINGS.with_values(phq9_fluctuation_sd_logit=0.0),
        )
        simulated = float(draws["phq9"].values.var())
        exact = float(phq9_total_variance(np.array([level]), SETTINGS)[0])
        assert exact == pytest.approx(simulated, rel=0.1)


def test_cortisol_likelihood_prefers_the_true_concentration() -> None:
    ll, z = cortisol_log_likelihood(
        np.array([15.0, 2.0]),
        np.array([480.0, 1380.0]),
        np.array([[15.0, 30.0], [2.0, 4.0]]),
        np.zeros((2, 2)),
        SETTINGS,
        biological_sd_log=0.3,
    )
    assert ll[0] > ll[1]
    assert z.shape == (2, 2)
    steep, _ = cortisol_log_likelihood(
        np.array([15.0]),
        np.array([480.0]),
        np.array([[10.0]]),
        np.array([[0.01]]),
        SETTINGS,
        biological_sd_log=0.3,
    )
    flat, _ = cortisol_log_likelihood(
        np.array([15.0]),
        np.array([480.0]),
        np.array([[10.0]]),
        np.zeros((1, 1)),
        SETTINGS,
        biological_sd_log=0.3,
    )
    assert steep[0] > flat[0]  # sampling-time jitter widens the steep morning limb


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 27), min_size=1, max_size=8),
    st.floats(0.0, 27.0, allow_nan=False),
)
def test_score_filter_is_finite_for_any_valid_scores(values: list[int], latent: float) -> None:
    observed = np.array(values, dtype=float)
    days = np.arange(len(values), dtype=float) * 3
    result = score_filter(observed, days, np.full((len(values), 2), latent), "phq9", SETTINGS)
    assert np.isfinite(result.log_likelihood).all()
    assert np.isfinite(observed_logit(observed, "phq9")).all()
    assert (answer_variance("phq9", np.array([latent]), SETTINGS) >= 0).all()


def test_lognormal_likelihood_is_centred_on_the_mean() -> None:
    ll, _ = lognormal_log_likelihood(np.array([30.0]), np.array([[20.0, 30.0, 45.0]]), 0.37)
    assert ll.argmax() == 1
