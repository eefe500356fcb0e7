"""Regenerate ``hrv_neurokit2_reference.json``: synthetic RR series and NeuroKit2's hrv_time.

Run with NeuroKit2 installed (``pip install -e .[oracle]``)::

    python tests/clinic/data/make_hrv_reference.py

The RR series themselves are stored, so the reference does not depend on a random
number generator's stream staying the same across numpy versions.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import neurokit2 as nk
import numpy as np

FIELDS = {
    "mean_nn_ms": "HRV_MeanNN",
    "median_nn_ms": "HRV_MedianNN",
    "sdnn_ms": "HRV_SDNN",
    "rmssd_ms": "HRV_RMSSD",
    "sdsd_ms": "HRV_SDSD",
    "pnn50_pct": "HRV_pNN50",
    "pnn20_pct": "HRV_pNN20",
    "cvnn": "HRV_CVNN",
}


def series() -> dict[str, tuple[list[float], list[int]]]:
    """name -> (rr_ms, indices deleted before analysis)."""
    rng = np.random.default_rng(20240502)
    out: dict[str, tuple[list[float], list[int]]] = {}
    out["gaussian_800"] = (list(rng.normal(800, 50, 400)), [])
    t = np.arange(500)
    resp = 900 + 45 * np.sin(2 * np.pi * 0.25 * t * 0.9) + rng.normal(0, 8, 500)
    out["respiratory_sinus_900"] = (list(resp), [])
    out["low_variability_650"] = (list(rng.normal(650, 6, 600)), [])
    walk = 1000 + np.cumsum(rng.normal(0, 12, 350))
    out["random_walk_1000"] = (list(walk), [])
    base = list(rng.normal(820, 40, 450))
    out["gaussian_with_deletions"] = (base, [40, 41, 200, 333])
    return out


def main() -> None:
    data = {"neurokit2_version": nk.__version__, "series": {}}
    for name, (rr, deleted) in series().items():
        rr_a = np.asarray(rr)
        t = np.cumsum(rr_a) / 1000.0
        keep = np.ones(rr_a.size, dtype=bool)
        keep[deleted] = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = nk.hrv_time({"RRI": rr_a[keep], "RRI_Time": t[keep]})
        data["series"][name] = {
            "rr_ms": [float(v) for v in rr_a],
            "deleted": deleted,
            "neurokit2": {k: float(out[v].iloc[0]) for k, v in FIELDS.items()},
        }
    path = Path(__file__).with_name("hrv_neurokit2_reference.json")
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
