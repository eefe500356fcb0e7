"""Simulation figures: hormones over the whole run and the overlaid 24-hour profile.

Example
-------
>>> import hpatwin, tempfile, pathlib
>>> from hpatwin.reports import plot_simulation
>>> ds = hpatwin.simulate("hpa_core", days=2, seed=1)
>>> out = pathlib.Path(tempfile.mkdtemp()) / "fig.png"
>>> plot_simulation(ds, out).exists()
True
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from hpatwin.io.atomic import atomic_path

SAMPLE_HOURS = (8.0, 23.0)


def plot_simulation(ds: xr.Dataset, path: Path | str, patient: int = 0) -> Path:
    """Write the standard simulation figure for one patient and return its path.

    HPA-core results get cortisol and ACTH over the run plus an overlaid 24-hour
    salivary profile with the 08:00 and 23:00 samples marked; other models get
    one panel per state.
    """
    path = Path(path)
    one = ds.isel(patient=patient)
    if "phq9_expected" in ds:
        fig = _cascade_figure(one)
    elif "plasma_cortisol_nmol_l" in ds:
        fig = _hpa_figure(one)
    else:
        fig = _states_figure(one)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=110)
    plt.close(fig)
    return path


def _hpa_figure(one: xr.Dataset) -> Figure:
    days = one["time"].values / 1440.0
    fig, axes = plt.subplots(3, 1, figsize=(10, 9), constrained_layout=True)
    axes[0].plot(days, one["plasma_cortisol_nmol_l"], lw=0.8, color="tab:red")
    axes[0].set_ylabel("plasma cortisol (nmol/L)")
    axes[0].set_title(
        f"{one.attrs.get('model', '')} — {one.attrs.get('phenotype', '') or 'custom'}"
    )
    axes[1].plot(days, one["acth_pg_ml"], lw=0.8, color="tab:blue")
    axes[1].set_ylabel("plasma ACTH (pg/mL)")
    axes[1].set_xlabel("day")
    saliva = one["salivary_cortisol_nmol_l"].values
    clock = one["time"].values % 1440 / 60
    day_index = (one["time"].values // 1440).astype(int)
    n_days = int(day_index.max())
    cmap = plt.get_cmap("viridis", max(n_days, 1))
    for d in range(n_days):
        mask = day_index == d
        axes[2].plot(
            clock[mask],
            saliva[mask],
            lw=0.8,
            color=cmap(d),
            alpha=0.8,
            label=f"day {d + 1}" if n_days <= 10 else None,
        )
        for hour, marker in zip(SAMPLE_HOURS, ("o", "s"), strict=True):
            t = d * 1440 + hour * 60
            value = float(one["salivary_cortisol_nmol_l"].sel(time=t, method="nearest"))
            axes[2].plot(hour, value, marker, color="black", ms=4)
    axes[2].axhline(2.8, ls="--", lw=0.8, color="grey")
    axes[2].text(0.2, 2.9, "late-night cut-off 2.8 nmol/L (LC-MS/MS)", fontsize=7, color="grey")
    axes[2].set_xlim(0, 24)
    axes[2].set_xticks(np.arange(0, 25, 3))
    axes[2].set_xlabel("clock time (h) — ● 08:00, ■ 23:00 samples")
    axes[2].set_ylabel("salivary cortisol (nmol/L)")
    if n_days <= 10:
        axes[2].legend(fontsize=7, ncol=5)
    return fig


def _states_figure(one: xr.Dataset) -> Figure:
    names = [n for n in one.data_vars if one[n].dims == ("time",)]
    fig, axes = plt.subplots(
        len(names),
        1,
        figsize=(9, 2.2 * len(names)),
        sharex=True,
        constrained_layout=True,
        squeeze=False,
    )
    for ax, name in zip(axes[:, 0], names, strict=True):
        ax.plot(one["time"].values, one[name].values, lw=0.9)
        ax.set_ylabel(f"{name} ({one[name].attrs.get('units', '')})", fontsize=8)
    axes[-1, 0].set_xlabel(f"time ({one.attrs.get('time_unit', '')})")
    axes[0, 0].set_title(str(one.attrs.get("model_title", "")))
    return fig


#: Panels of the cascade figure: title and (variable, label) pairs, in the article's order.
CASCADE_PANELS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("cortisol rhythm (nmol/L)", (("plasma_cortisol_nmol_l", "plasma"),)),
    ("GR sensitivity", (("gr_sensitivity", "GR"),)),
    ("monoamines", (("serotonin", "5-HT"), ("noradrenaline", "NA"))),
    (
        "BDNF / hippocampus",
        (("bdnf", "BDNF"), ("neurogenesis", "neurogenesis"), ("hippocampal_volume", "volume")),
    ),
    ("inflammation", (("microglia", "microglia"), ("il6_pg_ml", "IL-6 pg/mL"))),
    (
        "spinal processing",
        (
            ("central_sensitisation", "sensitisation"),
            ("descending_inhibition", "descending inhibition"),
        ),
    ),
    ("pain (expected NRS)", (("pain_nrs_expected", "NRS"),)),
    ("mood (expected PHQ-9)", (("phq9_expected", "PHQ-9"),)),
    ("sleep quality", (("sleep_quality", "sleep"),)),
    ("autonomic", (("heart_rate_bpm", "HR bpm"), ("rmssd_ms", "RMSSD ms"))),
)


def _cascade_figure(one: xr.Dataset) -> Figure:
    weeks = one["time"].values / (1440.0 * 7)
    fig, axes = plt.subplots(5, 2, figsize=(12, 13), sharex=True, constrained_layout=True)
    for ax, (title, series) in zip(axes.ravel(), CASCADE_PANELS, strict=True):
        for name, label in series:
            if name in one:
                ax.plot(weeks, one[name].values, lw=0.8, label=label)
        ax.set_title(title, fontsize=9)
        if len(series) > 1:
            ax.legend(fontsize=7)
    axes[0, 0].axhline(50, ls=":", lw=0.6, color="grey")
    axes[3, 1].axhline(10, ls="--", lw=0.8, color="grey")  # PHQ-9 ≥ 10 (Kroenke 2001)
    axes[3, 0].axhline(4, ls="--", lw=0.8, color="grey")
    for ax in axes[-1]:
        ax.set_xlabel("week")
    fig.suptitle(
        f"{one.attrs.get('model', '')} — {one.attrs.get('phenotype', '') or 'custom'}: "
        "HPA → monoamines/BDNF/inflammation → spinal processing → pain ↔ mood"
    )
    return fig
