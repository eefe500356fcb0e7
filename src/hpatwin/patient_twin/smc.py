"""Tempered sequential Monte Carlo over standard-normal prior draws, in independent islands.

The posterior ``p(z | data) ∝ N(z; 0, I)·L(z)^β`` is reached through a ladder of
temperatures ``0 = β_0 < β_1 < … < β_K = 1``. Each step picks the next β by bisection so
that the effective sample size (ESS) of the reweighted particles stays at
``ess_fraction`` of each island, resamples (systematic), then moves every particle with
random-walk Metropolis steps whose proposal covariance is the island's particle covariance
scaled by ``2.38²/d`` (adapted towards an acceptance of 0.2–0.4). Every likelihood call is
one batched forward run of all particles — no gradients (docs/patient-twin.md gives the
measured reasons).

Particles live in ``n_islands`` independent SMC runs of equal size; the Gelman–Rubin
R-hat across islands of each coordinate's posterior mean is the convergence diagnostic
stored with every fit, with the ESS and acceptance rate of every stage.

Example
-------
>>> import numpy as np
>>> data = np.array([1.0, 1.4, 0.8])  # y ~ N(z, 0.5²), prior z ~ N(0, 1)
>>> def loglik(z):
...     return -0.5 * (((data[None, :] - z[:, :1]) / 0.5) ** 2).sum(axis=1), {}
>>> result = tempered_smc(loglik, 1, SMCSettings(n_particles=2000, n_islands=4, seed=1))
>>> exact_mean = data.sum() / (len(data) + 0.25)   # conjugate posterior
>>> bool(abs(result.z[:, 0].mean() - exact_mean) < 0.05), result.temperatures[-1]
(True, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Payload = Mapping[str, Array]
LogLikelihood = Callable[[Array], tuple[Array, Payload]]


@dataclass(frozen=True)
class SMCSettings:
    """Settings of :func:`tempered_smc`.

    ``max_evaluations`` bounds the likelihood calls (batched forward runs); when it is
    reached before β = 1 the last step jumps to β = 1 by importance weighting and the
    result says so (``truncated``).

    Example
    -------
    >>> SMCSettings().n_particles, SMCSettings().n_islands
    (1024, 4)
    """

    n_particles: int = 1024
    n_islands: int = 4
    ess_fraction: float = 0.5
    moves_per_stage: int = 2
    max_evaluations: int = 14
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_islands < 1 or self.n_particles % self.n_islands:
            raise ValueError(
                f"n_particles: {self.n_particles} must be a positive multiple of "
                f"n_islands = {self.n_islands}"
            )
        if self.n_particles // self.n_islands < 8:
            raise ValueError("n_particles: at least 8 particles per island are needed")
        if not 0 < self.ess_fraction < 1:
            raise ValueError(f"ess_fraction: {self.ess_fraction} must lie in (0, 1)")
        if self.moves_per_stage < 1 or self.max_evaluations < 2:
            raise ValueError("moves_per_stage must be ≥ 1 and max_evaluations ≥ 2")


@dataclass(frozen=True)
class Stage:
    """One tempering step: its temperature, ESS before resampling and move acceptance."""

    temperature: float
    ess: float
    acceptance: float


@dataclass
class SMCResult:
    """Equally weighted posterior particles ``z`` with their log-likelihood and payload.

    ``island`` gives each particle's island; ``rhat`` the R-hat across islands per
    coordinate; ``stages`` the tempering ladder; ``truncated`` whether the evaluation budget
    ended the ladder early (then ``final_ess`` is the importance ESS of the last jump).
    """

    z: Array
    log_likelihood: Array
    payload: dict[str, Array]
    island: NDArray[np.int64]
    stages: list[Stage] = field(default_factory=list)
    evaluations: int = 0
    truncated: bool = False
    final_ess: float = 0.0
    rhat: Array = field(default_factory=lambda: np.zeros(0))

    @property
    def temperatures(self) -> list[float]:
        """The temperature ladder."""
        return [s.temperature for s in self.stages]

    @property
    def unique_fraction(self) -> float:
        """Fraction of distinct particles (after resampling and moves)."""
        return len(np.unique(self.z, axis=0)) / len(self.z)


def _island_ess(log_weights: Array, islands: int) -> Array:
    per = log_weights.reshape(islands, -1)
    per = per - per.max(axis=1, keepdims=True)
    w = np.exp(per)
    result: Array = w.sum(axis=1) ** 2 / (w**2).sum(axis=1)
    return result


def _next_temperature(
    log_likelihood: Array, beta: float, islands: int, target: float
) -> tuple[float, float]:
    """The largest next β whose smallest island ESS stays at ``target`` (≤ 1)."""

    def ess(candidate: float) -> float:
        return float(_island_ess((candidate - beta) * log_likelihood, islands).min())

    if ess(1.0) >= target:
        return 1.0, ess(1.0)
    low, high = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if ess(mid) >= target:
            low = mid
        else:
            high = mid
    chosen = max(low, beta + 1e-12)
    return chosen, ess(chosen)


def _systematic(log_weights: Array, islands: int, rng: np.random.Generator) -> NDArray[np.int64]:
    per = log_weights.reshape(islands, -1)
    size = per.shape[1]
    w = np.exp(per - per.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    positions = (rng.uniform(size=(islands, 1)) + np.arange(size)[None, :]) / size
    cumulative = np.cumsum(w, axis=1)
    cumulative[:, -1] = 1.0
    index = np.stack([np.searchsorted(cumulative[i], positions[i]) for i in range(islands)])
    offsets = (np.arange(islands) * size)[:, None]
    result: NDArray[np.int64] = (np.minimum(index, size - 1) + offsets).reshape(-1)
    return result


def _proposal_factors(z: Array, islands: int) -> Array:
    """Cholesky factors of each island's particle covariance (regularised), (islands, d, d)."""
    per = z.reshape(islands, -1, z.shape[1])
    factors = []
    for block in per:
        cov = np.atleast_2d(np.cov(block, rowvar=False))
        cov = cov + np.eye(len(cov)) * (1e-6 + 1e-3 * np.trace(cov) / len(cov))
        factors.append(np.linalg.cholesky(cov))
    return np.stack(factors)


def rhat_across_islands(z: Array, islands: int) -> Array:
    """Gelman–Rubin R-hat of every coordinate, islands as chains.

    Example
    -------
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(4000, 2))
    >>> bool((rhat_across_islands(z, 4) < 1.01).all())
    True
    """
    per = z.reshape(islands, -1, z.shape[1])
    n = per.shape[1]
    means = per.mean(axis=1)
    within = per.var(axis=1, ddof=1).mean(axis=0)
    between = n * means.var(axis=0, ddof=1) if islands > 1 else np.zeros(z.shape[1])
    pooled = (n - 1) / n * within + between / n
    result: Array = np.sqrt(pooled / np.maximum(within, 1e-300))
    return result


def _take(payload: Payload, index: NDArray[np.int64]) -> dict[str, Array]:
    return {name: np.asarray(values)[index] for name, values in payload.items()}


def _merge(old: Payload, new: Payload, accept: NDArray[np.bool_]) -> dict[str, Array]:
    out = {}
    for name, values in old.items():
        mask = accept.reshape(-1, *([1] * (np.ndim(values) - 1)))
        out[name] = np.where(mask, new[name], values)
    return out


def tempered_smc(loglik: LogLikelihood, dim: int, settings: SMCSettings) -> SMCResult:
    """Sample the posterior of ``dim`` standard-normal coordinates under ``loglik``.

    ``loglik(z)`` takes particles ``(n, dim)`` and returns their log-likelihoods ``(n,)`` and
    a payload of per-particle arrays (first axis ``n``) that follows each particle through
    resampling and moves. See the module docstring for an example.
    """
    rng = np.random.default_rng(settings.seed)
    islands, n = settings.n_islands, settings.n_particles
    z = rng.standard_normal((n, dim))
    log_likelihood, payload_raw = loglik(z)
    payload = {k: np.asarray(v) for k, v in payload_raw.items()}
    evaluations = 1
    beta = 0.0
    scale = 2.38 / math.sqrt(max(dim, 1))
    stages: list[Stage] = []
    truncated, final_ess = False, float(n / islands)
    target = settings.ess_fraction * n / islands
    while beta < 1.0:
        remaining = settings.max_evaluations - evaluations
        if remaining < settings.moves_per_stage:
            truncated = True
            final_ess = float(_island_ess((1.0 - beta) * log_likelihood, islands).min())
            index = _systematic((1.0 - beta) * log_likelihood, islands, rng)
            z, log_likelihood, payload = z[index], log_likelihood[index], _take(payload, index)
            stages.append(Stage(1.0, final_ess, float("nan")))
            beta = 1.0
            break
        new_beta, ess = _next_temperature(
            np.nan_to_num(log_likelihood, nan=-np.inf), beta, islands, target
        )
        index = _systematic((new_beta - beta) * log_likelihood, islands, rng)
        z, log_likelihood, payload = z[index], log_likelihood[index], _take(payload, index)
        beta = new_beta
        accepted_total = 0.0
        for _ in range(settings.moves_per_stage):
            factors = _proposal_factors(z, islands)
            noise = rng.standard_normal(z.shape).reshape(islands, -1, dim)
            step = np.einsum("ijk,ink->inj", factors, noise).reshape(n, dim)
            proposal = z + scale * step
            proposal_ll, proposal_payload = loglik(proposal)
            evaluations += 1
            log_ratio = beta * (proposal_ll - log_likelihood) - 0.5 * (
                (proposal**2).sum(axis=1) - (z**2).sum(axis=1)
            )
            accept = np.log(rng.uniform(size=n)) < np.nan_to_num(log_ratio, nan=-np.inf)
            z = np.where(accept[:, None], proposal, z)
            log_likelihood = np.where(accept, proposal_ll, log_likelihood)
            payload = _merge(
                payload, {k: np.asarray(v) for k, v in proposal_payload.items()}, accept
            )
            rate = float(accept.mean())
            accepted_total += rate
            scale *= 1.3 if rate > 0.4 else (0.7 if rate < 0.15 else 1.0)
        stages.append(Stage(beta, ess, accepted_total / settings.moves_per_stage))
        final_ess = ess
    return SMCResult(
        z=z,
        log_likelihood=log_likelihood,
        payload=payload,
        island=np.repeat(np.arange(islands), n // islands),
        stages=stages,
        evaluations=evaluations,
        truncated=truncated,
        final_ess=final_ess,
        rhat=rhat_across_islands(z, islands),
    )
