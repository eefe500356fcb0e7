"""Figures of the patient twin: fan charts of candidate protocols side by side.

One panel per protocol, same axes: the observed-score predictive as 95/80/50 % bands and
its median, the patient's recorded scores as dots, a line at the last observation and, for
PHQ-9, the remission threshold. Used by ``hpatwin forecast``, the web forecast page and the
patient report (matplotlib, the project's one plotting library).

Example
-------
>>> import numpy as np, pandas as pd, xarray as xr
>>> days = [0, 7, 14]
>>> ds = xr.Dataset({"phq9": (("protocol", "day", "draw"), np.random.default_rng(0)
...        .integers(5, 20, (2, 3, 50)).astype(float))},
...        coords={"protocol": ["a", "b"], "day": days, "draw": range(50)})
>>> fig = fan_chart_figure(ds, "phq9", observed=[(0, 15.0)], last_day=0,
...                        labels={"a": "A", "b": "B"})
>>> len(fig.axes)
2
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from hpatwin.io.atomic import atomic_path

BANDS = ((0.025, 0.975, 0.15), (0.10, 0.90, 0.25), (0.25, 0.75, 0.4))
LIMITS = {"phq9": (0.0, 27.0, "PHQ-9 (0-27)"), "pain_nrs": (0.0, 10.0, "Pain NRS (0-10)")}
REMISSION_BELOW = 5.0


def fan_chart_figure(
    dataset: xr.Dataset,
    measure: str,
    *,
    observed: Sequence[tuple[float, float]] = (),
    last_day: float | None = None,
    labels: Mapping[str, str] | None = None,
    columns: int = 4,
) -> Figure:
    """One fan-chart panel per protocol (see the module docstring)."""
    protocols = [str(p) for p in dataset["protocol"].values]
    low_limit, high_limit, axis_label = LIMITS.get(measure, (None, None, measure))
    n_columns = min(columns, len(protocols))
    n_rows = -(-len(protocols) // n_columns)
    fig, axes = plt.subplots(
        n_rows,
        n_columns,
        figsize=(3.1 * n_columns, 2.6 * n_rows),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    days = np.asarray(dataset["day"].values, dtype=np.float64)
    weeks = days / 7.0
    for index, protocol in enumerate(protocols):
        ax = axes[index // n_columns][index % n_columns]
        draws = np.asarray(dataset[measure].sel(protocol=protocol).values, dtype=np.float64)
        for low, high, alpha in BANDS:
            ax.fill_between(
                weeks,
                np.quantile(draws, low, axis=1),
                np.quantile(draws, high, axis=1),
                color="tab:blue",
                alpha=alpha,
                linewidth=0,
            )
        ax.plot(weeks, np.median(draws, axis=1), color="tab:blue", linewidth=1.5)
        if observed:
            ax.plot(
                [d / 7 for d, _ in observed],
                [v for _, v in observed],
                "o",
                color="black",
                markersize=3.5,
                label="recorded",
            )
        if last_day is not None:
            ax.axvline(last_day / 7, color="grey", linestyle=":", linewidth=1)
        if measure == "phq9":
            ax.axhline(REMISSION_BELOW, color="tab:green", linestyle="--", linewidth=0.8)
        ax.set_title((labels or {}).get(protocol, protocol), fontsize=8)
        if low_limit is not None:
            ax.set_ylim(low_limit, high_limit)
        ax.grid(alpha=0.3)
    for extra in range(len(protocols), n_rows * n_columns):
        axes[extra // n_columns][extra % n_columns].set_visible(False)
    for row in axes:
        row[0].set_ylabel(axis_label, fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("week", fontsize=8)
    fig.suptitle(
        "Forecast of observed scores: 50/80/95 % intervals; dots = recorded; "
        "dotted line = last visit",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def save_fan_chart(fig: Figure, path: Path | str) -> Path:
    """Write a figure atomically (format from the suffix) and close it."""
    target = Path(path)
    with atomic_path(target) as temporary:
        fig.savefig(temporary, format=target.suffix.lstrip(".") or "png", dpi=110)
    plt.close(fig)
    return target


def fan_chart_svg(fig: Figure) -> str:
    """The figure as inline SVG text (for web pages and HTML reports), closed afterwards.

    Example
    -------
    >>> fig, _ = plt.subplots()
    >>> fan_chart_svg(fig).lstrip().startswith("<?xml")
    True
    """
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()
