"""Endpoint summaries per arm and effect sizes against a control arm, with bootstrap CIs.

Definitions (treated arm *t*, control *c*; ``n`` counts patients with a finite value):

- mean difference ``m_t − m_c``;
- pooled SD ``s_p = sqrt(((n_t − 1) s_t² + (n_c − 1) s_c²) / (n_t + n_c − 2))`` with
  sample variances (``ddof = 1``); Cohen's ``d = (m_t − m_c) / s_p``;
- Hedges' ``g = J · d`` with the small-sample correction
  ``J = 1 − 3 / (4 (n_t + n_c) − 9)`` (Hedges & Olkin 1985);
- risk difference ``p_t − p_c`` for binary endpoints (NaN values — "not
  applicable" — are excluded, as for continuous ones);
- confidence intervals: percentile bootstrap, resampling patients with
  replacement **within each arm** (stratified), ``B`` replicates, from a
  seeded generator keyed by ``(seed, endpoint, arm)`` so an interval does not
  depend on which other endpoints or arms a trial has;
- p-values: Welch's t-test (continuous), Fisher's exact test (binary); rates
  get Wilson score intervals.

Example
-------
>>> import numpy as np
>>> from hpatwin.trials.statistics import hedges_g
>>> round(float(hedges_g(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0]))), 4)
1.5179
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

Array = NDArray[np.float64]
Statistic = Callable[[Array, Array], Array]

#: bootstrap replicates are drawn in batches of at most this many resampled values
_BOOTSTRAP_BATCH_VALUES = 4_000_000


def mean_difference(treated: Array, control: Array) -> Array:
    """``mean(treated) − mean(control)`` along the last axis.

    Example
    -------
    >>> import numpy as np
    >>> float(mean_difference(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0])))
    3.0
    """
    return np.asarray(treated.mean(axis=-1) - control.mean(axis=-1), dtype=np.float64)


def pooled_sd(treated: Array, control: Array) -> Array:
    """Pooled standard deviation (sample variances) along the last axis.

    Example
    -------
    >>> import numpy as np
    >>> float(pooled_sd(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0]))) ** 2
    2.5000000000000004
    """
    n_t, n_c = treated.shape[-1], control.shape[-1]
    if n_t + n_c <= 2:
        return np.full(np.broadcast_shapes(treated.shape[:-1], control.shape[:-1]), np.nan)
    var_t = treated.var(axis=-1, ddof=1) if n_t > 1 else np.zeros(treated.shape[:-1])
    var_c = control.var(axis=-1, ddof=1) if n_c > 1 else np.zeros(control.shape[:-1])
    return np.asarray(np.sqrt(((n_t - 1) * var_t + (n_c - 1) * var_c) / (n_t + n_c - 2)))


def cohens_d(treated: Array, control: Array) -> Array:
    """Cohen's d: mean difference over the pooled SD (NaN when the pooled SD is 0).

    Example
    -------
    >>> import numpy as np
    >>> round(float(cohens_d(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0]))), 4)
    1.8974
    """
    spread = pooled_sd(treated, control)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread > 0, mean_difference(treated, control) / spread, np.nan)


def hedges_correction(n_treated: int, n_control: int) -> float:
    """Hedges' small-sample factor ``J = 1 − 3 / (4 (n_t + n_c) − 9)``.

    Example
    -------
    >>> hedges_correction(3, 3)
    0.8
    """
    return 1.0 - 3.0 / (4.0 * (n_treated + n_control) - 9.0)


def hedges_g(treated: Array, control: Array) -> Array:
    """Hedges' g: Cohen's d times the small-sample correction ``J``.

    Example
    -------
    >>> import numpy as np
    >>> round(float(hedges_g(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0]))), 4)
    1.5179
    """
    return cohens_d(treated, control) * hedges_correction(treated.shape[-1], control.shape[-1])


def risk_difference(treated: Array, control: Array) -> Array:
    """Difference in event rates of 0/1 outcomes along the last axis.

    Example
    -------
    >>> import numpy as np
    >>> float(risk_difference(np.array([1.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0, 0.0])))
    0.5
    """
    return mean_difference(treated, control)


def seeded_generator(seed: int, *labels: str) -> np.random.Generator:
    """A generator keyed by a seed and labels (stable across Python runs).

    Example
    -------
    >>> a = seeded_generator(1, "phq9_change", "ea").random()
    >>> b = seeded_generator(1, "phq9_change", "ea").random()
    >>> a == b
    True
    """
    key = tuple(zlib.crc32(label.encode()) for label in labels)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def bootstrap_distribution(
    treated: Array,
    control: Array,
    statistic: Statistic,
    *,
    n_bootstrap: int,
    rng: np.random.Generator,
) -> Array:
    """``n_bootstrap`` values of ``statistic`` on patients resampled within each arm.

    Replicates are drawn in batches (bounded memory); per batch the treated
    indices are drawn first, then the control indices. ``statistic`` may
    return several values per replicate (shape ``(replicates, k)``).

    Example
    -------
    >>> import numpy as np
    >>> values = bootstrap_distribution(np.array([2.0, 2.0]), np.array([1.0]),
    ...     mean_difference, n_bootstrap=5, rng=np.random.default_rng(0))
    >>> values.tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    n_t, n_c = len(treated), len(control)
    batch = max(1, _BOOTSTRAP_BATCH_VALUES // max(1, n_t + n_c))
    chunks = []
    for start in range(0, n_bootstrap, batch):
        size = min(batch, n_bootstrap - start)
        index_t = rng.integers(0, n_t, size=(size, n_t))
        index_c = rng.integers(0, n_c, size=(size, n_c))
        chunks.append(statistic(treated[index_t], control[index_c]))
    return np.concatenate(chunks, axis=0)


def percentile_interval(values: Array, confidence: float) -> tuple[float, float]:
    """Percentile interval of bootstrap values (NaN replicates ignored).

    Example
    -------
    >>> import numpy as np
    >>> [round(v, 9) for v in percentile_interval(np.arange(101.0), 0.9)]
    [5.0, 95.0]
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return (float(low), float(high))


def wilson_interval(events: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval for a proportion.

    Example
    -------
    >>> tuple(round(v, 4) for v in wilson_interval(5, 10, 0.95))
    (0.2366, 0.7634)
    """
    if n == 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def p_value(treated: Array, control: Array, kind: Literal["continuous", "binary"]) -> float:
    """Two-sided p-value: Welch's t-test (continuous) or Fisher's exact test (binary).

    Example
    -------
    >>> import numpy as np
    >>> round(p_value(np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.0]), "binary"), 6)
    0.1
    """
    if len(treated) == 0 or len(control) == 0:
        return math.nan
    if kind == "binary":
        events_t, events_c = int(treated.sum()), int(control.sum())
        table = [[events_t, len(treated) - events_t], [events_c, len(control) - events_c]]
        return float(stats.fisher_exact(table).pvalue)
    if len(treated) < 2 or len(control) < 2:
        return math.nan
    if treated.var() == 0 and control.var() == 0:
        return 1.0 if treated[0] == control[0] else 0.0
    with warnings.catch_warnings():
        # observed scores are integers: one arm of a tiny sample may be constant, which
        # scipy flags as "precision loss"; Welch's test is still defined (the other arm varies)
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(treated, control, equal_var=False).pvalue)


@dataclass(frozen=True)
class Comparison:
    """One arm against the control on one endpoint (see :func:`compare`).

    Example
    -------
    >>> import numpy as np
    >>> compare(np.array([1.0, 1.0]), np.array([0.0, 1.0]), "binary", n_bootstrap=10,
    ...         confidence=0.9, rng=np.random.default_rng(0)).estimate_name
    'risk difference'
    """

    estimate_name: str
    estimate: float
    ci_low: float
    ci_high: float
    hedges_g: float
    hedges_g_ci_low: float
    hedges_g_ci_high: float
    cohens_d: float
    p_value: float
    test: str
    n_treated: int
    n_control: int


def compare(
    treated: Array,
    control: Array,
    kind: Literal["continuous", "binary"],
    *,
    n_bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
) -> Comparison:
    """Effect of ``treated`` vs ``control`` (NaNs dropped) with bootstrap CIs.

    Example
    -------
    >>> import numpy as np
    >>> c = compare(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0]), "continuous",
    ...             n_bootstrap=200, confidence=0.95, rng=np.random.default_rng(1))
    >>> c.estimate, c.ci_low <= 3.0 <= c.ci_high
    (3.0, True)
    """
    treated = treated[np.isfinite(treated)]
    control = control[np.isfinite(control)]
    n_t, n_c = len(treated), len(control)
    if n_t == 0 or n_c == 0:
        nan = math.nan
        name = "risk difference" if kind == "binary" else "mean difference"
        return Comparison(name, nan, nan, nan, nan, nan, nan, nan, nan, "", n_t, n_c)
    if kind == "binary":
        estimate = float(risk_difference(treated, control))
        low, high = percentile_interval(
            bootstrap_distribution(
                treated, control, risk_difference, n_bootstrap=n_bootstrap, rng=rng
            ),
            confidence,
        )
        return Comparison(
            "risk difference",
            estimate,
            low,
            high,
            math.nan,
            math.nan,
            math.nan,
            math.nan,
            p_value(treated, control, kind),
            "Fisher exact",
            n_t,
            n_c,
        )

    def both(t: Array, c: Array) -> Array:
        return np.stack([mean_difference(t, c), hedges_g(t, c)], axis=-1)

    index_stats = bootstrap_distribution(treated, control, both, n_bootstrap=n_bootstrap, rng=rng)
    low, high = percentile_interval(index_stats[:, 0], confidence)
    g_low, g_high = percentile_interval(index_stats[:, 1], confidence)
    return Comparison(
        "mean difference",
        float(mean_difference(treated, control)),
        low,
        high,
        float(hedges_g(treated, control)),
        g_low,
        g_high,
        float(cohens_d(treated, control)),
        p_value(treated, control, kind),
        "Welch t-test",
        n_t,
        n_c,
    )


@dataclass(frozen=True)
class EndpointColumn:
    """What the statistics need to know about one endpoint column.

    Example
    -------
    >>> EndpointColumn("phq9_change", "continuous", "points").kind
    'continuous'
    """

    key: str
    kind: Literal["continuous", "binary"]
    unit: str = ""


def endpoint_table(
    patients: pd.DataFrame,
    endpoints: Sequence[EndpointColumn],
    arms: Sequence[str],
    *,
    confidence: float = 0.95,
    column_prefix: str = "endpoint:",
) -> pd.DataFrame:
    """Per-arm summaries: n, mean, SD, median, quartiles; events, rate and Wilson CI for binary.

    Example
    -------
    >>> import pandas as pd
    >>> patients = pd.DataFrame({"arm": ["a", "a", "b"], "endpoint:x": [1.0, 0.0, 1.0]})
    >>> table = endpoint_table(patients, [EndpointColumn("x", "binary")], ["a", "b"])
    >>> table[["arm", "n", "events", "rate"]].to_dict("records")
    [{'arm': 'a', 'n': 2, 'events': 1, 'rate': 0.5}, {'arm': 'b', 'n': 1, 'events': 1, 'rate': 1.0}]
    """
    rows = []
    for endpoint in endpoints:
        for arm in arms:
            values = patients.loc[patients["arm"] == arm, column_prefix + endpoint.key].to_numpy(
                dtype=np.float64
            )
            values = values[np.isfinite(values)]
            n = len(values)
            row: dict[str, object] = {
                "endpoint": endpoint.key,
                "kind": endpoint.kind,
                "unit": endpoint.unit,
                "arm": arm,
                "n": n,
                "mean": float(values.mean()) if n else math.nan,
                "sd": float(values.std(ddof=1)) if n > 1 else math.nan,
                "median": float(np.median(values)) if n else math.nan,
                "q1": float(np.quantile(values, 0.25)) if n else math.nan,
                "q3": float(np.quantile(values, 0.75)) if n else math.nan,
            }
            if endpoint.kind == "binary":
                events = int(values.sum())
                low, high = wilson_interval(events, n, confidence)
                row.update(
                    events=events,
                    rate=events / n if n else math.nan,
                    rate_ci_low=low,
                    rate_ci_high=high,
                )
            rows.append(row)
    table = pd.DataFrame(rows)
    for column in ("events", "rate", "rate_ci_low", "rate_ci_high"):
        if column not in table:
            table[column] = math.nan
    if "events" in table:
        table["events"] = table["events"].astype("Int64")
    return table


def effect_table(
    patients: pd.DataFrame,
    endpoints: Sequence[EndpointColumn],
    arms: Sequence[str],
    control: str,
    *,
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    primary: str | None = None,
    column_prefix: str = "endpoint:",
) -> pd.DataFrame:
    """Each non-control arm against ``control`` on every endpoint.

    Example
    -------
    >>> import pandas as pd
    >>> patients = pd.DataFrame({"arm": ["c", "c", "c", "t", "t", "t"],
    ...                          "endpoint:x": [1.0, 2.0, 3.0, 3.0, 5.0, 7.0]})
    >>> row = effect_table(patients, [EndpointColumn("x", "continuous")], ["c", "t"], "c",
    ...                    n_bootstrap=100).iloc[0]
    >>> float(row["estimate"]), round(float(row["hedges_g"]), 4)
    (3.0, 1.5179)
    """
    rows = []
    control_rows = patients["arm"] == control
    for endpoint in endpoints:
        column = column_prefix + endpoint.key
        control_values = patients.loc[control_rows, column].to_numpy(dtype=np.float64)
        for arm in arms:
            if arm == control:
                continue
            treated_values = patients.loc[patients["arm"] == arm, column].to_numpy(dtype=np.float64)
            result = compare(
                treated_values,
                control_values,
                endpoint.kind,
                n_bootstrap=n_bootstrap,
                confidence=confidence,
                rng=seeded_generator(seed, endpoint.key, arm, control),
            )
            rows.append(
                {
                    "endpoint": endpoint.key,
                    "kind": endpoint.kind,
                    "unit": endpoint.unit,
                    "arm": arm,
                    "control": control,
                    "primary": endpoint.key == primary,
                    "n_arm": result.n_treated,
                    "n_control": result.n_control,
                    "estimate_name": result.estimate_name,
                    "estimate": result.estimate,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "hedges_g": result.hedges_g,
                    "hedges_g_ci_low": result.hedges_g_ci_low,
                    "hedges_g_ci_high": result.hedges_g_ci_high,
                    "cohens_d": result.cohens_d,
                    "p_value": result.p_value,
                    "test": result.test,
                    "confidence_level": confidence,
                    "bootstrap_samples": n_bootstrap,
                }
            )
    return pd.DataFrame(rows)
