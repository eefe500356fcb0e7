"""Tempered SMC recovers known posteriors and reports its diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from hpatwin.patient_twin.smc import SMCSettings, rhat_across_islands, tempered_smc

RNG = np.random.default_rng(3)
DATA = RNG.normal([1.0, -0.5], 0.4, size=(12, 2))


def _gaussian_loglik(z: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    residual = DATA[None, :, :] - z[:, None, :]
    return -0.5 * ((residual / 0.4) ** 2).sum(axis=(1, 2)), {"tag": z[:, 0] * 2}


def test_conjugate_posterior_is_recovered() -> None:
    """Posterior of a normal mean with N(0, 1) prior: mean and SD within 10 % (of the SD)."""
    result = tempered_smc(_gaussian_loglik, 2, SMCSettings(n_particles=2048, seed=1))
    n, noise_var = len(DATA), 0.4**2
    post_var = 1.0 / (1.0 + n / noise_var)
    post_mean = post_var * DATA.sum(axis=0) / noise_var
    assert np.allclose(result.z.mean(axis=0), post_mean, atol=0.1 * np.sqrt(post_var))
    assert np.allclose(result.z.std(axis=0), np.sqrt(post_var), rtol=0.25)
    assert result.temperatures[-1] == 1.0 and not result.truncated
    assert (result.rhat < 1.05).all()
    # the payload follows each particle through resampling and moves
    assert np.allclose(result.payload["tag"], result.z[:, 0] * 2)


def test_budget_end_is_reported() -> None:
    result = tempered_smc(
        _gaussian_loglik, 2, SMCSettings(n_particles=256, max_evaluations=2, seed=0)
    )
    assert result.truncated and result.evaluations <= 2
    assert result.temperatures[-1] == 1.0


def test_flat_likelihood_returns_the_prior() -> None:
    def flat(z: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return np.zeros(len(z)), {}

    result = tempered_smc(flat, 3, SMCSettings(n_particles=4096, seed=2))
    assert len(result.stages) == 1
    assert np.allclose(result.z.std(axis=0), 1.0, atol=0.08)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"n_particles": 30, "n_islands": 4}, "multiple"),
        ({"n_particles": 16, "n_islands": 4}, "at least 8"),
        ({"ess_fraction": 1.5}, "ess_fraction"),
        ({"moves_per_stage": 0}, "moves_per_stage"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SMCSettings(**kwargs)  # type: ignore[arg-type]


def test_rhat_detects_islands_that_disagree() -> None:
    z = np.concatenate([RNG.normal(m, 1, size=(200, 1)) for m in (0.0, 0.0, 0.0, 3.0)])
    assert rhat_across_islands(z, 4)[0] > 1.2
