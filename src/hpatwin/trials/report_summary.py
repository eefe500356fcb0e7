"""Plain-language pieces of the trial report: arm summaries, instrument ranges, trial conduct.

Example
-------
>>> summarise_plan({"name": "EA", "ea_schedules": [{"weekdays": ["mon", "thu"], "count": 24,
...                 "frequency": "2/100", "duration_min": 30}]})
'EA: ea 24 sessions, 2/week for 12 weeks, 2/100 Hz, 30 min'
>>> [float(v) for v in clip_band("phq9", -1.0, 30.0)]
[0.0, 27.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray

from hpatwin.trials.arms import ResolvedArm

#: each measure's possible range (instrument range; physiology: non-negative)
MEASURE_RANGE: dict[str, tuple[float, float]] = {
    "phq9": (0.0, 27.0),
    "pain_nrs": (0.0, 10.0),
    "rmssd": (0.0, math.inf),
    "cortisol_morning": (0.0, math.inf),
    "cortisol_evening": (0.0, math.inf),
    "cortisol_slope": (-math.inf, math.inf),
}


def clip_band(
    measure: str, low: NDArray[np.float64] | float, high: NDArray[np.float64] | float
) -> tuple[Any, Any]:
    """A mean ± SD band clipped to what the measure can take (e.g. PHQ-9 0–27)."""
    lower, upper = MEASURE_RANGE.get(measure, (-math.inf, math.inf))
    return np.clip(low, lower, upper), np.clip(high, lower, upper)


def _frequency(value: Any) -> str:
    text = str(value).strip()
    return text if text.lower().endswith("hz") else f"{text} Hz"


def _schedule_text(kind: str, schedule: Mapping[str, Any]) -> str:
    count = int(schedule.get("count", 1))
    per_week = len(schedule.get("weekdays", ())) or None
    parts = [f"{kind} {count} session{'s' if count != 1 else ''}"]
    if per_week:
        parts.append(f"{per_week}/week for {math.ceil(count / per_week)} weeks")
    if "frequency" in schedule:
        parts.append(_frequency(schedule["frequency"]))
    if "duration_min" in schedule:
        parts.append(f"{schedule['duration_min']:g} min")
    return ", ".join(parts)


def _drug_text(drug: Mapping[str, Any]) -> str:
    doses = [float(drug.get("dose_mg", math.nan))]
    doses += [float(step["dose_mg"]) for step in drug.get("titration", ()) if "dose_mg" in step]
    times = len(drug.get("times", ())) or 1
    dose_text = " → ".join(f"{d:g}" for d in doses if math.isfinite(d))
    text = f"{drug.get('name', 'drug')} {dose_text} mg × {times}/day"
    if drug.get("taper"):
        text += ", tapered"
    return text


def summarise_plan(plan: Mapping[str, Any]) -> str:
    """One line: sessions, frequency, weeks and drugs of a treatment plan mapping."""
    parts = []
    for key, schedules in plan.items():
        if key.endswith("_schedules") and isinstance(schedules, list):
            kind = key.removesuffix("_schedules").replace("_", " ")
            parts += [_schedule_text(kind, s) for s in schedules if isinstance(s, Mapping)]
        elif key.endswith("_sessions") and isinstance(schedules, list):
            kind = key.removesuffix("_sessions").replace("_", " ")
            parts.append(f"{kind} {len(schedules)} single session(s)")
    parts += [_drug_text(d) for d in plan.get("drugs", ()) if isinstance(d, Mapping)]
    name = str(plan.get("name", "plan"))
    return f"{name}: {'; '.join(parts)}" if parts else name


def describe_arm(arm: ResolvedArm) -> str:
    """What an arm gives, without file-system paths (a plan is summarised from its file).

    Example
    -------
    >>> describe_arm(ResolvedArm("usual_care", 1, ""))
    'no study treatment'
    """
    what = []
    for name, change in arm.inputs.items():
        if arm.plan:
            break  # a plan's compiled inputs are summarised from the plan itself
        points = ", ".join(f"day {t / 1440:g}: {v:g}" for t, v in change.changes)
        what.append(f"input {name} ({change.mode}) {points}")
    what += [f"parameter {k} = {v:g}" for k, v in arm.parameters.items()]
    if arm.plan:
        path = Path(arm.plan)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
            what.insert(0, summarise_plan(loaded) if isinstance(loaded, Mapping) else path.name)
        except (OSError, yaml.YAMLError, TypeError, ValueError):
            what.insert(0, f"plan {path.name}")
    return "; ".join(what) or "no study treatment"


def conduct_rows(patients: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Screened, enrolled, dropped-out and completed counts per arm (CONSORT flow).

    Example
    -------
    >>> table = pd.DataFrame({"arm": ["a", "a", "a"], "enrolled": [True, True, False],
    ...                       "completed": [True, False, False], "visits_attended": [3, 1, 3]})
    >>> conduct_rows(table, ["a"]).iloc[0].to_dict()["screen failures"]
    1
    """
    rows = []
    n_visits = int(patients["visits_attended"].max()) if "visits_attended" in patients else 0
    for arm in arms:
        group = patients[patients["arm"] == arm]
        enrolled = (
            group["enrolled"].to_numpy(dtype=bool)
            if "enrolled" in group
            else np.ones(len(group), dtype=bool)
        )
        attended = (
            group["visits_attended"].to_numpy()
            if "visits_attended" in group
            else np.full(len(group), n_visits)
        )
        completed = group["completed"].to_numpy(dtype=bool) & enrolled
        rows.append(
            {
                "arm": arm,
                "screened": len(group),
                "screen failures": int((~enrolled).sum()),
                "enrolled": int(enrolled.sum()),
                "missed ≥ 1 visit": int((enrolled & (attended < n_visits)).sum()),
                "completed all visits": int(completed.sum()),
            }
        )
    return pd.DataFrame(rows)
