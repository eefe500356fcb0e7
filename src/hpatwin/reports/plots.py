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
    fig = _hpa_figure(one) if "plasma_cortisol_nmol_l" in ds else _states_figure(one)
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
