"""Power by simulation: how often a trial of a given size detects the primary effect.

Method (pool and resample). Virtual patients are independent draws from the
population model, and each one's outcome depends only on its own parameters,
seeds and arm. So instead of re-simulating ``replicates × sizes`` whole trials,
we simulate **one large pool** (the spec's trial with ``pool_per_arm`` patients
per arm, itself checkpointed and resumable) and, for every size and replicate,
draw patients **without replacement** from each arm's pool, then test the
primary endpoint against the control arm:

- criterion ``p_value`` (default): Welch's t-test (continuous) or Fisher's
  exact test (binary), success when ``p < alpha``;
- criterion ``ci``: success when the bootstrap confidence interval of the
  mean / risk difference (level ``1 − alpha``) excludes 0.

Power is the success fraction, with a Wilson 95 % interval for the Monte-Carlo
error. The cost is one simulation of the pool instead of
``replicates × Σ sizes`` patient-simulations (e.g. 50 replicates of 20/40/80
per arm = 7,000 patient-runs per arm, against a pool of 5 × 80 = 400). The
price: replicates share patients, so for sizes near the pool size they are
not independent and the Monte-Carlo interval is optimistic — hence the pool
must be at least ``2 ×`` the largest size (default ``5 ×``). The pool is
reused when the same spec is rerun with other sizes or replicate counts.

``sizes`` are patients **per arm** for the control arm; an arm with
allocation ratio *r* (control ratio *r_c*) gets ``round(size · r / r_c)``.

Example
-------
>>> from hpatwin.trials.power import power_from_pool
>>> import numpy as np, pandas as pd
>>> pool = pd.DataFrame({"arm": ["c"] * 200 + ["t"] * 200,
...     "endpoint:x": np.r_[np.zeros(200), np.ones(200)] + np.tile(np.linspace(-1, 1, 200), 2)})
>>> table = power_from_pool(pool, "x", "continuous", ["c", "t"], {"c": 1, "t": 1}, "c",
...                         sizes=[5, 40], replicates=40, alpha=0.05, seed=1)
>>> table["power"].tolist()[1] > table["power"].tolist()[0]
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hpatwin.io.atomic import atomic_path, refuse_overwrite
from hpatwin.trials.chunk import ENDPOINT_PREFIX
from hpatwin.trials.endpoints import configure_endpoints
from hpatwin.trials.runner import TrialResult, enrolled_patients, prepare_trial, run_trial
from hpatwin.trials.spec import TrialSpec, load_trial_spec
from hpatwin.trials.statistics import (
    bootstrap_distribution,
    mean_difference,
    p_value,
    percentile_interval,
    seeded_generator,
    wilson_interval,
)

Criterion = Literal["p_value", "ci"]
MINIMUM_POOL_FACTOR = 2.0


@dataclass
class PowerResult:
    """A power table (one row per arm × size) and where the pool trial lives.

    Example
    -------
    >>> import pandas as pd
    >>> PowerResult(pd.DataFrame(), None, "phq9_change", "p_value", 0.05).criterion
    'p_value'
    """

    table: pd.DataFrame
    pool: TrialResult | None
    endpoint: str
    criterion: Criterion
    alpha: float


def _arm_sizes(size: int, ratios: Mapping[str, int], control: str) -> dict[str, int]:
    return {arm: max(1, round(size * ratio / ratios[control])) for arm, ratio in ratios.items()}


def power_from_pool(
    pool: pd.DataFrame,
    endpoint: str,
    kind: Literal["continuous", "binary"],
    arms: Sequence[str],
    ratios: Mapping[str, int],
    control: str,
    *,
    sizes: Sequence[int],
    replicates: int,
    alpha: float = 0.05,
    criterion: Criterion = "p_value",
    n_bootstrap: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Resample trials of each size from a simulated pool and count detections.

    Draws are keyed by ``(seed, arm, size, replicate)``, so a replicate does
    not depend on which other sizes are asked for.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> pool = pd.DataFrame({"arm": ["c"] * 20 + ["t"] * 20,
    ...                      "endpoint:r": np.r_[np.zeros(20), np.ones(20)]})
    >>> power_from_pool(pool, "r", "binary", ["c", "t"], {"c": 1, "t": 1}, "c",
    ...                 sizes=[8], replicates=5)["power"].tolist()
    [1.0]
    """
    column = ENDPOINT_PREFIX + endpoint
    values: dict[str, NDArray[np.float64]] = {
        arm: pool.loc[pool["arm"] == arm, column].to_numpy(dtype=np.float64) for arm in arms
    }
    rows = []
    for size in sizes:
        wanted = _arm_sizes(size, ratios, control)
        for arm in arms:
            if len(values[arm]) < wanted[arm] * MINIMUM_POOL_FACTOR:
                raise ValueError(
                    f"--pool-per-arm: arm {arm} has {len(values[arm])} pooled patients, fewer "
                    f"than {MINIMUM_POOL_FACTOR:g} × {wanted[arm]} needed for size {size}; "
                    "use a larger pool"
                )
        for arm in arms:
            if arm == control:
                continue
            successes = 0
            estimates = []
            for replicate in range(replicates):
                rng_c = seeded_generator(seed, control, str(size), str(replicate), "draw")
                rng_t = seeded_generator(seed, arm, str(size), str(replicate), "draw")
                control_draw = rng_c.choice(values[control], wanted[control], replace=False)
                treated_draw = rng_t.choice(values[arm], wanted[arm], replace=False)
                control_draw = control_draw[np.isfinite(control_draw)]
                treated_draw = treated_draw[np.isfinite(treated_draw)]
                if len(control_draw) == 0 or len(treated_draw) == 0:
                    continue
                estimates.append(float(mean_difference(treated_draw, control_draw)))
                if criterion == "p_value":
                    detected = p_value(treated_draw, control_draw, kind) < alpha
                else:
                    low, high = percentile_interval(
                        bootstrap_distribution(
                            treated_draw,
                            control_draw,
                            mean_difference,
                            n_bootstrap=n_bootstrap,
                            rng=seeded_generator(seed, arm, str(size), str(replicate), "ci"),
                        ),
                        1.0 - alpha,
                    )
                    detected = bool(low > 0 or high < 0)
                successes += int(detected)
            low_power, high_power = wilson_interval(successes, replicates, 0.95)
            rows.append(
                {
                    "endpoint": endpoint,
                    "arm": arm,
                    "control": control,
                    "size_per_arm": size,
                    "n_arm": wanted[arm],
                    "n_control": wanted[control],
                    "replicates": replicates,
                    "detections": successes,
                    "power": successes / replicates,
                    "power_ci_low": low_power,
                    "power_ci_high": high_power,
                    "mean_estimate": float(np.mean(estimates)) if estimates else math.nan,
                    "criterion": criterion,
                    "alpha": alpha,
                }
            )
    return pd.DataFrame(rows)


def power_analysis(
    spec: TrialSpec | str | Path,
    out_dir: str | Path,
    *,
    sizes: Sequence[int],
    replicates: int = 50,
    pool_per_arm: int | None = None,
    alpha: float | None = None,
    criterion: Criterion = "p_value",
    n_bootstrap: int = 500,
    seed: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> PowerResult:
    """Power of the spec's primary endpoint over ``sizes`` (patients per arm).

    Simulates (or reuses, or resumes) the pool under ``out_dir/pool`` and
    writes ``power.csv`` and ``power.png`` in ``out_dir``. See the module
    docstring for the method and its justification.

    Example
    -------
    >>> from hpatwin.trials.spec import _example_spec
    >>> power_analysis(_example_spec(), "unused", sizes=[1, 10])
    Traceback (most recent call last):
    ...
    ValueError: --sizes: [1, 10] must be whole numbers ≥ 2 (patients per arm)
    """
    if not isinstance(spec, TrialSpec):
        spec = load_trial_spec(spec)
    cleaned = sorted({int(s) for s in sizes})
    if not cleaned or cleaned[0] < 2:
        raise ValueError(f"--sizes: {list(sizes)} must be whole numbers ≥ 2 (patients per arm)")
    if replicates < 1:
        raise ValueError(f"--replicates: {replicates} must be ≥ 1")
    control = spec.control_arm_name()
    if control is None or len(spec.arms) < 2:
        raise ValueError("arms: power needs at least two arms and a control arm")
    alpha = spec.statistics.alpha if alpha is None else alpha
    if not 0 < alpha < 0.5:
        raise ValueError(f"--alpha: {alpha} must be in (0, 0.5)")
    ratios = {arm.name: arm.ratio for arm in spec.arms}
    largest = max(_arm_sizes(cleaned[-1], ratios, control).values())
    pool_per_arm = pool_per_arm or max(5 * largest, 50)
    if pool_per_arm < MINIMUM_POOL_FACTOR * largest:
        raise ValueError(
            f"--pool-per-arm: {pool_per_arm} must be ≥ {MINIMUM_POOL_FACTOR:g} × the largest "
            f"arm size ({largest})"
        )
    out = Path(out_dir)
    refuse_overwrite(out / "power.csv", overwrite)
    # enough patients that every arm's pool holds about pool_per_arm (ratio-scaled)
    total = math.ceil(pool_per_arm * sum(ratios.values()) / min(ratios.values()) * 1.05) + 2 * len(
        ratios
    )
    pool_spec = spec.with_overrides(
        population={**spec.population.model_dump(), "size": total},
        randomisation={**spec.randomisation.model_dump(), "method": "block"},
    )
    prepare_trial(pool_spec)  # validate before touching the output folder
    pool = run_trial(
        pool_spec,
        out / "pool",
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        overwrite=overwrite,
        reuse_complete=True,
    )
    patients = enrolled_patients(pool.patients())  # screen failures are never analysed
    primary = spec.primary_endpoint_key()
    kind = _endpoint_kind(spec, primary)
    table = power_from_pool(
        patients,
        primary,
        kind,
        [arm.name for arm in spec.arms],
        ratios,
        control,
        sizes=cleaned,
        replicates=replicates,
        alpha=alpha,
        criterion=criterion,
        n_bootstrap=n_bootstrap,
        seed=spec.derived_seed("statistics") if seed is None else seed,
    )
    with atomic_path(out / "power.csv") as tmp:
        table.to_csv(tmp, index=False)
    plot_power(table, out / "power.png")
    return PowerResult(table, pool, primary, criterion, alpha)


def _endpoint_kind(spec: TrialSpec, key: str) -> Literal["continuous", "binary"]:
    for endpoint in configure_endpoints(spec):
        if endpoint.key == key:
            return endpoint.kind
    raise ValueError(f"primary_endpoint: unknown endpoint {key!r}")


def plot_power(table: pd.DataFrame, path: Path) -> Path:
    """Power curves (one per arm) with Monte-Carlo intervals, written atomically as PNG.

    Example
    -------
    >>> import pathlib, tempfile, pandas as pd
    >>> table = pd.DataFrame({"arm": ["t", "t"], "size_per_arm": [10, 20], "power": [0.4, 0.8],
    ...     "power_ci_low": [0.2, 0.6], "power_ci_high": [0.6, 0.9], "endpoint": "x",
    ...     "criterion": "p_value"})
    >>> plot_power(table, pathlib.Path(tempfile.mkdtemp()) / "p.png").stat().st_size > 1000
    True
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.6))
    axes = figure.add_subplot()
    for arm, rows in table.groupby("arm", sort=False):
        sizes = rows["size_per_arm"].to_numpy(dtype=np.float64)
        power = rows["power"].to_numpy(dtype=np.float64)
        axes.plot(sizes, power, marker="o", label=str(arm))
        axes.fill_between(
            sizes,
            rows["power_ci_low"].to_numpy(dtype=np.float64),
            rows["power_ci_high"].to_numpy(dtype=np.float64),
            alpha=0.15,
        )
    axes.axhline(0.8, color="#999", lw=0.8, ls="--")
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("patients per arm (control)")
    axes.set_ylabel("power")
    if not table.empty:
        axes.set_title(
            f"power for {table['endpoint'].iloc[0]} (criterion {table['criterion'].iloc[0]})"
        )
    axes.legend(frameon=False)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    return path
