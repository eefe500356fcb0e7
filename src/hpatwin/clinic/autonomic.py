"""Autonomic response around a treatment session: heart rate and blood pressure.

Readings are taken before the session (the baseline: the mean of all pre-session readings)
and at intervals up to 30 minutes after it ends. For each post-session reading the change
from baseline in heart rate, systolic, diastolic and mean arterial pressure is computed;
the summary gives the largest falls and rises, when they occurred, and whether the last
reading is back within a tolerance of baseline.

No source found gives a blood-pressure or heart-rate response to needling (the source
article's 30-minute fall after upper-trapezius needling is unconfirmed), so this module describes
change and does not call a response normal or abnormal. Flags for a marked fall or a slow
heart rate use :class:`AutonomicThresholds`, whose defaults are configurable design choices
borrowed from other contexts and labelled as such.

Example
-------
>>> r = autonomic_response([
...     VitalSigns("before", 5, 72, 124, 80),
...     VitalSigns("after", 0, 66, 118, 76),
...     VitalSigns("after", 15, 68, 120, 78),
...     VitalSigns("after", 30, 71, 123, 79),
... ])
>>> r.baseline.heart_rate_bpm, r.points[0].delta_heart_rate_bpm, r.max_fall["heart_rate_bpm"]
(72.0, -6.0, 6.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hpatwin.clinic.instruments import Alert

__all__ = [
    "AutonomicError",
    "AutonomicResponse",
    "AutonomicThresholds",
    "Baseline",
    "ResponsePoint",
    "VitalSigns",
    "autonomic_response",
    "mean_arterial_pressure_mmhg",
]

_RANGES: dict[str, tuple[float, float]] = {
    # plausibility limits for input validation (design choice): beyond these a value is
    # a typing or device error rather than a physiological reading
    "heart_rate_bpm": (20.0, 250.0),
    "systolic_mmhg": (50.0, 300.0),
    "diastolic_mmhg": (20.0, 200.0),
}
PLAUSIBLE_RANGES = _RANGES
"""Plausibility limits of vital signs (design choice), shared with the FHIR import."""
_MEASURES = ("heart_rate_bpm", "systolic_mmhg", "diastolic_mmhg", "map_mmhg")


class AutonomicError(ValueError):
    """Invalid vital-sign input; the message names the reading and field.

    Example
    -------
    >>> try:
    ...     VitalSigns("after", 45, 70, 120, 80)
    ... except AutonomicError as e:
    ...     print(e)
    after-session reading at 45 min: outside the allowed range 0-30 min after the session
    """


def mean_arterial_pressure_mmhg(systolic_mmhg: float, diastolic_mmhg: float) -> float:
    """Mean arterial pressure estimated as DBP + (SBP - DBP) / 3 (standard formula).

    Example
    -------
    >>> mean_arterial_pressure_mmhg(120, 90)
    100.0
    """
    return diastolic_mmhg + (systolic_mmhg - diastolic_mmhg) / 3.0


def _check(value: Any, field: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise AutonomicError(f"{where}: {field} {value!r} is not a number")
    v = float(value)
    if math.isnan(v):
        return None
    lo, hi = _RANGES[field]
    if not (lo <= v <= hi):
        raise AutonomicError(f"{where}: {field} {v:g} is outside the allowed range {lo:g}-{hi:g}")
    return v


@dataclass(frozen=True)
class VitalSigns:
    """One reading: phase, minutes (before the start, or after the end), HR and BP.

    ``minutes`` counts from the session start backwards for ``"before"`` and from the
    session end forwards for ``"after"`` (0-30 min). Any of HR, SBP, DBP may be ``None``
    (not measured), but SBP and DBP come together and DBP must be below SBP.

    Example
    -------
    >>> VitalSigns("after", 10, 64, None, None).heart_rate_bpm
    64.0
    """

    phase: Literal["before", "after"]
    minutes: float
    heart_rate_bpm: float | None = None
    systolic_mmhg: float | None = None
    diastolic_mmhg: float | None = None
    max_after_min: float = 30.0

    def __post_init__(self) -> None:
        if self.phase not in ("before", "after"):
            raise AutonomicError(f"reading phase {self.phase!r}: allowed before, after")
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, numbers.Real):
            raise AutonomicError(f"{self.phase}-session reading: minutes {self.minutes!r}")
        m = float(self.minutes)
        where = f"{self.phase}-session reading at {m:g} min"
        if not math.isfinite(m) or m < 0:
            raise AutonomicError(f"{where}: minutes must be a finite number >= 0")
        if self.phase == "after" and m > self.max_after_min:
            raise AutonomicError(
                f"{where}: outside the allowed range 0-{self.max_after_min:g} min after the session"
            )
        object.__setattr__(self, "minutes", m)
        hr = _check(self.heart_rate_bpm, "heart_rate_bpm", where)
        sbp = _check(self.systolic_mmhg, "systolic_mmhg", where)
        dbp = _check(self.diastolic_mmhg, "diastolic_mmhg", where)
        if (sbp is None) != (dbp is None):
            raise AutonomicError(f"{where}: systolic and diastolic pressure must be given together")
        if sbp is not None and dbp is not None and dbp >= sbp:
            raise AutonomicError(
                f"{where}: diastolic_mmhg {dbp:g} must be below systolic_mmhg {sbp:g}"
            )
        if hr is None and sbp is None:
            raise AutonomicError(f"{where}: neither heart rate nor blood pressure was given")
        object.__setattr__(self, "heart_rate_bpm", hr)
        object.__setattr__(self, "systolic_mmhg", sbp)
        object.__setattr__(self, "diastolic_mmhg", dbp)

    @property
    def map_mmhg(self) -> float | None:
        """Mean arterial pressure, if BP was measured.

        Example
        -------
        >>> VitalSigns("before", 0, None, 120, 90).map_mmhg
        100.0
        """
        if self.systolic_mmhg is None or self.diastolic_mmhg is None:
            return None
        return mean_arterial_pressure_mmhg(self.systolic_mmhg, self.diastolic_mmhg)

    def value(self, measure: str) -> float | None:
        """The value of ``measure`` (``heart_rate_bpm``, ``systolic_mmhg``, ...).

        Example
        -------
        >>> VitalSigns("before", 0, 70, 120, 80).value("systolic_mmhg")
        120.0
        """
        if measure == "map_mmhg":
            return self.map_mmhg
        v: float | None = getattr(self, measure)
        return v


@dataclass(frozen=True)
class AutonomicThresholds:
    """Thresholds for flags; configurable design choices, not sourced for needling.

    * ``sbp_fall_mmhg`` = 20 / ``dbp_fall_mmhg`` = 10: the size of the consensus criterion
      for orthostatic hypotension (Freeman et al., Clin Auton Res 2011;21:69), used here
      outside its standing-test context - not from a source.
    * ``low_heart_rate_bpm`` = 50: the sinus bradycardia limit of the 2018 ACC/AHA/HRS
      bradycardia guideline (Kusumoto et al., Circulation 2019;140:e382) - not in the
      published source.
    * ``recovery_tolerance`` = 5 (bpm or mmHg): "back to baseline" tolerance, design choice.

    Example
    -------
    >>> AutonomicThresholds(sbp_fall_mmhg=15).sbp_fall_mmhg
    15.0
    """

    sbp_fall_mmhg: float = 20.0
    dbp_fall_mmhg: float = 10.0
    low_heart_rate_bpm: float = 50.0
    recovery_tolerance: float = 5.0

    def __post_init__(self) -> None:
        for name in ("sbp_fall_mmhg", "dbp_fall_mmhg", "low_heart_rate_bpm", "recovery_tolerance"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not float(v) > 0:
                raise AutonomicError(f"autonomic threshold {name}: {v!r} must be positive")
            object.__setattr__(self, name, float(v))


@dataclass(frozen=True)
class Baseline:
    """Mean of the pre-session readings per measure (``None`` if never measured before).

    Example
    -------
    >>> b = autonomic_response([VitalSigns("before", 10, 70), VitalSigns("before", 2, 74),
    ...                         VitalSigns("after", 5, 70)]).baseline
    >>> b.heart_rate_bpm, b.n_readings
    (72.0, 2)
    """

    heart_rate_bpm: float | None
    systolic_mmhg: float | None
    diastolic_mmhg: float | None
    map_mmhg: float | None
    n_readings: int

    def value(self, measure: str) -> float | None:
        """Baseline of ``measure``.

        Example
        -------
        >>> Baseline(70.0, None, None, None, 1).value("heart_rate_bpm")
        70.0
        """
        v: float | None = getattr(self, measure)
        return v


@dataclass(frozen=True)
class ResponsePoint:
    """Changes from baseline at one post-session reading.

    Example
    -------
    >>> p = autonomic_response([VitalSigns("before", 0, 70, 120, 80),
    ...                         VitalSigns("after", 5, 64, 110, 75)]).points[0]
    >>> p.delta_systolic_mmhg, round(p.delta_map_mmhg, 2)
    (-10.0, -6.67)
    """

    minutes_after: float
    reading: VitalSigns
    delta_heart_rate_bpm: float | None
    delta_systolic_mmhg: float | None
    delta_diastolic_mmhg: float | None
    delta_map_mmhg: float | None

    def delta(self, measure: str) -> float | None:
        """Change of ``measure`` from baseline.

        Example
        -------
        >>> autonomic_response([VitalSigns("before", 0, 70), VitalSigns("after", 5, 75)]
        ...                    ).points[0].delta("heart_rate_bpm")
        5.0
        """
        v: float | None = getattr(self, f"delta_{measure}")
        return v


@dataclass(frozen=True)
class AutonomicResponse:
    """Baseline, per-reading changes and a summary of the response to one session.

    ``max_fall`` / ``max_rise`` per measure are positive magnitudes (0 if none), with
    ``time_of_max_fall`` in minutes after the session; ``recovered`` says whether the last
    reading is within ``recovery_tolerance`` of baseline.

    Example
    -------
    >>> r = autonomic_response([VitalSigns("before", 0, 70, 120, 80),
    ...                         VitalSigns("after", 5, 60, 96, 66),
    ...                         VitalSigns("after", 30, 69, 118, 79)])
    >>> m = "systolic_mmhg"
    >>> r.max_fall[m], r.time_of_max_fall[m], r.recovered[m]
    (24.0, 5.0, True)
    >>> [a.code for a in r.alerts]
    ['bp_fall_marked']
    """

    baseline: Baseline
    points: tuple[ResponsePoint, ...]
    max_fall: dict[str, float | None]
    max_rise: dict[str, float | None]
    time_of_max_fall: dict[str, float | None]
    recovered: dict[str, bool | None]
    alerts: tuple[Alert, ...]
    thresholds: AutonomicThresholds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary.

        Example
        -------
        >>> autonomic_response([VitalSigns("before", 0, 70), VitalSigns("after", 5, 75)]
        ...                    ).to_dict()["points"][0]["delta_heart_rate_bpm"]
        5.0
        """
        return {
            "baseline": {m: self.baseline.value(m) for m in _MEASURES}
            | {"n_readings": self.baseline.n_readings},
            "points": [
                {
                    "minutes_after": p.minutes_after,
                    "heart_rate_bpm": p.reading.heart_rate_bpm,
                    "systolic_mmhg": p.reading.systolic_mmhg,
                    "diastolic_mmhg": p.reading.diastolic_mmhg,
                    "map_mmhg": p.reading.map_mmhg,
                    **{f"delta_{m}": p.delta(m) for m in _MEASURES},
                }
                for p in self.points
            ],
            "max_fall": dict(self.max_fall),
            "max_rise": dict(self.max_rise),
            "time_of_max_fall": dict(self.time_of_max_fall),
            "recovered": dict(self.recovered),
            "alerts": [
                {"level": a.level, "code": a.code, "message": a.message, "source": a.source}
                for a in self.alerts
            ],
        }


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def autonomic_response(
    readings: Sequence[VitalSigns], thresholds: AutonomicThresholds | None = None
) -> AutonomicResponse:
    """Summarise heart rate and blood pressure before and up to 30 min after a session.

    Needs at least one ``before`` and one ``after`` reading; two ``after`` readings at the
    same minute are rejected.

    Example
    -------
    >>> r = autonomic_response([VitalSigns("before", 0, 80), VitalSigns("after", 0, 48)])
    >>> [a.code for a in r.alerts]
    ['heart_rate_low']
    """
    th = thresholds or AutonomicThresholds()
    if isinstance(readings, VitalSigns) or not isinstance(readings, Sequence):
        raise AutonomicError("readings: expected a sequence of VitalSigns")
    for i, r in enumerate(readings):
        if not isinstance(r, VitalSigns):
            raise AutonomicError(f"reading {i}: not a VitalSigns")
    before = [r for r in readings if r.phase == "before"]
    after = sorted((r for r in readings if r.phase == "after"), key=lambda r: r.minutes)
    if not before:
        raise AutonomicError("readings: at least one before-session (baseline) reading is needed")
    if not after:
        raise AutonomicError("readings: at least one after-session reading is needed")
    minutes = [r.minutes for r in after]
    if len(set(minutes)) != len(minutes):
        raise AutonomicError("readings: two after-session readings at the same minute")
    baseline = Baseline(
        heart_rate_bpm=_mean([r.heart_rate_bpm for r in before]),
        systolic_mmhg=_mean([r.systolic_mmhg for r in before]),
        diastolic_mmhg=_mean([r.diastolic_mmhg for r in before]),
        map_mmhg=_mean([r.map_mmhg for r in before]),
        n_readings=len(before),
    )

    def delta(r: VitalSigns, m: str) -> float | None:
        v, b = r.value(m), baseline.value(m)
        return None if v is None or b is None else v - b

    points = tuple(
        ResponsePoint(
            minutes_after=r.minutes,
            reading=r,
            delta_heart_rate_bpm=delta(r, "heart_rate_bpm"),
            delta_systolic_mmhg=delta(r, "systolic_mmhg"),
            delta_diastolic_mmhg=delta(r, "diastolic_mmhg"),
            delta_map_mmhg=delta(r, "map_mmhg"),
        )
        for r in after
    )
    max_fall: dict[str, float | None] = {}
    max_rise: dict[str, float | None] = {}
    t_fall: dict[str, float | None] = {}
    recovered: dict[str, bool | None] = {}
    for m in _MEASURES:
        ds = [(p.minutes_after, p.delta(m)) for p in points if p.delta(m) is not None]
        if not ds:
            max_fall[m] = max_rise[m] = t_fall[m] = recovered[m] = None
            continue
        t_min, d_min = min(ds, key=lambda x: (x[1], x[0]))
        d_max = max(d for _, d in ds if d is not None)
        assert d_min is not None
        max_fall[m] = max(0.0, -d_min)
        t_fall[m] = t_min if d_min < 0 else None
        max_rise[m] = max(0.0, d_max)
        last = ds[-1][1]
        recovered[m] = last is not None and abs(last) <= th.recovery_tolerance
    alerts: list[Alert] = []
    sbp_fall, dbp_fall = max_fall["systolic_mmhg"], max_fall["diastolic_mmhg"]
    if (sbp_fall is not None and sbp_fall >= th.sbp_fall_mmhg) or (
        dbp_fall is not None and dbp_fall >= th.dbp_fall_mmhg
    ):
        alerts.append(
            Alert(
                "warning",
                "bp_fall_marked",
                f"blood pressure fell by up to {sbp_fall or 0:g}/{dbp_fall or 0:g} mmHg after "
                f"the session (flag at {th.sbp_fall_mmhg:g}/{th.dbp_fall_mmhg:g} mmHg): check "
                "for a vasovagal reaction before the patient leaves",
                "AutonomicThresholds (size of Freeman 2011 orthostatic criterion; design choice)",
            )
        )
    low = [p for p in points if p.reading.heart_rate_bpm is not None]
    if any(
        p.reading.heart_rate_bpm is not None and p.reading.heart_rate_bpm < th.low_heart_rate_bpm
        for p in low
    ):
        lowest = min(p.reading.heart_rate_bpm for p in low if p.reading.heart_rate_bpm is not None)
        alerts.append(
            Alert(
                "warning",
                "heart_rate_low",
                f"heart rate down to {lowest:g} bpm after the session (flag below "
                f"{th.low_heart_rate_bpm:g} bpm)",
                "AutonomicThresholds (ACC/AHA/HRS 2018 bradycardia limit; design choice)",
            )
        )
    return AutonomicResponse(
        baseline=baseline,
        points=points,
        max_fall=max_fall,
        max_rise=max_rise,
        time_of_max_fall=t_fall,
        recovered=recovered,
        alerts=tuple(alerts),
        thresholds=th,
    )
