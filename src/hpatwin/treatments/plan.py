"""Treatment plans: EA, sham, manual acupuncture, dry needling, drugs and CBT, validated.

A plan is a YAML/JSON file or Python data. Days count from day 0 (the plan's first day, whose
weekday is ``start_weekday``); clock times are ``"HH:MM"``. Sessions are given one by one
(``*_sessions``) or as weekly recurrences (``*_schedules``: start day, weekdays, count).

Everything a model input needs is checked here, and every error names the entry and field:
unknown point codes, non-positive intensities, unknown drugs, daily doses above the drug's
label maximum, overlapping sessions of any kind, malformed titrations and tapers. Session starts
are moved to the 10-minute input grid (:meth:`TreatmentPlan.grid_notes` lists the moves);
durations must be whole multiples of 10 minutes.

Example
-------
>>> from hpatwin.treatments.plan import TreatmentPlan
>>> plan = TreatmentPlan.parse({
...     "ea_sessions": [{"day": 0, "start": "09:00", "frequency": "2/100",
...                      "intensity_ma": 2, "tolerance_ma": 3, "points": ["GV20", "Yintang"]}],
...     "drugs": [{"name": "Cymbalta", "dose_mg": 30, "times": ["08:00"],
...                "titration": [{"day": 7, "dose_mg": 60}]}],
... })
>>> plan.ea_sessions[0].points, plan.drugs[0].drug.key, plan.drugs[0].daily_dose_mg(7)
(('GV20', 'EX-HN3'), 'duloxetine', 60.0)
>>> TreatmentPlan.parse({"drugs": [{"name": "duloxetine", "dose_mg": 90,
...                                  "times": ["08:00", "20:00"]}]})
Traceback (most recent call last):
...
hpatwin.treatments.plan.PlanError: drugs[0].dose_mg: 90 mg × 2/day = 180 mg/day exceeds duloxetine's label maximum 120 mg/day
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hpatwin.data.drugs import Drug, resolve_drug
from hpatwin.data.points import load_point_catalogue
from hpatwin.io.documents import DocumentError, read_document

GRID_MIN = 10
"""Input grid: every session and dose block starts and ends on a multiple of 10 minutes."""

MINUTES_PER_DAY = 1440
MAX_DAY = 36_500
MAX_SESSION_MIN = 360
MAX_INTENSITY_MA = 20.0
MIN_FREQUENCY_HZ = 0.5
MAX_FREQUENCY_HZ = 200.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DRY_NEEDLING_MUSCLES: dict[str, tuple[str, ...]] = {
    "cervical": (
        "upper_trapezius",
        "levator_scapulae",
        "splenius_capitis",
        "splenius_cervicis",
        "semispinalis_capitis",
        "suboccipitals",
        "sternocleidomastoid",
        "scalenes",
    ),
    "periscapular": (
        "upper_trapezius",
        "middle_trapezius",
        "lower_trapezius",
        "levator_scapulae",
        "rhomboids",
        "infraspinatus",
        "supraspinatus",
        "teres_major",
        "teres_minor",
        "serratus_posterior_superior",
    ),
    "lumbar": (
        "quadratus_lumborum",
        "lumbar_multifidus",
        "iliocostalis_lumborum",
        "longissimus_thoracis",
        "gluteus_medius",
        "gluteus_minimus",
        "piriformis",
    ),
}
"""Muscles accepted per dry-needling region (anatomical grouping; upper trapezius and levator
scapulae span the neck and the shoulder girdle, so both regions accept them)."""


class PlanError(ValueError):
    """A plan that cannot be used; ``messages`` name the entry and field of each problem.

    Example
    -------
    >>> str(PlanError(["ea_sessions[0].intensity_ma: Input should be greater than 0"], "p.yaml"))
    "plan file 'p.yaml': ea_sessions[0].intensity_ma: Input should be greater than 0"
    """

    def __init__(self, messages: list[str], source: str | None = None) -> None:
        self.messages = list(messages)
        self.source = source
        prefix = f"plan file {source!r}: " if source else ""
        super().__init__("\n".join(prefix + m for m in self.messages))


def _location(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _messages(exc: ValidationError) -> list[str]:
    errors = exc.errors()
    failed_items = {
        tuple(e["loc"][:-1]) for e in errors if e["loc"] and isinstance(e["loc"][-1], int)
    }
    messages: list[str] = []
    for error in errors:
        if error["type"] == "too_short" and tuple(error["loc"]) in failed_items:
            continue  # "at least 1 item after validation" repeats an item's own error
        message = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        where = _location(error["loc"])
        if where:
            messages.append(f"{where}: {message}")
        else:
            messages.extend(line for line in message.split("\n") if line)
    return messages


# ---------------------------------------------------------------------------- field types


def clock_minutes(text: str) -> int:
    """Minutes after midnight of ``"HH:MM"``.

    Example
    -------
    >>> clock_minutes("09:30")
    570
    """
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_clock(minute_of_day: int) -> str:
    """``"HH:MM"`` for minutes after midnight (wrapped to one day).

    Example
    -------
    >>> format_clock(1450)
    '00:10'
    """
    minute_of_day %= MINUTES_PER_DAY
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def round_to_grid(minutes: int) -> int:
    """Nearest multiple of the 10-minute grid (halves round up).

    Example
    -------
    >>> round_to_grid(544), round_to_grid(545)
    (540, 550)
    """
    return ((minutes + GRID_MIN // 2) // GRID_MIN) * GRID_MIN


def _clock(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a clock time; write it as a quoted 'HH:MM' string")
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{value!r} is not a clock time 'HH:MM' between 00:00 and 23:59")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _on_grid(minutes: int) -> int:
    if minutes % GRID_MIN:
        raise ValueError(f"{minutes} min is not a multiple of the {GRID_MIN}-minute input grid")
    return minutes


def _point_code(code: str) -> str:
    return load_point_catalogue().get(code).code


def parse_frequency(value: Any) -> tuple[float, ...]:
    """Frequencies (Hz) of an EA setting: ``(2.0,)``, or ``(2.0, 100.0)`` for dense-disperse.

    Example
    -------
    >>> parse_frequency("2/100"), parse_frequency(2.5), parse_frequency("100 Hz")
    ((2.0, 100.0), (2.5,), (100.0,))
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a frequency")
    if isinstance(value, int | float):
        parts = [float(value)]
    elif isinstance(value, str):
        text = re.sub(r"\s*hz\s*$", "", value.strip(), flags=re.IGNORECASE)
        try:
            parts = [float(p) for p in text.split("/")]
        except ValueError:
            raise ValueError(
                f"{value!r} is not a frequency; use a number in Hz or 'low/high' (e.g. '2/100')"
            ) from None
    else:
        raise ValueError(f"{value!r} is not a frequency")
    if len(parts) > 2:
        raise ValueError(f"{value!r}: dense-disperse alternation takes two frequencies")
    for part in parts:
        if not (math.isfinite(part) and MIN_FREQUENCY_HZ <= part <= MAX_FREQUENCY_HZ):
            raise ValueError(f"{part:g} Hz is outside {MIN_FREQUENCY_HZ:g}–{MAX_FREQUENCY_HZ:g} Hz")
    if len(parts) == 2 and parts[0] == parts[1]:
        raise ValueError(f"{value!r}: the two alternating frequencies must differ")
    return tuple(sorted(parts))


def _frequency(value: Any) -> str:
    return "/".join(f"{f:g}" for f in parse_frequency(value))


def _weekday(value: Any) -> str:
    text = str(value).strip().lower()[:3]
    if text not in WEEKDAYS:
        raise ValueError(f"{value!r} is not a weekday; use one of {', '.join(WEEKDAYS)}")
    return text


ClockTime = Annotated[str, BeforeValidator(_clock)]
Day = Annotated[int, Field(ge=0, le=MAX_DAY)]
GridMinutes = Annotated[int, Field(gt=0, le=MAX_SESSION_MIN), AfterValidator(_on_grid)]
PointCode = Annotated[str, AfterValidator(_point_code)]
FrequencySpec = Annotated[str, BeforeValidator(_frequency)]
Weekday = Annotated[str, BeforeValidator(_weekday)]
Milliamps = Annotated[float, Field(gt=0, le=MAX_INTENSITY_MA, allow_inf_nan=False)]
DoseMg = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Recurrence(_Model):
    """Weekly recurrence: ``count`` sessions on ``weekdays`` from ``start_day`` on."""

    start_day: Day = 0
    weekdays: tuple[Weekday, ...] = Field(min_length=1)
    count: int = Field(ge=1, le=2000)

    @field_validator("weekdays")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a weekday is listed twice")
        return value

    def session_days(self, start_weekday: str) -> list[int]:
        """Days of the sessions, given the weekday of day 0.

        Example
        -------
        >>> CBTSchedule(start_day=0, weekdays=["tue"], count=2, start="10:00").session_days("mon")
        [1, 8]
        """
        offset = WEEKDAYS.index(start_weekday)
        wanted = {WEEKDAYS.index(w) for w in self.weekdays}
        days: list[int] = []
        day = self.start_day
        while len(days) < self.count:
            if (offset + day) % 7 in wanted:
                days.append(day)
            day += 1
        return days


# ---------------------------------------------------------------------------- electrodes

MAX_RELATIVE_INTENSITY = 1.5
"""Largest accepted ``intensity_ma / tolerance_ma`` (the compiler's cap; above it is refused)."""


PAIRING_SEGMENTS: dict[str, str] = {
    "head": "head",
    "face": "head",
    "neck": "neck",
    "shoulder": "shoulder",
    "upper_back": "upper back",
    "low_back": "lower back",
    "sacral": "lower back",
    "wrist_hand": "upper limb",
    "arm": "upper limb",
    "hip": "lower limb",
    "knee": "lower limb",
    "leg": "lower limb",
    "foot_ankle": "lower limb",
    "abdomen": "abdomen",
}
"""Planner region → pairing segment. Electrodes pair only within one segment (one limb, the
head, …) on the same side, after the planner's delivery rule "pair electrodes within one region
or one limb on the same side; never route current across the chest or over the heart". Regions
not listed (e.g. ``chest``) carry no electrode pair. Shared by the plan validator and the
planner conversion (:mod:`hpatwin.treatments.from_protocol`)."""


def body_segment(code: str) -> str | None:
    """The pairing segment of a point's region (``upper limb``, ``lower limb``, …), or ``None``
    for a region that carries no electrode (the chest).

    Example
    -------
    >>> body_segment("PC6"), body_segment("ST36"), body_segment("GV20")
    ('upper limb', 'lower limb', 'head')
    """
    region = load_point_catalogue().get(code).region
    return PAIRING_SEGMENTS.get(str(getattr(region, "value", region)))


def electrode_pair_problem(first: str, second: str) -> str | None:
    """Why an electrode pair is refused, or ``None``.

    A pair needs two different points in one body segment (one limb, the head, the lower back
    …): a circuit from arm to leg or across segments routes current across the chest or trunk.
    Both ends on one point code (``GV20–GV20``, or a bilateral ``PC6–PC6`` across the body) is
    refused as well.

    Example
    -------
    >>> electrode_pair_problem("PC6", "ST36")
    'the circuit runs from the upper limb to the lower limb, so current crosses the chest or trunk; pair points within one limb or one region'
    >>> electrode_pair_problem("GV20", "GV20")
    'both electrodes on the same point code (a midline point cannot be paired with itself; a bilateral pair would cross the body)'
    >>> electrode_pair_problem("GV20", "EX-HN3") is None
    True
    """
    if first == second:
        return (
            "both electrodes on the same point code (a midline point cannot be paired with "
            "itself; a bilateral pair would cross the body)"
        )
    a, b = body_segment(first), body_segment(second)
    for code, segment in ((first, a), (second, b)):
        if segment is None:
            return (
                f"{code} lies over the chest, where no electrode is placed (current near the heart)"
            )
    if a != b:
        return (
            f"the circuit runs from the {a} to the {b}, so current crosses the chest or trunk; "
            "pair points within one limb or one region"
        )
    return None


# ---------------------------------------------------------------------------- sessions


class _EAFields(_Model):
    start: ClockTime
    duration_min: GridMinutes = 30
    frequency: FrequencySpec
    intensity_ma: Milliamps
    tolerance_ma: Milliamps
    points: tuple[PointCode, ...] = Field(min_length=1)
    electrode_pairs: tuple[tuple[PointCode, PointCode], ...] | None = None

    kind: ClassVar[str] = "ea"

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Electrode pairs: as given, or consecutive points (``points[0]``–``points[1]``, …)."""
        if self.electrode_pairs is not None:
            return self.electrode_pairs
        return tuple(zip(self.points[::2], self.points[1::2], strict=False))

    @property
    def frequencies_hz(self) -> tuple[float, ...]:
        """The frequency, or the two alternating (dense-disperse) frequencies, in Hz."""
        return parse_frequency(self.frequency)

    @property
    def relative_intensity(self) -> float:
        """``intensity_ma / tolerance_ma`` (uncapped)."""
        return self.intensity_ma / self.tolerance_ma


class EASession(_EAFields):
    """One electroacupuncture session.

    Example
    -------
    >>> s = EASession(day=3, start="09:00", frequency=2, intensity_ma=1.5, tolerance_ma=3,
    ...               points=["GV20", "EX-HN3", "PC6", "LI4"])
    >>> s.pairs(), s.relative_intensity
    ((('GV20', 'EX-HN3'), ('PC6', 'LI4')), 0.5)
    """

    day: Day


class EASchedule(_EAFields, _Recurrence):
    """Recurring EA sessions (same settings each time).

    Example
    -------
    >>> s = EASchedule(weekdays=["mon", "thu"], count=4, start="09:00", frequency="2/100",
    ...                intensity_ma=2, tolerance_ma=3, points=["GV20", "EX-HN3"])
    >>> s.session_days("mon")
    [0, 3, 7, 10]
    """


class _ShamFields(_Model):
    start: ClockTime
    duration_min: GridMinutes = 30
    method: Literal["non_penetrating", "minimal_superficial", "sham_electroacupuncture"] = (
        "non_penetrating"
    )
    points: tuple[PointCode, ...] = ()

    kind: ClassVar[str] = "sham"


class ShamSession(_ShamFields):
    """One sham acupuncture session (non-specific effects only).

    Example
    -------
    >>> ShamSession(day=0, start="10:00").method
    'non_penetrating'
    """

    day: Day


class ShamSchedule(_ShamFields, _Recurrence):
    """Recurring sham sessions.

    Example
    -------
    >>> ShamSchedule(weekdays=["fri"], count=2, start="09:00").session_days("mon")
    [4, 11]
    """


class _ManualFields(_Model):
    start: ClockTime
    duration_min: GridMinutes = 30
    points: tuple[PointCode, ...] = Field(min_length=1)

    kind: ClassVar[str] = "manual_acupuncture"


class ManualAcupunctureSession(_ManualFields):
    """One manual acupuncture session (needles, no current).

    Example
    -------
    >>> ManualAcupunctureSession(day=1, start="09:00", points=["ST36"]).duration_min
    30
    """

    day: Day


class ManualAcupunctureSchedule(_ManualFields, _Recurrence):
    """Recurring manual acupuncture sessions.

    Example
    -------
    >>> ManualAcupunctureSchedule(start_day=1, weekdays=["tue"], count=1, start="09:00",
    ...                           points=["SP6"]).session_days("mon")
    [1]
    """


class _DryNeedlingFields(_Model):
    start: ClockTime
    duration_min: GridMinutes = 10
    region: Literal["cervical", "periscapular", "lumbar"]
    muscle: str = Field(pattern=r"^[a-z][a-z_]*$")

    kind: ClassVar[str] = "dry_needling"


class DryNeedlingSession(_DryNeedlingFields):
    """One trigger-point dry-needling session on a region's muscle.

    Example
    -------
    >>> DryNeedlingSession(day=0, start="11:00", region="cervical",
    ...                    muscle="upper_trapezius").duration_min
    10
    """

    day: Day


class DryNeedlingSchedule(_DryNeedlingFields, _Recurrence):
    """Recurring dry-needling sessions.

    Example
    -------
    >>> DryNeedlingSchedule(weekdays=["wed"], count=2, start="11:00", region="lumbar",
    ...                     muscle="quadratus_lumborum").session_days("wed")
    [0, 7]
    """


class _CBTFields(_Model):
    start: ClockTime
    duration_min: GridMinutes = 50

    kind: ClassVar[str] = "cbt"


class CBTSession(_CBTFields):
    """One cognitive-behavioural therapy session (default 50 minutes).

    Example
    -------
    >>> CBTSession(day=2, start="16:00").duration_min
    50
    """

    day: Day


class CBTSchedule(_CBTFields, _Recurrence):
    """Recurring CBT sessions, e.g. weekly.

    Example
    -------
    >>> CBTSchedule(weekdays=["wednesday"], count=12, start="17:00").duration_min
    50
    """


# ---------------------------------------------------------------------------- drugs


class TitrationStep(_Model):
    """From ``day`` on, each administration is ``dose_mg``.

    Example
    -------
    >>> TitrationStep(day=7, dose_mg=60).dose_mg
    60.0
    """

    day: Day
    dose_mg: DoseMg


class Taper(_Model):
    """Stepwise dose reduction from ``start_day``, one step every ``every_days``.

    ``basis="original"`` removes ``percent`` of the dose in effect at ``start_day`` at each step
    (linear, reaches zero); ``basis="current"`` removes ``percent`` of the current dose
    (geometric, e.g. the CDC's ~10 %/month for long-term opioid therapy) and needs
    ``stop_below_mg`` or ``round_to_mg`` to end. The first reduction falls on ``start_day``.
    The drug stops on the first step whose dose is zero or below ``stop_below_mg``.

    Example
    -------
    >>> taper = Taper(start_day=28, percent=10, every_days=7)
    >>> [round(taper.dose_at_step(40.0, k), 1) for k in (1, 2, 10)]
    [36.0, 32.0, 0.0]
    """

    start_day: Day
    percent: float = Field(gt=0, le=100, allow_inf_nan=False)
    every_days: int = Field(ge=1, le=365)
    basis: Literal["original", "current"] = "original"
    stop_below_mg: DoseMg | None = None
    round_to_mg: DoseMg | None = None

    def dose_at_step(self, starting_dose_mg: float, step: int) -> float:
        """Per-administration dose after ``step`` reductions (0 once stopped).

        Example
        -------
        >>> Taper(start_day=0, percent=10, every_days=30, basis="current",
        ...       stop_below_mg=5).dose_at_step(10.0, 7)
        0.0
        """
        fraction = self.percent / 100.0
        if self.basis == "original":
            dose = starting_dose_mg * (1.0 - step * fraction)
        else:
            dose = starting_dose_mg * (1.0 - fraction) ** step
        if self.round_to_mg is not None:
            dose = round(dose / self.round_to_mg) * self.round_to_mg
        if dose <= 1e-9 or (self.stop_below_mg is not None and dose < self.stop_below_mg):
            return 0.0
        return dose


class DrugEntry(_Model):
    """An oral drug taken at fixed clock times, with optional titration and taper.

    ``end_day`` is exclusive (the first day without doses). ``dose_mg`` is per administration.

    Example
    -------
    >>> entry = DrugEntry(name="Cymbalta", dose_mg=30, times=["08:00"],
    ...                   titration=[{"day": 7, "dose_mg": 60}])
    >>> [entry.dose_on_day(d) for d in (0, 6, 7)]
    [30.0, 30.0, 60.0]
    """

    name: str
    dose_mg: DoseMg
    times: tuple[ClockTime, ...] = Field(min_length=1)
    start_day: Day = 0
    end_day: Day | None = None
    titration: tuple[TitrationStep, ...] = ()
    taper: Taper | None = None

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        resolve_drug(value)
        return value

    @property
    def drug(self) -> Drug:
        """The catalogue drug this entry names.

        Example
        -------
        >>> DrugEntry(name="Effexor", dose_mg=75, times=["08:00"]).drug.key
        'venlafaxine'
        """
        return resolve_drug(self.name)

    def _titrated_dose(self, day: int) -> float:
        dose = self.dose_mg
        for step in self.titration:
            if step.day <= day:
                dose = step.dose_mg
        return dose

    def dose_on_day(self, day: int) -> float:
        """Per-administration dose on ``day`` (0 when not taken).

        Example
        -------
        >>> entry = DrugEntry(name="oxycodone", dose_mg=20, times=["08:00", "20:00"],
        ...                   taper={"start_day": 0, "percent": 25, "every_days": 7})
        >>> [entry.dose_on_day(d) for d in (0, 7, 14, 21, 28)]
        [15.0, 10.0, 5.0, 0.0, 0.0]
        """
        if day < self.start_day or (self.end_day is not None and day >= self.end_day):
            return 0.0
        if self.taper is None or day < self.taper.start_day:
            return self._titrated_dose(day)
        step = (day - self.taper.start_day) // self.taper.every_days + 1
        return self.taper.dose_at_step(self._titrated_dose(self.taper.start_day), step)

    def daily_dose_mg(self, day: int) -> float:
        """Total dose on ``day`` (mg/day).

        Example
        -------
        >>> DrugEntry(name="naproxen", dose_mg=250, times=["08:00", "20:00"]).daily_dose_mg(3)
        500.0
        """
        return self.dose_on_day(day) * len(self.times)

    def last_day(self) -> int | None:
        """Last day with a dose, or ``None`` if the entry never ends.

        Example
        -------
        >>> DrugEntry(name="oxycodone", dose_mg=10, times=["08:00"],
        ...           taper={"start_day": 7, "percent": 50, "every_days": 7}).last_day()
        13
        """
        last = None if self.end_day is None else self.end_day - 1
        if self.taper is not None:
            start_dose = self._titrated_dose(self.taper.start_day)
            step = 1
            while self.taper.dose_at_step(start_dose, step) > 0:
                step += 1
                if step > 100_000:
                    break
            taper_last = self.taper.start_day + (step - 1) * self.taper.every_days - 1
            last = taper_last if last is None else min(last, taper_last)
        return last


# ---------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class SessionBlock:
    """One session on the input grid (minutes since midnight of day 0).

    Example
    -------
    >>> block = SessionBlock("cbt", "cbt_sessions[0]", 1440 + 600, 1440 + 650, 1440 + 600,
    ...                      CBTSession(day=1, start="10:00"))
    >>> block.describe()
    'day 1 10:00-10:50'
    """

    kind: str
    label: str
    start_min: int
    end_min: int
    requested_start_min: int
    session: _Model

    def describe(self) -> str:
        """``day 7 09:00-09:30`` (see the class example)."""
        day = self.start_min // MINUTES_PER_DAY
        return f"day {day} {format_clock(self.start_min)}-{format_clock(self.end_min)}"


@dataclass(frozen=True)
class DoseEvent:
    """One oral administration, on the grid.

    Example
    -------
    >>> plan = TreatmentPlan.parse({"drugs": [{"name": "Lexapro", "dose_mg": 10,
    ...                                        "times": ["08:03"]}]})
    >>> plan.dose_events(until_day=1)
    [DoseEvent(drug_key='escitalopram', time_min=480, dose_mg=10.0, label='drugs[0].times[0]')]
    """

    drug_key: str
    time_min: int
    dose_mg: float
    label: str


_SESSION_FIELDS = (
    ("ea_sessions", "ea_schedules"),
    ("sham_sessions", "sham_schedules"),
    ("manual_acupuncture_sessions", "manual_acupuncture_schedules"),
    ("dry_needling_sessions", "dry_needling_schedules"),
    ("cbt_sessions", "cbt_schedules"),
)


class TreatmentPlan(_Model):
    """A validated treatment plan (see the module docstring and ``docs/treatments.md``).

    Build one with :meth:`parse` (or :func:`load_plan` from a file) so that errors come back as
    a :class:`PlanError` naming each entry and field.

    Example
    -------
    >>> plan = TreatmentPlan.parse({"cbt_schedules": [
    ...     {"start_day": 0, "weekdays": ["wed"], "count": 3, "start": "17:00"}]})
    >>> [b.describe() for b in plan.session_blocks()]
    ['day 2 17:00-17:50', 'day 9 17:00-17:50', 'day 16 17:00-17:50']
    """

    name: str = ""
    description: str = ""
    start_weekday: Weekday = "mon"
    ea_sessions: tuple[EASession, ...] = ()
    ea_schedules: tuple[EASchedule, ...] = ()
    sham_sessions: tuple[ShamSession, ...] = ()
    sham_schedules: tuple[ShamSchedule, ...] = ()
    manual_acupuncture_sessions: tuple[ManualAcupunctureSession, ...] = ()
    manual_acupuncture_schedules: tuple[ManualAcupunctureSchedule, ...] = ()
    dry_needling_sessions: tuple[DryNeedlingSession, ...] = ()
    dry_needling_schedules: tuple[DryNeedlingSchedule, ...] = ()
    cbt_sessions: tuple[CBTSession, ...] = ()
    cbt_schedules: tuple[CBTSchedule, ...] = ()
    drugs: tuple[DrugEntry, ...] = ()

    def __init__(self, **data: Any) -> None:
        """Validate keyword data; errors are raised as a :class:`PlanError`."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise PlanError(_messages(exc)) from None

    @classmethod
    def parse(cls, data: Mapping[str, Any], source: str | None = None) -> TreatmentPlan:
        """Validate plan data; errors are raised as one :class:`PlanError`.

        Example
        -------
        >>> TreatmentPlan.parse({"ea_sessions": [{"day": 0, "start": "09:00", "frequency": 2,
        ...     "intensity_ma": -1, "tolerance_ma": 3, "points": ["GV20", "XX99"]}]})
        Traceback (most recent call last):
        ...
        hpatwin.treatments.plan.PlanError: ea_sessions[0].intensity_ma: Input should be greater than 0
        ea_sessions[0].points[1]: unknown point code 'XX99'
        """
        if not isinstance(data, Mapping):
            raise PlanError(
                [f"the top level must be a mapping of plan fields, not {type(data).__name__}"],
                source,
            )
        bad_keys = [k for k in data if not isinstance(k, str)]
        if bad_keys:
            raise PlanError(
                [f"top-level keys must be field names (text), not {type(bad_keys[0]).__name__}"],
                source,
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise PlanError(_messages(exc), source) from None

    # -- expansion -------------------------------------------------------------------------

    def session_blocks(self) -> list[SessionBlock]:
        """Every session (explicit and recurring) on the grid, sorted by start.

        Example
        -------
        >>> plan = TreatmentPlan.parse({"cbt_sessions": [{"day": 1, "start": "10:00"}],
        ...                             "sham_sessions": [{"day": 0, "start": "10:00"}]})
        >>> [(b.kind, b.label) for b in plan.session_blocks()]
        [('sham', 'sham_sessions[0]'), ('cbt', 'cbt_sessions[0]')]
        """
        blocks: list[SessionBlock] = []
        for single_field, schedule_field in _SESSION_FIELDS:
            for i, session in enumerate(getattr(self, single_field)):
                blocks.append(self._block(session, f"{single_field}[{i}]", session.day))
            for i, schedule in enumerate(getattr(self, schedule_field)):
                for n, day in enumerate(schedule.session_days(self.start_weekday), start=1):
                    blocks.append(self._block(schedule, f"{schedule_field}[{i}] #{n}", day))
        return sorted(blocks, key=lambda b: (b.start_min, b.label))

    @staticmethod
    def _block(session: Any, label: str, day: int) -> SessionBlock:
        requested = day * MINUTES_PER_DAY + clock_minutes(session.start)
        start = round_to_grid(requested)
        return SessionBlock(
            session.kind, label, start, start + session.duration_min, requested, session
        )

    def dose_events(self, until_day: int) -> list[DoseEvent]:
        """Every administration on days ``< until_day``, on the grid, sorted by time.

        Example
        -------
        >>> plan = TreatmentPlan.parse({"drugs": [{"name": "duloxetine", "dose_mg": 30,
        ...                                        "times": ["08:00"], "start_day": 1}]})
        >>> [e.time_min for e in plan.dose_events(until_day=3)]
        [1920, 3360]
        """
        events: list[DoseEvent] = []
        for i, entry in enumerate(self.drugs):
            key = entry.drug.key
            last = entry.last_day()
            stop = until_day if last is None else min(until_day, last + 1)
            for day in range(entry.start_day, stop):
                dose = entry.dose_on_day(day)
                if dose <= 0:
                    continue
                for t, clock in enumerate(entry.times):
                    time = round_to_grid(day * MINUTES_PER_DAY + clock_minutes(clock))
                    events.append(DoseEvent(key, time, dose, f"drugs[{i}].times[{t}]"))
        return sorted(events, key=lambda e: (e.time_min, e.label))

    def grid_notes(self) -> list[str]:
        """Sessions and dose times moved onto the 10-minute grid.

        Example
        -------
        >>> TreatmentPlan.parse({"cbt_sessions": [{"day": 0, "start": "09:05"}]}).grid_notes()
        ['cbt_sessions[0]: start 09:05 moved to 09:10 (10-minute input grid)']
        """
        notes = [
            f"{b.label}: start {format_clock(b.requested_start_min)} moved to "
            f"{format_clock(b.start_min)} ({GRID_MIN}-minute input grid)"
            for b in self.session_blocks()
            if b.start_min != b.requested_start_min
        ]
        for i, entry in enumerate(self.drugs):
            for t, clock in enumerate(entry.times):
                requested = clock_minutes(clock)
                if round_to_grid(requested) != requested:
                    notes.append(
                        f"drugs[{i}].times[{t}]: {clock} moved to "
                        f"{format_clock(round_to_grid(requested))} ({GRID_MIN}-minute input grid)"
                    )
        return notes

    # -- validation ------------------------------------------------------------------------

    @model_validator(mode="after")
    def _check_plan(self) -> TreatmentPlan:
        problems = [
            *self._check_electrodes(),
            *self._check_muscles(),
            *self._check_drugs(),
            *self._check_overlaps(),
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _check_electrodes(self) -> list[str]:
        problems: list[str] = []
        entries: list[tuple[str, _EAFields]] = [
            (f"ea_sessions[{i}]", s) for i, s in enumerate(self.ea_sessions)
        ] + [(f"ea_schedules[{i}]", s) for i, s in enumerate(self.ea_schedules)]
        for label, session in entries:
            if session.relative_intensity > MAX_RELATIVE_INTENSITY:
                problems.append(
                    f"{label}.intensity_ma: {session.intensity_ma:g} mA is "
                    f"{session.relative_intensity:.3g}× the tolerance threshold "
                    f"({session.tolerance_ma:g} mA); at most {MAX_RELATIVE_INTENSITY:g}× is "
                    "accepted (EA is titrated to a comfortable tingling, never pain)"
                )
            if session.electrode_pairs is None:
                if len(session.points) % 2:
                    problems.append(
                        f"{label}.points: EA needs electrode pairs; {len(session.points)} points "
                        "cannot be paired in order — list an even number or give electrode_pairs"
                    )
                    continue
                where = "points"
            else:
                where = "electrode_pairs"
                if not session.electrode_pairs:
                    problems.append(
                        f"{label}.electrode_pairs: EA needs at least one electrode pair"
                    )
                for p, pair in enumerate(session.electrode_pairs):
                    for e, code in enumerate(pair):
                        if code not in session.points:
                            problems.append(
                                f"{label}.electrode_pairs[{p}][{e}]: {code} is not among the "
                                "session's points"
                            )
            for p, (first, second) in enumerate(session.pairs()):
                if first not in session.points or second not in session.points:
                    continue  # reported above
                problem = electrode_pair_problem(first, second)
                if problem:
                    at = f"electrode_pairs[{p}]" if where == "electrode_pairs" else "points"
                    problems.append(f"{label}.{at}: {first}–{second}: {problem}")
        return problems

    def _check_muscles(self) -> list[str]:
        problems: list[str] = []
        entries: list[tuple[str, _DryNeedlingFields]] = [
            (f"dry_needling_sessions[{i}]", s) for i, s in enumerate(self.dry_needling_sessions)
        ]
        entries += [
            (f"dry_needling_schedules[{i}]", s) for i, s in enumerate(self.dry_needling_schedules)
        ]
        for label, session in entries:
            known = DRY_NEEDLING_MUSCLES[session.region]
            if session.muscle not in known:
                problems.append(
                    f"{label}.muscle: {session.muscle!r} is not a {session.region} muscle; "
                    f"known: {', '.join(known)}"
                )
        return problems

    def _check_drugs(self) -> list[str]:
        problems: list[str] = []
        for i, entry in enumerate(self.drugs):
            label = f"drugs[{i}]"
            problems += _check_drug_entry(label, entry)
        if problems:
            return problems
        # total per drug and day across entries (e.g. two duloxetine entries)
        by_key: dict[str, list[tuple[int, DrugEntry]]] = defaultdict(list)
        for i, entry in enumerate(self.drugs):
            by_key[entry.drug.key].append((i, entry))
        for entries in by_key.values():
            if len(entries) < 2:
                continue
            drug = entries[0][1].drug
            days = sorted(
                {e.start_day for _, e in entries} | {s.day for _, e in entries for s in e.titration}
            )
            for day in days:
                total = sum(e.daily_dose_mg(day) for _, e in entries)
                if total > drug.max_daily_dose.mg_per_day * (1 + 1e-9):
                    taking = " + ".join(f"drugs[{i}]" for i, e in entries if e.dose_on_day(day))
                    problems.append(
                        f"drugs: {drug.key} totals {total:g} mg/day on day {day} ({taking}), "
                        f"above its {drug.max_daily_dose.description} "
                        f"{drug.max_daily_dose.mg_per_day:g} mg/day"
                    )
                    break
        return problems

    def _check_overlaps(self) -> list[str]:
        problems: list[str] = []
        latest: SessionBlock | None = None
        for block in self.session_blocks():
            if latest is not None and block.start_min < latest.end_min:
                problems.append(f"{block.label}: overlaps {latest.label} ({latest.describe()})")
            if latest is None or block.end_min > latest.end_min:
                latest = block
        return problems


def _check_drug_entry(label: str, entry: DrugEntry) -> list[str]:
    problems: list[str] = []
    drug = entry.drug
    per_day = len(entry.times)
    maximum = drug.max_daily_dose

    def over(where: str, dose: float) -> None:
        if dose * per_day > maximum.mg_per_day * (1 + 1e-9):
            problems.append(
                f"{label}.{where}: {dose:g} mg × {per_day}/day = {dose * per_day:g} mg/day "
                f"exceeds {drug.key}'s {maximum.description} {maximum.mg_per_day:g} mg/day"
            )

    over("dose_mg", entry.dose_mg)
    blocks: dict[int, str] = {}
    for t, clock in enumerate(entry.times):
        block = round_to_grid(clock_minutes(clock)) % MINUTES_PER_DAY
        if block in blocks:
            problems.append(
                f"{label}.times[{t}]: {clock} falls in the same {GRID_MIN}-minute block as "
                f"{blocks[block]}"
            )
        blocks[block] = clock
    if entry.end_day is not None and entry.end_day <= entry.start_day:
        problems.append(
            f"{label}.end_day: {entry.end_day} must be after start_day {entry.start_day}"
        )
    previous = entry.start_day
    for s, step in enumerate(entry.titration):
        where = f"titration[{s}]"
        if step.day <= previous:
            after = "start_day" if s == 0 else f"titration[{s - 1}].day"
            problems.append(f"{label}.{where}.day: {step.day} must be after {after} {previous}")
        if entry.end_day is not None and step.day >= entry.end_day:
            problems.append(
                f"{label}.{where}.day: {step.day} is not before end_day {entry.end_day}"
            )
        if entry.taper is not None and step.day >= entry.taper.start_day:
            problems.append(
                f"{label}.{where}.day: {step.day} is not before taper.start_day "
                f"{entry.taper.start_day}"
            )
        over(f"{where}.dose_mg", step.dose_mg)
        previous = step.day
    if entry.taper is not None:
        taper = entry.taper
        if taper.start_day < entry.start_day:
            problems.append(
                f"{label}.taper.start_day: {taper.start_day} is before start_day {entry.start_day}"
            )
        if entry.end_day is not None and taper.start_day >= entry.end_day:
            problems.append(
                f"{label}.taper.start_day: {taper.start_day} is not before end_day {entry.end_day}"
            )
        if taper.basis == "current" and taper.stop_below_mg is None and taper.round_to_mg is None:
            problems.append(
                f"{label}.taper.stop_below_mg: required with basis 'current' unless round_to_mg "
                "is given (a percentage of the current dose never reaches zero)"
            )
    return problems


def load_plan(path: str | Path) -> TreatmentPlan:
    """Read a plan from a YAML (``.yaml``/``.yml``) or JSON (``.json``) file.

    Errors — a missing or unreadable file, malformed YAML/JSON, invalid content — are raised as
    :class:`PlanError` naming the file and, for content, the entry and field.

    Example
    -------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "bad.yaml").write_text("ea_sessions: [day: 1", encoding="utf-8")
    20
    >>> load_plan(folder / "bad.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hpatwin.treatments.plan.PlanError: plan file '.../bad.yaml': not valid YAML ...
    """
    file = Path(path)
    try:
        data = read_document(file, require_mapping=False)
    except DocumentError as exc:
        raise PlanError([exc.detail], str(file)) from None
    if data is None:
        raise PlanError(["the file is empty"], str(file))
    return TreatmentPlan.parse(data, source=str(file))
