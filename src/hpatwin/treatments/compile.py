"""Compile a treatment plan into piecewise-constant model inputs and per-patient parameters.

The contract with the model (all times in minutes since midnight of day 0, every change on the
10-minute grid, every input explicitly 0 at time 0):

============================================  =====================================================
input                                         value
============================================  =====================================================
``ea_low_frequency_drive``                    relative intensity × low-frequency share during EA
``ea_high_frequency_drive``                   relative intensity × high-frequency share during EA
``ea_alternating``                            1 during dense-disperse (e.g. 2/100 Hz) EA
``needling_nonspecific``                      1 during any needling (EA, sham, manual, dry needling)
``manual_acupuncture``                        1 during manual acupuncture
``sham_needling``                             1 during sham sessions
``trigger_point_needling``                    1 during dry needling
``trigger_point_region_<region>``             1 during dry needling of cervical/periscapular/lumbar
``cbt_session``                               1 during CBT
``<drug>_dose_rate_mg_per_min``               dose_mg / 10 for the 10 minutes after each dose time
============================================  =====================================================

Relative intensity is ``intensity_ma / tolerance_ma`` capped at 1.5. The low-frequency share
is 1 at ≤ 4 Hz, 0 at ≥ 80 Hz and a smoothstep in log-frequency between (assumption after Han's
low/high frequency classes: 2 Hz → enkephalin/β-endorphin, 100 Hz → dynorphin); a dense-disperse
session spends half its time at each frequency (Han: alternating every 3 s), so 2/100 Hz gives
0.5 / 0.5.

Example
-------
>>> from hpatwin.treatments import TreatmentPlan, compile_plan
>>> plan = TreatmentPlan.parse({"ea_sessions": [{"day": 0, "start": "09:00",
...     "frequency": "2/100", "intensity_ma": 2, "tolerance_ma": 4, "points": ["GV20", "EX-HN3"]}]})
>>> compiled = compile_plan(plan, days=1)
>>> compiled.inputs["ea_low_frequency_drive"].changes
((0.0, 0.0), (540.0, 0.25), (570.0, 0.0))
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hpatwin.data.drugs import CLEARANCE_FACTOR_BOUNDS, DRUG_KEYS
from hpatwin.data.points import load_point_catalogue
from hpatwin.engine.inputs import Schedule
from hpatwin.treatments.patient import PatientFactors
from hpatwin.treatments.plan import (
    GRID_MIN,
    MINUTES_PER_DAY,
    SessionBlock,
    TreatmentPlan,
    _DryNeedlingFields,
    _EAFields,
)

LOW_FREQUENCY_MAX_HZ = 4.0
"""At or below this frequency all stimulation counts as low frequency (assumption, see module)."""

HIGH_FREQUENCY_MIN_HZ = 80.0
"""At or above this frequency all stimulation counts as high frequency (assumption)."""

RELATIVE_INTENSITY_CAP = 1.5
"""Cap on ``intensity_ma / tolerance_ma``."""

DOSE_BLOCK_MIN = GRID_MIN
"""Each oral dose enters as a rate of ``dose_mg / 10`` for 10 minutes."""

TRIGGER_POINT_REGIONS = ("cervical", "periscapular", "lumbar")

SESSION_INPUTS: tuple[str, ...] = (
    "ea_low_frequency_drive",
    "ea_high_frequency_drive",
    "ea_alternating",
    "needling_nonspecific",
    "manual_acupuncture",
    "sham_needling",
    "trigger_point_needling",
    *(f"trigger_point_region_{region}" for region in TRIGGER_POINT_REGIONS),
    "cbt_session",
)


def dose_rate_input(drug_key: str) -> str:
    """Input name of a drug's dose rate.

    Example
    -------
    >>> dose_rate_input("duloxetine")
    'duloxetine_dose_rate_mg_per_min'
    """
    return f"{drug_key}_dose_rate_mg_per_min"


TREATMENT_INPUTS: tuple[str, ...] = (*SESSION_INPUTS, *(dose_rate_input(k) for k in DRUG_KEYS))
"""Every input name the compiler can emit (all are emitted, 0 when unused)."""


def low_frequency_share(frequency_hz: float) -> float:
    """Share of a constant-frequency session counted as low frequency.

    1 at ≤ 4 Hz, 0 at ≥ 80 Hz; between, ``1 − smoothstep(x)`` with
    ``x = ln(f/4) / ln(80/4)`` and ``smoothstep(x) = 3x² − 2x³`` (continuous with a continuous
    slope at both ends). Assumption after Han's frequency classes: low (2 Hz) and high (100 Hz)
    release different opioid peptides; where between them the switch lies is not measured.

    Example
    -------
    >>> low_frequency_share(2), low_frequency_share(100), round(low_frequency_share(17.9), 3)
    (1.0, 0.0, 0.5)
    """
    if frequency_hz <= LOW_FREQUENCY_MAX_HZ:
        return 1.0
    if frequency_hz >= HIGH_FREQUENCY_MIN_HZ:
        return 0.0
    x = math.log(frequency_hz / LOW_FREQUENCY_MAX_HZ) / math.log(
        HIGH_FREQUENCY_MIN_HZ / LOW_FREQUENCY_MAX_HZ
    )
    return 1.0 - (3 * x**2 - 2 * x**3)


def frequency_shares(frequencies_hz: tuple[float, ...]) -> tuple[float, float, bool]:
    """``(low share, high share, alternating)`` of an EA setting.

    A dense-disperse setting alternates its two frequencies for equal times, so its shares are
    the mean of theirs.

    Example
    -------
    >>> frequency_shares((2.0, 100.0)), frequency_shares((2.0,))
    ((0.5, 0.5, True), (1.0, 0.0, False))
    """
    low = sum(low_frequency_share(f) for f in frequencies_hz) / len(frequencies_hz)
    return low, 1.0 - low, len(frequencies_hz) > 1


def session_input_values(block: SessionBlock) -> dict[str, float]:
    """Input values while a session is on (inputs not listed are 0).

    Example
    -------
    >>> from hpatwin.treatments.plan import CBTSession
    >>> block = SessionBlock("cbt", "cbt_sessions[0]", 600, 650, 600,
    ...                      CBTSession(day=0, start="10:00"))
    >>> session_input_values(block)
    {'cbt_session': 1.0}
    """
    session = block.session
    if block.kind == "cbt":
        return {"cbt_session": 1.0}
    values = {"needling_nonspecific": 1.0}
    if isinstance(session, _EAFields):
        relative = min(session.relative_intensity, RELATIVE_INTENSITY_CAP)
        low, high, alternating = frequency_shares(session.frequencies_hz)
        values["ea_low_frequency_drive"] = relative * low
        values["ea_high_frequency_drive"] = relative * high
        if alternating:
            values["ea_alternating"] = 1.0
    elif block.kind == "sham":
        values["sham_needling"] = 1.0
    elif block.kind == "manual_acupuncture":
        values["manual_acupuncture"] = 1.0
    elif isinstance(session, _DryNeedlingFields):
        values["trigger_point_needling"] = 1.0
        values[f"trigger_point_region_{session.region}"] = 1.0
    return {name: value for name, value in values.items() if value != 0.0}


@dataclass(frozen=True)
class CompiledPlan:
    """Model inputs and parameters from a plan over a horizon.

    ``inputs`` holds every name in :data:`TREATMENT_INPUTS`; ``parameters`` holds
    ``<drug>_clearance_factor`` for each drug in the plan. ``daily_doses_mg`` and
    ``planned_total_mg`` count the doses given within the horizon; ``notes`` lists grid moves,
    clipping and cautions.

    Example
    -------
    >>> from hpatwin.treatments import TreatmentPlan, compile_plan
    >>> plan = TreatmentPlan.parse({"drugs": [{"name": "Lexapro", "dose_mg": 10,
    ...                                        "times": ["08:00"]}]})
    >>> compile_plan(plan, days=3).planned_total_mg
    {'escitalopram': 30.0}
    """

    inputs: dict[str, Schedule]
    parameters: dict[str, float]
    horizon_min: int
    daily_doses_mg: dict[str, dict[int, float]] = field(default_factory=dict)
    planned_total_mg: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _horizon_minutes(days: float) -> int:
    try:
        number = float(days)
    except (TypeError, ValueError):
        raise ValueError(f"days: {days!r} is not a number") from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"days: {days!r} must be a finite number > 0")
    minutes = number * MINUTES_PER_DAY
    whole = round(minutes)
    if abs(minutes - whole) > 1e-6 or whole % GRID_MIN:
        raise ValueError(
            f"days: {days!r} is not a whole number of {GRID_MIN}-minute steps ({minutes:g} min)"
        )
    return whole


def _schedule(intervals: list[tuple[int, int, float]], horizon: int) -> Schedule:
    """Non-overlapping ``(start, end, value)`` intervals → change points from time 0."""
    points: dict[int, float] = {0: 0.0}
    for start, end, value in sorted(intervals):
        points[start] = value
        if end < horizon:
            points.setdefault(end, 0.0)
    changes: list[tuple[float, float]] = []
    for time in sorted(points):
        if not changes or changes[-1][1] != points[time]:
            changes.append((float(time), points[time]))
    return Schedule.of(changes)


def compile_plan(
    plan: TreatmentPlan | Mapping[str, Any],
    days: float,
    *,
    patient: PatientFactors | None = None,
) -> CompiledPlan:
    """Compile ``plan`` over ``days`` into inputs (:data:`TREATMENT_INPUTS`) and parameters.

    Sessions starting at or after the horizon are dropped; a session running past it is cut at
    the horizon. ``<drug>_clearance_factor`` comes from ``patient`` (1 when ``patient`` is
    ``None``), clipped to the parameter bounds 0.05–20 with a note.

    Example
    -------
    >>> from hpatwin.treatments import PatientFactors
    >>> plan = {"drugs": [{"name": "duloxetine", "dose_mg": 60, "times": ["08:00"]}]}
    >>> compiled = compile_plan(plan, days=2, patient=PatientFactors(age_years=50, sex="male",
    ...                                                               hepatic="moderate"))
    >>> compiled.parameters
    {'duloxetine_clearance_factor': 0.15}
    >>> compiled.inputs["duloxetine_dose_rate_mg_per_min"].changes
    ((0.0, 0.0), (480.0, 6.0), (490.0, 0.0), (1920.0, 6.0), (1930.0, 0.0))
    """
    parsed = plan if isinstance(plan, TreatmentPlan) else TreatmentPlan.parse(plan)
    if patient is not None and not isinstance(patient, PatientFactors):
        raise ValueError(f"patient: expected PatientFactors, got {type(patient).__name__}")
    horizon = _horizon_minutes(days)
    notes: list[str] = list(parsed.grid_notes())
    intervals: dict[str, list[tuple[int, int, float]]] = defaultdict(list)

    dropped = 0
    for block in parsed.session_blocks():
        if block.start_min >= horizon:
            dropped += 1
            continue
        end = min(block.end_min, horizon)
        if end < block.end_min:
            notes.append(f"{block.label} ({block.describe()}): cut at the horizon")
        if isinstance(block.session, _EAFields):
            relative = block.session.relative_intensity
            if relative > RELATIVE_INTENSITY_CAP:
                notes.append(
                    f"{block.label}: intensity {block.session.intensity_ma:g} mA is "
                    f"{relative:.2g}× the tolerance; relative intensity capped at "
                    f"{RELATIVE_INTENSITY_CAP:g}"
                )
        for name, value in session_input_values(block).items():
            intervals[name].append((block.start_min, end, value))
    if dropped:
        notes.append(f"{dropped} session(s) at or after the horizon ({horizon} min) not compiled")

    until_day = -(-horizon // MINUTES_PER_DAY)
    doses: dict[tuple[str, int], float] = defaultdict(float)
    daily: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for event in parsed.dose_events(until_day):
        if event.time_min >= horizon:
            continue
        doses[(event.drug_key, event.time_min)] += event.dose_mg
        daily[event.drug_key][event.time_min // MINUTES_PER_DAY] += event.dose_mg
    for (key, time), dose in doses.items():
        intervals[dose_rate_input(key)].append((time, time + DOSE_BLOCK_MIN, dose / DOSE_BLOCK_MIN))

    inputs = {name: _schedule(intervals.get(name, []), horizon) for name in TREATMENT_INPUTS}

    parameters: dict[str, float] = {}
    for key in dict.fromkeys(entry.drug.key for entry in parsed.drugs):
        factor = 1.0 if patient is None else patient.clearance_factor(key)
        low, high = CLEARANCE_FACTOR_BOUNDS
        clipped = min(max(factor, low), high)
        if clipped != factor:
            notes.append(
                f"{key}_clearance_factor: {factor:.3g} clipped to the parameter bound {clipped:g}"
            )
        parameters[f"{key}_clearance_factor"] = clipped

    if patient is not None and patient.pregnancy_trimester:
        notes.extend(_pregnancy_notes(parsed))

    return CompiledPlan(
        inputs=inputs,
        parameters=parameters,
        horizon_min=horizon,
        daily_doses_mg={k: dict(sorted(v.items())) for k, v in daily.items()},
        planned_total_mg={k: sum(v.values()) for k, v in daily.items()},
        notes=tuple(notes),
    )


def _pregnancy_notes(plan: TreatmentPlan) -> list[str]:
    catalogue = load_point_catalogue()
    notes: list[str] = []
    seen: set[str] = set()
    for block in plan.session_blocks():
        for code in getattr(block.session, "points", ()):
            point = catalogue.get(code)
            if point.pregnancy_caution and code not in seen:
                seen.add(code)
                notes.append(
                    f"caution: {code} is a pregnancy-cautioned point (first in {block.label}; "
                    f"{point.pregnancy_caution_source})"
                )
    return notes
