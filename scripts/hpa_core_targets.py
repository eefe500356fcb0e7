"""Print the HPA core's physiology targets next to the values the model gives.

Run: ``.venv/bin/python scripts/hpa_core_targets.py`` (about a minute). The same targets are asserted,
with their tolerances, in ``tests/test_hpa_core.py``; this script reports the figures for the docs.
"""

from __future__ import annotations

import numpy as np

import hpatwin
from hpatwin.analysis import count_secretory_episodes, daily_extremes
from hpatwin.experiments import (
    cortisol_washout,
    crh_stimulation,
    dexamethasone_suppression,
    stress_then_release,
)


def main() -> None:
    det = hpatwin.simulate("hpa_core", days=2, pulses=False)
    cortisol = det["plasma_cortisol_nmol_l"].isel(patient=0)
    saliva = det["salivary_cortisol_nmol_l"].isel(patient=0)
    ext = daily_extremes(cortisol["time"], cortisol, 1)
    rows = [
        (
            "plasma peak (deterministic)",
            "06:30-09:30; Debono ~428 nmol/L at 08:32",
            f"{ext.peak:.0f} nmol/L at {ext.peak_clock_h:.2f} h",
        ),
        (
            "plasma nadir (deterministic)",
            "around midnight; Debono ~55 nmol/L at 00:18",
            f"{ext.nadir:.0f} nmol/L at {ext.nadir_clock_h:.2f} h",
        ),
        (
            "salivary 08:00 (deterministic)",
            "2.8-20.7 nmol/L",
            f"{float(saliva.sel(time=1440 + 480)):.1f} nmol/L",
        ),
        (
            "salivary 23:00 (deterministic)",
            "< 2.8 nmol/L",
            f"{float(saliva.sel(time=1440 + 1380)):.2f} nmol/L",
        ),
        (
            "awakening response",
            "+50-75 % in 30 min",
            f"+{(float(saliva.sel(time=1440 + 450) / saliva.sel(time=1440 + 420)) - 1) * 100:.0f} %",
        ),
        (
            "ACTH 08:00 (deterministic)",
            "7-50 pg/mL",
            f"{float(det['acth_pg_ml'].isel(patient=0).sel(time=1440 + 480)):.0f} pg/mL",
        ),
    ]
    week = hpatwin.simulate("hpa_core", days=7, seed=1, n_patients=30)
    plasma = week["plasma_cortisol_nmol_l"]
    sal = week["salivary_cortisol_nmol_l"]
    counts = np.array(
        [
            count_secretory_episodes(
                plasma.isel(patient=p).sel(time=slice(d * 1440, (d + 1) * 1440)).values
            )
            for p in range(30)
            for d in range(1, 7)
        ]
    )
    s08 = np.array([sal.sel(time=d * 1440 + 480).values for d in range(1, 7)]).ravel()
    s23 = np.array([sal.sel(time=d * 1440 + 1380).values for d in range(1, 7)]).ravel()
    rows += [
        (
            "secretory episodes / 24 h (30 patients × 6 d)",
            "mean 9 (7-13)",
            f"mean {counts.mean():.1f}; {np.mean((counts >= 7) & (counts <= 13)) * 100:.0f} % of days in 7-13",
        ),
        (
            "salivary 08:00 in 2.8-20.7 (pulsatile)",
            "reference range",
            f"{np.mean((s08 >= 2.8) & (s08 <= 20.7)) * 100:.0f} % of samples",
        ),
        (
            "salivary 23:00 < 2.8 (pulsatile)",
            "late-night cut-off",
            f"{np.mean(s23 < 2.8) * 100:.0f} % of samples",
        ),
        ("washout half-life", "49-80 min", f"{cortisol_washout().half_life_min:.1f} min"),
    ]
    for seed in (1, 2, 3):
        healthy = dexamethasone_suppression(phenotype="healthy", seed=seed)
        resistant = dexamethasone_suppression(phenotype="gr_resistant", seed=seed)
        rows.append(
            (
                f"1 mg DST at 23:00, next-day cortisol 08:00 / 16:00 / 23:00, seed {seed}",
                "healthy < 50 / < 138 / < 138; GR-resistant ≥ 50 at 08:00",
                f"healthy {healthy.cortisol_0800_nmol_l:.0f} / {healthy.cortisol_1600_nmol_l:.0f} / "
                f"{healthy.cortisol_2300_nmol_l:.0f}, GR-resistant "
                f"{resistant.cortisol_0800_nmol_l:.0f} / {resistant.cortisol_1600_nmol_l:.0f} / "
                f"{resistant.cortisol_2300_nmol_l:.0f} nmol/L",
            )
        )
    crh = crh_stimulation()
    rows.append(
        (
            "CRH test (10 units / 30 min at 20:00)",
            "ACTH then cortisol rise",
            f"ACTH ×{crh.acth_peak_pg_ml / crh.acth_baseline_pg_ml:.1f} at {crh.acth_peak_minutes:.0f} min; "
            f"cortisol ×{crh.cortisol_peak_nmol_l / crh.cortisol_baseline_nmol_l:.1f} at {crh.cortisol_peak_minutes:.0f} min",
        )
    )
    stress = stress_then_release(stress_days=42, recovery_days=56)
    cb = stress.baseline(stress.cortisol_daily_mean_nmol_l)
    ab = stress.baseline(stress.acth_daily_mean_pg_ml)
    for weeks in (1, 2, 4, 6):
        d = stress.stress_end_day + 7 * weeks
        rows.append(
            (
                f"{weeks} wk after 6 wk of doubled stress",
                "cortisol > baseline, ACTH < baseline",
                f"cortisol ×{stress.cortisol_daily_mean_nmol_l[d] / cb:.2f}, ACTH ×{stress.acth_daily_mean_pg_ml[d] / ab:.2f}, "
                f"adrenal mass {stress.adrenal_mass[d]:.2f}",
            )
        )
    print("| quantity | target | model |\n|---|---|---|")
    for name, target, value in rows:
        print(f"| {name} | {target} | {value} |")


if __name__ == "__main__":
    main()
