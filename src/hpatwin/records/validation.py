"""Plausibility ranges and checks for every value the record store accepts.

Each check raises :class:`hpatwin.errors.InputError` naming the field and the allowed
range; messages never echo free text. Every number below states its source or, where the
literature gives none, that it is an assumption and why.

Example
-------
>>> check_range(12.0, "session.intensity_ma", INTENSITY_MA)
12.0
>>> try:
...     check_range(80, "session.intensity_ma", INTENSITY_MA)
... except InputError as exc:
...     print(exc)
session.intensity_ma: 80 is out of range (allowed: 0.1-50 mA)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hpatwin.errors import InputError

__all__ = [
    "BIRTH_YEAR_MIN",
    "CLOCK_SKEW",
    "CREATININE_CLEARANCE_ML_MIN",
    "DOSE_UNITS",
    "DURATION_MIN",
    "FREQUENCY_HZ",
    "HEPATIC_FUNCTION",
    "HRV_MS",
    "INTENSITY_MA",
    "MEDICATION_FREQUENCIES",
    "MODALITIES",
    "RMSSD_MS",
    "ROLES",
    "SESSION_FREQUENCY_HZ",
    "SEVERITIES",
    "SEXES",
    "TEXT_MAX_CHARACTERS",
    "Range",
    "check_choice",
    "check_range",
    "check_text",
    "not_in_future",
    "parse_session_frequency",
    "utc",
]


@dataclass(frozen=True)
class Range:
    """A closed numeric range with its unit and the reason for its bounds.

    Example
    -------
    >>> Range(1, 120, "min", "assumption").describe()
    '1-120 min'
    """

    low: float
    high: float
    unit: str
    basis: str

    def describe(self) -> str:
        """The range as shown in error messages."""
        return f"{self.low:g}-{self.high:g} {self.unit}".strip()


BIRTH_YEAR_MIN = 1900
"""Assumption: no living patient was born before 1900 (oldest verified human lived 122 years)."""

CLOCK_SKEW = timedelta(minutes=5)
"""Assumption: times up to 5 min ahead of this machine's clock are accepted (clock drift)."""

INTENSITY_MA = Range(
    0.1,
    50.0,
    "mA",
    "assumption: a bound that catches unit slips (µA typed as mA) without judging clinical "
    "choice; EA intensity is titrated to tolerance (SPEC 2) and the reference gives no limit",
)
SESSION_FREQUENCY_HZ = Range(
    0.1,
    200.0,
    "Hz",
    "assumption: covers the 2 Hz, 100 Hz and 2/100 Hz settings of the source article's table "
    "(SPEC 2) with headroom; higher values are taken as typing errors",
)
FREQUENCY_HZ = SESSION_FREQUENCY_HZ
DURATION_MIN = Range(
    1.0,
    180.0,
    "min",
    "assumption: acupuncture and CBT sessions last minutes to about an hour; 3 h catches "
    "hours typed as minutes",
)
CREATININE_CLEARANCE_ML_MIN = Range(
    0.0,
    200.0,
    "mL/min",
    "assumption: physiological upper bound with headroom; label cut-offs 30/60/89 mL/min "
    "(duloxetine and venlafaxine labels) lie inside",
)
HRV_MS = Range(
    1.0,
    500.0,
    "ms",
    "assumption: short-term RMSSD and SDNN norms are tens of ms (Nunan et al., Pacing Clin Electrophysiol 2010: mean "
    "short-term SDNN about 50 ms); 500 ms catches seconds typed as ms",
)
RMSSD_MS = HRV_MS
DOSE = Range(
    1e-6,
    1e5,
    "",
    "assumption: positive and below 100,000 of the unit; dose plausibility is the prescriber's",
)

SEXES = ("female", "male", "other", "unknown")
ROLES = ("admin", "clinician", "researcher")
MODALITIES = ("ea", "manual", "sham", "dry_needling", "cbt")
SEVERITIES = ("mild", "moderate", "severe")
"""Adverse-event severity. Assumption: the three-level scale of everyday AE reporting (the words of
CTCAE grades 1-3); life-threatening events are outside what a clinic log records here."""
HEPATIC_FUNCTION = (
    "normal",
    "chronic liver disease",
    "mild impairment",
    "moderate impairment",
    "severe impairment",
    "cirrhosis",
)  # the planner's LiverStatus values, so a stored patient feeds the planner unchanged
DOSE_UNITS = ("mg", "µg", "g", "mL", "IU", "drop", "patch", "puff", "tablet", "capsule")
MEDICATION_FREQUENCIES = ("once", "qd", "bid", "tid", "qid", "qhs", "weekly", "prn")


def utc(when: datetime) -> datetime:
    """Timezone-aware UTC; a naive time is taken as UTC (the store's convention).

    Example
    -------
    >>> utc(datetime(2024, 1, 1, 8)).isoformat()
    '2024-01-01T08:00:00+00:00'
    """
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def check_range(value: Any, field: str, allowed: Range) -> float:
    """A finite number inside ``allowed``, else :class:`InputError` naming the field.

    Example
    -------
    >>> check_range(2, "session.frequency_hz", SESSION_FREQUENCY_HZ)
    2.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError("not a number", field=field, allowed=allowed.describe())
    number = float(value)
    if not math.isfinite(number) or not allowed.low <= number <= allowed.high:
        raise InputError(f"{number:g} is out of range", field=field, allowed=allowed.describe())
    return number


def check_choice(value: Any, field: str, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``.

    Example
    -------
    >>> check_choice("ea", "session.modality", MODALITIES)
    'ea'
    """
    options = tuple(allowed)
    if value not in options:
        raise InputError("not an allowed value", field=field, allowed=", ".join(options))
    return str(value)


TEXT_MAX_CHARACTERS = 4000
"""Assumption: a clinical note of a few pages; longer text belongs in a document store."""


def check_text(
    value: Any, field: str, *, max_length: int = TEXT_MAX_CHARACTERS, required: bool = True
) -> str:
    """Stripped text of at most ``max_length`` characters (not echoed in errors).

    Example
    -------
    >>> check_text("  hello ", "note.text")
    'hello'
    """
    if not isinstance(value, str):
        raise InputError("not text", field=field)
    text = value.strip()
    if required and not text:
        raise InputError("is empty", field=field)
    if len(text) > max_length:
        raise InputError("is too long", field=field, allowed=f"<= {max_length} characters")
    return text


def not_in_future(when: date | datetime, field: str, now: datetime | None = None) -> None:
    """Refuse a date or time after now (plus :data:`CLOCK_SKEW`).

    Example
    -------
    >>> try:
    ...     not_in_future(datetime(2999, 1, 1), "assessment.administered_at")
    ... except InputError as exc:
    ...     print(exc)
    assessment.administered_at: is in the future (allowed: up to now)
    """
    current = now or datetime.now(UTC)
    if isinstance(when, datetime):  # noqa: SIM108 - two kinds of comparison
        late = utc(when) > current + CLOCK_SKEW
    else:
        late = when > current.date()
    if late:
        raise InputError("is in the future", field=field, allowed="up to now")


def parse_session_frequency(value: Any, field: str = "session.frequency_hz") -> str:
    """A stimulation frequency: one number in Hz, or two as ``low/high`` (dense-disperse).

    Example
    -------
    >>> parse_session_frequency("2/100"), parse_session_frequency(2), parse_session_frequency("4.5")
    ('2/100', '2', '4.5')
    """
    text = str(value).strip().removesuffix("Hz").strip()
    parts = text.split("/")
    allowed = f"a number {SESSION_FREQUENCY_HZ.describe()} or low/high such as 2/100"
    if len(parts) > 2 or not text:
        raise InputError("not a frequency", field=field, allowed=allowed)
    numbers_hz: list[float] = []
    for part in parts:
        try:
            numbers_hz.append(float(part))
        except ValueError:
            raise InputError("not a frequency", field=field, allowed=allowed) from None
    for number in numbers_hz:
        check_range(number, field, SESSION_FREQUENCY_HZ)
    if len(numbers_hz) == 2 and numbers_hz[0] >= numbers_hz[1]:
        raise InputError(
            "dense-disperse frequencies must be low/high", field=field, allowed=allowed
        )
    return "/".join(f"{n:g}" for n in numbers_hz)
