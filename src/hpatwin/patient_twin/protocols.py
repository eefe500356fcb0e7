"""Candidate protocols to forecast: the planner's plan and the standard alternatives.

A :class:`Protocol` is what happens from the day after the last observation to the end of
the forecast horizon, added to the delivered history (sessions and medications already in
the record continue as recorded). :func:`candidate_protocols` gives the standard set:
EA 2/100 Hz, 2 Hz and 100 Hz twice weekly, 2/100 Hz once weekly, 2/100 Hz + an SNRI
(duloxetine 30 mg, 60 mg from the second week), 2/100 Hz + weekly CBT, 2/100 Hz stopped at
week 6, and usual care (no new sessions) — plus the planner's plan when one is stored.
Session clock times, intensity and CBT placement follow the planner conversion's named
defaults (:mod:`hpatwin.treatments.from_protocol`).

Example
-------
>>> names = [p.name for p in candidate_protocols(start_day=1, horizon_days=84)]
>>> names[:3], names[-1]
(['ea_2_100hz_twice_weekly', 'ea_2hz_twice_weekly', 'ea_100hz_twice_weekly'], 'usual_care')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpatwin.treatments.from_protocol import (
    DEFAULT_CBT_CLOCK,
    DEFAULT_INTENSITY_FRACTION,
    DEFAULT_SESSION_CLOCK,
    DEFAULT_TOLERANCE_MA,
    plan_to_document,
    protocol_to_treatment_plan,
)

#: points and electrode pairs of the standard EA candidates: the planner conversion's pairing
#: for the core comorbid prescription (each circuit within one region, none across the chest)
DEFAULT_POINTS = ("GV20", "EX-HN3", "LR3", "SP6", "LI4", "PC6")
DEFAULT_PAIRS = (("GV20", "EX-HN3"), ("LR3", "SP6"), ("LI4", "PC6"))
SNRI_START_MG, SNRI_TARGET_MG, SNRI_STEP_DAYS = 30.0, 60.0, 7
STOP_WEEK = 6


@dataclass(frozen=True)
class Protocol:
    """A named candidate: sessions and drugs added from ``start_day`` (a plan document).

    Example
    -------
    >>> Protocol("usual_care", "Usual care", {}).session_count()
    0
    """

    name: str
    label: str
    treatment: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def session_count(self) -> int:
        """Number of needling or CBT sessions the protocol adds."""
        return sum(len(v) for k, v in self.treatment.items() if k.endswith("_sessions"))

    def session_days(self) -> list[int]:
        """Days of the needling sessions the protocol adds, in order."""
        days = [
            int(entry["day"])
            for key, entries in self.treatment.items()
            if key.endswith("_sessions") and key != "cbt_sessions"
            for entry in entries
        ]
        return sorted(days)


def _weekly_days(start_day: int, end_day: int, per_week: int) -> list[int]:
    offsets = (0, 3) if per_week == 2 else (0,)
    return [
        day
        for week_start in range(start_day, end_day, 7)
        for day in (week_start + o for o in offsets)
        if day < end_day
    ]


def ea_sessions(days: Sequence[int], frequency: str) -> list[dict[str, Any]]:
    """EA sessions on ``days`` at ``frequency`` with the standard points, pairs and intensity.

    Example
    -------
    >>> ea_sessions([0, 3], "2/100")[1]["day"], ea_sessions([0], "2")[0]["tolerance_ma"]
    (3, 3.0)
    """
    return [
        {
            "day": day,
            "start": DEFAULT_SESSION_CLOCK,
            "duration_min": 30,
            "frequency": frequency,
            "intensity_ma": round(DEFAULT_TOLERANCE_MA * DEFAULT_INTENSITY_FRACTION, 2),
            "tolerance_ma": DEFAULT_TOLERANCE_MA,
            "points": list(DEFAULT_POINTS),
            "electrode_pairs": [list(p) for p in DEFAULT_PAIRS],
        }
        for day in days
    ]


def candidate_protocols(
    *, start_day: int, horizon_days: int, planner_plan: Mapping[str, Any] | None = None
) -> list[Protocol]:
    """The standard candidates from ``start_day`` to ``horizon_days`` (see the module docstring).

    Example
    -------
    >>> protocols = candidate_protocols(start_day=29, horizon_days=84)
    >>> {p.name: p.session_count() for p in protocols}["ea_2_100hz_stop_week_6"]
    4
    """
    twice = _weekly_days(start_day, horizon_days, 2)
    once = _weekly_days(start_day, horizon_days, 1)
    stop = _weekly_days(start_day, max(start_day, min(horizon_days, STOP_WEEK * 7)), 2)
    snri = {
        "name": "duloxetine",
        "dose_mg": SNRI_START_MG,
        "times": ["08:00"],
        "start_day": start_day,
        "titration": [{"day": start_day + SNRI_STEP_DAYS, "dose_mg": SNRI_TARGET_MG}],
    }
    cbt = [
        {"day": day + 1, "start": DEFAULT_CBT_CLOCK, "duration_min": 50}
        for day in once
        if day + 1 < horizon_days
    ]
    protocols = [
        Protocol(
            "ea_2_100hz_twice_weekly",
            "EA 2/100 Hz twice weekly",
            {"ea_sessions": ea_sessions(twice, "2/100")},
        ),
        Protocol(
            "ea_2hz_twice_weekly", "EA 2 Hz twice weekly", {"ea_sessions": ea_sessions(twice, "2")}
        ),
        Protocol(
            "ea_100hz_twice_weekly",
            "EA 100 Hz twice weekly",
            {"ea_sessions": ea_sessions(twice, "100")},
        ),
        Protocol(
            "ea_2_100hz_once_weekly",
            "EA 2/100 Hz once weekly",
            {"ea_sessions": ea_sessions(once, "2/100")},
        ),
        Protocol(
            "ea_2_100hz_plus_snri",
            "EA 2/100 Hz twice weekly + duloxetine",
            {"ea_sessions": ea_sessions(twice, "2/100"), "drugs": [snri]},
            "duloxetine 30 mg once daily, 60 mg from the second week",
        ),
        Protocol(
            "ea_2_100hz_plus_cbt",
            "EA 2/100 Hz twice weekly + weekly CBT",
            {"ea_sessions": ea_sessions(twice, "2/100"), "cbt_sessions": cbt},
        ),
        Protocol(
            "ea_2_100hz_stop_week_6",
            f"EA 2/100 Hz twice weekly, stopped at week {STOP_WEEK}",
            {"ea_sessions": ea_sessions(stop, "2/100")},
        ),
        Protocol("usual_care", "Usual care (no new sessions)", {}),
    ]
    if planner_plan is not None:
        protocols.insert(0, planned_protocol(planner_plan, start_day, horizon_days))
    return protocols


def planned_protocol(
    planner_plan: Mapping[str, Any], start_day: int, horizon_days: int
) -> Protocol:
    """The planner's plan (a stored protocol) as a candidate starting on ``start_day``.

    The conversion's choices are listed in the description; medications of the assessment
    are not added again (the record's medications already continue).
    """
    conversion = protocol_to_treatment_plan(planner_plan)
    document = plan_to_document(conversion.plan)
    shifted: dict[str, Any] = {}
    for key, entries in document.items():
        if not key.endswith("_sessions"):
            continue
        moved = [{**e, "day": int(e["day"]) + start_day} for e in entries]
        shifted[key] = [e for e in moved if e["day"] < horizon_days]
    return Protocol(
        "planner_plan",
        "The planner's plan",
        shifted,
        "; ".join(a.describe() for a in conversion.report.assumptions),
    )


def merged_treatment(history: Mapping[str, Any], protocol: Protocol) -> dict[str, Any]:
    """History plus a protocol: one plan document for the whole horizon.

    Example
    -------
    >>> merged = merged_treatment({"cbt_sessions": [{"day": 0, "start": "10:00"}]},
    ...     Protocol("x", "x", {"cbt_sessions": [{"day": 8, "start": "10:00"}]}))
    >>> [s["day"] for s in merged["cbt_sessions"]]
    [0, 8]
    """
    merged: dict[str, Any] = {k: list(v) if isinstance(v, list) else v for k, v in history.items()}
    for key, entries in protocol.treatment.items():
        merged[key] = [*merged.get(key, []), *entries]
    return merged
