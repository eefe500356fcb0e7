"""Analgesic titration to a pain target: how much drug a patient needs, with or without co-treatment.

The dose is raised through a ladder of daily doses (split across the day) until the mean
expected NRS over the last ``evaluate_days`` reaches ``target_nrs``; the first dose that does
is the requirement. Comparing requirements with and without a base plan (e.g. an EA course)
shows dose sparing (source article: acupuncture reduces the need for opioid analgesics).

Example
-------
>>> from hpatwin.experiments.titration import required_daily_dose
>>> result = required_daily_dose(doses_mg_per_day=(0.0, 40.0), target_nrs=9.5, days=3, evaluate_days=1)
>>> result.required_mg_per_day
0.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpatwin.simulation import simulate

DEFAULT_LADDER_MG_PER_DAY = (0.0, 10.0, 20.0, 30.0, 40.0, 60.0, 80.0, 120.0, 160.0)


@dataclass(frozen=True)
class TitrationResult:
    """Mean expected NRS at each daily dose and the smallest dose reaching the target."""

    drug: str
    target_nrs: float
    nrs_by_dose: dict[float, float]

    @property
    def required_mg_per_day(self) -> float | None:
        """Smallest daily dose whose mean NRS is at or below the target (``None``: none did)."""
        for dose, nrs in sorted(self.nrs_by_dose.items()):
            if nrs <= self.target_nrs:
                return dose
        return None


def _with_drug(
    base_plan: Mapping[str, Any] | None, drug: str, daily_mg: float, times: Sequence[str]
) -> dict[str, Any] | None:
    plan: dict[str, Any] = {
        k: (list(v) if isinstance(v, list | tuple) else v) for k, v in (base_plan or {}).items()
    }
    plan.setdefault("name", f"{drug} titration")
    if daily_mg > 0:
        plan.setdefault("drugs", [])
        plan["drugs"] = [
            *plan["drugs"],
            {"name": drug, "dose_mg": daily_mg / len(times), "times": list(times), "start_day": 0},
        ]
    return plan if (daily_mg > 0 or base_plan) else None


def required_daily_dose(
    *,
    drug: str = "oxycodone",
    target_nrs: float = 7.0,
    doses_mg_per_day: Sequence[float] = DEFAULT_LADDER_MG_PER_DAY,
    base_plan: Mapping[str, Any] | None = None,
    phenotype: str = "comorbid",
    days: int = 21,
    evaluate_days: int = 7,
    times: Sequence[str] = ("08:00", "20:00"),
) -> TitrationResult:
    """Titrate ``drug`` over the dose ladder on the twin; see the module docstring."""
    if not 0 <= target_nrs <= 10:
        raise ValueError(f"target_nrs: {target_nrs!r} is outside the allowed range 0-10")
    if not 1 <= evaluate_days < days:
        raise ValueError(
            f"evaluate_days: {evaluate_days!r} must be ≥ 1 and shorter than days ({days})"
        )
    if not doses_mg_per_day or any(d < 0 for d in doses_mg_per_day):
        raise ValueError("doses_mg_per_day: give one or more daily doses ≥ 0 mg")
    nrs_by_dose: dict[float, float] = {}
    for daily in sorted(set(float(d) for d in doses_mg_per_day)):
        ds = simulate(
            "twin",
            days=days,
            phenotype=phenotype,
            plan=_with_drug(base_plan, drug, daily, times),
            pulses=False,
            dt=5.0,
            output_every=60.0,
        )
        pain = ds["pain_nrs_expected"].isel(patient=0).values
        nrs_by_dose[daily] = float(np.mean(pain[-24 * evaluate_days :]))
        if nrs_by_dose[daily] <= target_nrs:
            break  # higher doses are not needed to find the requirement
    return TitrationResult(drug, target_nrs, nrs_by_dose)
