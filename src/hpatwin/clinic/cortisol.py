"""Salivary cortisol: units, 08:00 and 23:00 assessment, diurnal slope, ratio, AUC, CAR, trend.

Numbers and their sources:

* Cortisol molar mass 362.46 g/mol, so 1 µg/dL = 27.59 nmol/L, 1 ng/mL = 2.759 nmol/L,
  100 ng/dL = 2.76 nmol/L (PMID 20631023 reports the same).
* Reference windows of the Mayo Clinic Laboratories SALCT LC-MS/MS assay: 07:00-09:00
  100-750 ng/dL, 15:00-17:00 < 401 ng/dL, 23:00-24:00 < 100 ng/dL.
* Late-night cut-offs are assay-specific (:data:`LATE_NIGHT_CUTOFFS`, each with its study).
  A value above the cut-off is reported as **elevated** - a screening finding, never a
  diagnosis. Two late-night samples are recommended for screening (Raff 2013 review).
  The Endocrine Society figure "145 ng/dL / 4 nmol/L" is UNCONFIRMED and not built in;
  pass your own :class:`LateNightCutoff` to use it or a laboratory's own value.
* AUC with respect to ground and to increase: trapezoid formulas of Pruessner et al.,
  Psychoneuroendocrinology 2003;28:916.
* Diurnal slope: decline from waking (or peak) to bedtime per hour; flatter slopes are
  associated with poorer health (Adam et al., Psychoneuroendocrinology 2017;83:25).
* Cortisol awakening response: ~50-75 % rise within 30 min of waking (Pruessner 1997;
  Wüst 2000); the first sample must be taken at waking - delays of 5-15 min bias the CAR
  upward (Stalder et al., Psychoneuroendocrinology 2016; 2022 update).

Collection times are :class:`datetime.datetime` values (naive local clock time or time-zone
aware); window checks use the clock time at which the sample was collected.

Example
-------
>>> from datetime import datetime
>>> morning = CortisolSample(datetime(2024, 5, 2, 8, 0), 12.0, "nmol/L")
>>> night = CortisolSample(datetime(2024, 5, 2, 23, 0), 150.0, "ng/dL")
>>> round(night.cortisol_nmol_l, 2)
4.14
>>> profile = diurnal_profile([morning, night])
>>> profile.late_night.status, round(profile.slope_nmol_l_per_h, 3)
('elevated', -0.524)
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

import numpy as np

from hpatwin.clinic.instruments import Alert

__all__ = [
    "CORTISOL_MOLAR_MASS_G_MOL",
    "DEFAULT_LATE_NIGHT_CUTOFF",
    "LATE_NIGHT_CUTOFFS",
    "MAYO_LCMS_REFERENCE",
    "UNITS",
    "AwakeningResponse",
    "CortisolError",
    "CortisolSample",
    "CortisolTrend",
    "DiurnalProfile",
    "LateNightCutoff",
    "MetricTrend",
    "ReferenceWindow",
    "SampleAssessment",
    "assess_late_night",
    "assess_morning",
    "auc_pruessner",
    "awakening_response",
    "convert_cortisol",
    "cortisol_trend",
    "diurnal_profile",
    "parse_collection_time",
]

CORTISOL_MOLAR_MASS_G_MOL = 362.46
"""Molar mass of cortisol (362.46 g/mol: 1 µg/dL = 27.59 nmol/L)."""

UNITS: dict[str, float] = {
    "nmol/L": 1.0,
    "µg/dL": 1e4 / CORTISOL_MOLAR_MASS_G_MOL,  # 10 µg/L / 362.46 g/mol = 27.589 nmol/L
    "ng/mL": 1e3 / CORTISOL_MOLAR_MASS_G_MOL,  # 1 µg/L -> 2.7589 nmol/L
    "ng/dL": 1e1 / CORTISOL_MOLAR_MASS_G_MOL,  # 0.01 µg/L -> 0.027589 nmol/L
}
"""nmol/L per one unit of each accepted unit, derived from the molar mass."""

SALIVARY_UNIT_WARNING_NMOL_L = 100.0
"""Above this a salivary value gets a unit warning: about 5x the Mayo LC-MS/MS morning upper
reference (20.7 nmol/L, Mayo Clinic Laboratories SALCT). Threshold is an assumption (no source gives one)."""
SALIVARY_IMPLAUSIBLE_NMOL_L = 1000.0
"""Above this a salivary value is refused as implausible (about 48x the morning upper reference;
an assumption that keeps 1e308 from being reported as "elevated")."""

_UNIT_ALIASES = {
    "nmol/l": "nmol/L",
    "nm": "nmol/L",
    "nmol_l": "nmol/L",
    "µg/dl": "µg/dL",
    "μg/dl": "µg/dL",  # Greek mu
    "ug/dl": "µg/dL",
    "mcg/dl": "µg/dL",
    "ug_dl": "µg/dL",
    "ng/ml": "ng/mL",
    "ng_ml": "ng/mL",
    "ng/dl": "ng/dL",
    "ng_dl": "ng/dL",
}

_MAYO = "Mayo Clinic Laboratories SALCT (LC-MS/MS) reference values"
_PRUESSNER_2003 = "Pruessner et al., Psychoneuroendocrinology 2003;28:916 (trapezoid AUC_G, AUC_I)"
_ADAM_2017 = "Adam et al., Psychoneuroendocrinology 2017;83:25 (flatter slopes, poorer health)"
_STALDER = (
    "Stalder et al., Psychoneuroendocrinology 2016 and 2022 update "
    "(10.1016/j.psyneuen.2022.105946): sample immediately on waking; 5-15 min delays bias CAR"
)
_CAR_RISE = "Pruessner et al., Life Sci 1997;61:2539 (50-75 % rise); Wüst et al. 2000 (~50 %)"
_RAFF_2013 = "Raff 2013 review; Nieman et al., JCEM 2008 (two late-night samples for screening)"


class CortisolError(ValueError):
    """Invalid cortisol input; the message names the sample and field.

    Example
    -------
    >>> try:
    ...     convert_cortisol(1.0, "mg/L", "nmol/L")
    ... except CortisolError as e:
    ...     print(str(e)[:36])
    cortisol unit 'mg/L' is not accepted
    """


def _canonical_unit(unit: str) -> str:
    if not isinstance(unit, str):
        raise CortisolError(f"cortisol unit {unit!r} is not text")
    key = unit.strip().replace(" ", "")
    if key in UNITS:
        return key
    alias = _UNIT_ALIASES.get(key.lower())
    if alias is None:
        raise CortisolError(f"cortisol unit {unit!r} is not accepted; allowed: {', '.join(UNITS)}")
    return alias


def convert_cortisol(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a cortisol concentration between nmol/L, µg/dL, ng/dL and ng/mL.

    Example
    -------
    >>> round(convert_cortisol(1.0, "µg/dL", "nmol/L"), 2)
    27.59
    >>> round(convert_cortisol(100.0, "ng/dL", "nmol/L"), 2)
    2.76
    """
    src, dst = _canonical_unit(from_unit), _canonical_unit(to_unit)
    v = _finite_number(value, "cortisol value")
    return v * UNITS[src] / UNITS[dst]


def _finite_number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CortisolError(f"{what}: {value!r} is not a number")
    v = float(value)
    if not math.isfinite(v):
        raise CortisolError(f"{what}: {v} is not a finite number")
    return v


def parse_collection_time(text: str, on: date | None = None) -> datetime:
    """Parse an ISO collection time (``2024-05-02T08:00``) or, with ``on``, a clock time.

    Impossible times (``25:00``, ``08:61``, 30 February) raise :class:`CortisolError`.

    Example
    -------
    >>> parse_collection_time("2024-05-02T23:15")
    datetime.datetime(2024, 5, 2, 23, 15)
    >>> parse_collection_time("08:00", on=date(2024, 5, 2))
    datetime.datetime(2024, 5, 2, 8, 0)
    """
    if not isinstance(text, str) or not text.strip():
        raise CortisolError(f"collection time {text!r} is missing or not text")
    s = text.strip()
    try:
        if on is not None and "T" not in s and "-" not in s:
            return datetime.combine(on, time.fromisoformat(s))
        parsed = datetime.fromisoformat(s)
    except ValueError:
        raise CortisolError(
            f"collection time {text!r} is not a possible date and time "
            "(expected ISO 8601, e.g. 2024-05-02T08:00)"
        ) from None
    if len(s) <= 10 and "T" not in s and " " not in s:
        raise CortisolError(f"collection time {text!r} has a date but no clock time")
    return parsed


@dataclass(frozen=True)
class CortisolSample:
    """One salivary cortisol sample: collection time, value and unit.

    ``collected_at`` must be a :class:`datetime.datetime` (a clock time is required; an
    ISO string is parsed); ``value`` a finite number >= 0 in ``unit`` (nmol/L, µg/dL,
    ng/dL or ng/mL). ``label`` is free text such as ``"waking"``.

    Example
    -------
    >>> s = CortisolSample("2024-05-02T08:00", 0.4, "ug/dL")
    >>> s.unit, round(s.cortisol_nmol_l, 3)
    ('µg/dL', 11.036)
    """

    collected_at: datetime
    value: float
    unit: str = "nmol/L"
    label: str = ""

    def __post_init__(self) -> None:
        when: Any = self.collected_at
        if when is None:
            raise CortisolError("cortisol sample: collection time is missing")
        if isinstance(when, str):
            when = parse_collection_time(when)
        if not isinstance(when, datetime):
            kind = "a date without a clock time" if isinstance(when, date) else repr(when)
            raise CortisolError(
                f"cortisol sample: collection time must be a date and clock time, got {kind}"
            )
        object.__setattr__(self, "collected_at", when)
        object.__setattr__(self, "unit", _canonical_unit(self.unit))
        v = _finite_number(self.value, f"cortisol sample at {when.isoformat()}")
        if v < 0:
            raise CortisolError(
                f"cortisol sample at {when.isoformat()}: {v} {self.unit} is negative"
            )
        if v * UNITS[_canonical_unit(self.unit)] > SALIVARY_IMPLAUSIBLE_NMOL_L:
            raise CortisolError(
                f"cortisol sample at {when.isoformat()}: {v:g} {self.unit} is "
                f"{v * UNITS[_canonical_unit(self.unit)]:.3g} nmol/L, far above any salivary "
                f"value (refused above {SALIVARY_IMPLAUSIBLE_NMOL_L:g} nmol/L): check the value "
                "(a serum result?)"
            )
        object.__setattr__(self, "value", v)

    def unit_warning(self) -> str | None:
        """A warning when the value is high for saliva (a serum value or a unit slip?).

        Example
        -------
        >>> CortisolSample("2024-05-02T08:00", 15, "µg/dL").unit_warning()[:40]
        'check the unit: 15 µg/dL = 413.84 nmol/L'
        >>> CortisolSample("2024-05-02T08:00", 0.4, "µg/dL").unit_warning() is None
        True
        """
        v = self.cortisol_nmol_l
        if v <= SALIVARY_UNIT_WARNING_NMOL_L:
            return None
        return (
            f"check the unit: {self.value:g} {self.unit} = {v:.2f} nmol/L is more than "
            f"{SALIVARY_UNIT_WARNING_NMOL_L:g} nmol/L, far above salivary reference values "
            "(morning upper limit about 20.7 nmol/L); serum cortisol is reported in the same "
            "units at ten times higher values"
        )

    @property
    def cortisol_nmol_l(self) -> float:
        """The concentration in nmol/L.

        Example
        -------
        >>> round(CortisolSample("2024-05-02T08:00", 4.0, "ng/mL").cortisol_nmol_l, 3)
        11.036
        """
        return self.value * UNITS[self.unit]

    def value_in(self, unit: str) -> float:
        """The concentration in ``unit``.

        Example
        -------
        >>> CortisolSample("2024-05-02T08:00", 100.0, "ng/dL").value_in("ng/mL")
        1.0
        """
        return convert_cortisol(self.value, self.unit, unit)

    @property
    def clock_time(self) -> time:
        """Local clock time of collection.

        Example
        -------
        >>> CortisolSample("2024-05-02T23:30", 1.0).clock_time
        datetime.time(23, 30)
        """
        return self.collected_at.time().replace(tzinfo=None)


@dataclass(frozen=True)
class ReferenceWindow:
    """A collection window with an assay-specific reference range (nmol/L).

    ``end`` may be ``time(0, 0)`` meaning midnight (the 23:00-24:00 window).
    ``low_nmol_l`` may be ``None`` (upper limit only).

    Example
    -------
    >>> MAYO_LCMS_REFERENCE["morning"].contains(time(8, 0))
    True
    """

    name: str
    start: time
    end: time
    low_nmol_l: float | None
    high_nmol_l: float
    assay: str
    source: str

    def contains(self, clock: time) -> bool:
        """Whether a clock time falls inside the window (inclusive).

        Example
        -------
        >>> MAYO_LCMS_REFERENCE["late_night"].contains(time(0, 0))
        True
        """
        if self.end == time(0, 0):
            return clock >= self.start or clock == time(0, 0)
        return self.start <= clock <= self.end


MAYO_LCMS_REFERENCE: dict[str, ReferenceWindow] = {
    "morning": ReferenceWindow(
        "morning",
        time(7, 0),
        time(9, 0),
        low_nmol_l=100 * UNITS["ng/dL"],
        high_nmol_l=750 * UNITS["ng/dL"],
        assay="LC-MS/MS (Mayo SALCT)",
        source=f"{_MAYO}: 07:00-09:00 100-750 ng/dL",
    ),
    "afternoon": ReferenceWindow(
        "afternoon",
        time(15, 0),
        time(17, 0),
        low_nmol_l=None,
        high_nmol_l=401 * UNITS["ng/dL"],
        assay="LC-MS/MS (Mayo SALCT)",
        source=f"{_MAYO}: 15:00-17:00 < 401 ng/dL",
    ),
    "late_night": ReferenceWindow(
        "late_night",
        time(23, 0),
        time(0, 0),
        low_nmol_l=None,
        high_nmol_l=100 * UNITS["ng/dL"],
        assay="LC-MS/MS (Mayo SALCT)",
        source=f"{_MAYO}: 23:00-24:00 < 100 ng/dL",
    ),
}
"""Mayo Clinic Laboratories LC-MS/MS (SALCT) reference windows; other assays differ."""


@dataclass(frozen=True)
class LateNightCutoff:
    """An assay-specific late-night salivary cortisol cut-off (value above = "elevated").

    Example
    -------
    >>> c = LATE_NIGHT_CUTOFFS["eclia_2012"]
    >>> c.cutoff_nmol_l, c.assay
    (6.1, 'electrochemiluminescence immunoassay')
    """

    key: str
    cutoff_nmol_l: float
    assay: str
    source: str
    performance: str = ""
    evidence: str = "confirmed"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cutoff_nmol_l) and self.cutoff_nmol_l > 0):
            raise CortisolError(f"late-night cut-off {self.key!r}: must be a positive number")
        if not self.source.strip():
            raise CortisolError(f"late-night cut-off {self.key!r}: a source is required")


LATE_NIGHT_CUTOFFS: dict[str, LateNightCutoff] = {
    c.key: c
    for c in (
        LateNightCutoff(
            "lcms_mayo_reference",
            100 * UNITS["ng/dL"],
            "LC-MS/MS",
            f"{_MAYO}: 23:00-24:00 < 100 ng/dL; >100 ng/dL considered elevated (PMID 20631023)",
            "upper reference limit",
        ),
        LateNightCutoff(
            "lcms_2010",
            107 * UNITS["ng/dL"],
            "LC-MS/MS",
            "PMID 20631023: best combined sensitivity/specificity at 107 ng/dL (2.95 nmol/L)",
            "sensitivity 92 %, specificity 92 %",
        ),
        LateNightCutoff(
            "lcms_mayo_2012",
            2.8,
            "LC-MS/MS",
            "Mayo referral series, Clin Endocrinol 2012: > 2.8 nmol/L",
            "sensitivity 74.5 %, specificity 90.1 % (ROC optimum > 2.1 nmol/L: 83 %/84 %)",
        ),
        LateNightCutoff(
            "eclia_2012",
            6.1,
            "electrochemiluminescence immunoassay",
            "PMID 22214924: 23:00 cut-off 6.1 nmol/L",
            "sensitivity 95 %, specificity 91 %",
        ),
        LateNightCutoff(
            "eclia_portugal",
            0.1 * UNITS["µg/dL"],
            "electrochemiluminescence immunoassay",
            "Portuguese population study: 0.1 µg/dL (~2.8 nmol/L)",
            "sensitivity 96.8 %, specificity 91.2 %",
        ),
        LateNightCutoff(
            "clia_2021",
            10.1,
            "automated chemiluminescence immunoassay",
            "Thieme 2021, doi 10.1055/a-1608-1720: 10.1 nmol/L",
            "sensitivity 94 %, specificity 84 %",
        ),
        LateNightCutoff(
            "ria_cardoso",
            3.8,
            "radioimmunoassay",
            "Cardoso et al.: > 3.8 nmol/L",
            "sensitivity/specificity 100 % in that study",
        ),
    )
}
"""Late-night cut-offs by assay (laboratory and assay publications named per entry). Use the one matching your lab's assay."""

DEFAULT_LATE_NIGHT_CUTOFF = "lcms_mayo_reference"
"""Default: LC-MS/MS upper reference limit (< 100 ng/dL), the assay the simulator models."""


def _cutoff(cutoff: str | LateNightCutoff) -> LateNightCutoff:
    if isinstance(cutoff, LateNightCutoff):
        return cutoff
    try:
        return LATE_NIGHT_CUTOFFS[cutoff]
    except KeyError:
        raise CortisolError(
            f"late-night cut-off {cutoff!r} is unknown; known: {', '.join(LATE_NIGHT_CUTOFFS)}"
        ) from None


Status = Literal[
    "elevated",
    "not elevated",
    "below reference range",
    "within reference range",
    "above reference range",
    "outside collection window",
    "unit to check",
]


@dataclass(frozen=True)
class SampleAssessment:
    """The assessment of one sample against a window and limit.

    Example
    -------
    >>> a = assess_late_night(CortisolSample("2024-05-02T23:10", 2.0))
    >>> a.status, a.limit_nmol_l > 2.7
    ('not elevated', True)
    """

    sample: CortisolSample
    window: str
    status: Status
    message: str
    limit_nmol_l: float | None
    source: str

    @property
    def assessable(self) -> bool:
        """Whether the sample was in the collection window.

        Example
        -------
        >>> assess_late_night(CortisolSample("2024-05-02T21:00", 2.0)).assessable
        False
        """
        return self.status not in ("outside collection window", "unit to check")


def _fmt(v: float) -> str:
    return f"{v:.2f} nmol/L"


def assess_late_night(
    sample: CortisolSample,
    cutoff: str | LateNightCutoff = DEFAULT_LATE_NIGHT_CUTOFF,
    window: ReferenceWindow = MAYO_LCMS_REFERENCE["late_night"],
) -> SampleAssessment:
    """Assess a 23:00-24:00 sample against an assay-specific cut-off: "elevated" or not.

    The wording is deliberately "elevated", never a diagnosis: late-night salivary
    cortisol is a screening test whose cut-off depends on the assay.

    Example
    -------
    >>> a = assess_late_night(CortisolSample("2024-05-02T23:00", 5.0), cutoff="eclia_2012")
    >>> a.status
    'not elevated'
    >>> assess_late_night(CortisolSample("2024-05-02T23:00", 5.0)).status
    'elevated'
    """
    c = _cutoff(cutoff)
    v = sample.cortisol_nmol_l
    if not window.contains(sample.clock_time):
        return SampleAssessment(
            sample,
            "late_night",
            "outside collection window",
            f"collected at {sample.clock_time:%H:%M}, outside the "
            f"{window.start:%H:%M}-24:00 window the cut-off applies to; not assessed",
            c.cutoff_nmol_l,
            c.source,
        )
    warning = sample.unit_warning()
    if warning is not None:
        return SampleAssessment(
            sample,
            "late_night",
            "unit to check",
            f"{warning}; not assessed against the cut-off until the unit is confirmed",
            c.cutoff_nmol_l,
            c.source,
        )
    if v > c.cutoff_nmol_l:
        status: Status = "elevated"
        msg = (
            f"late-night salivary cortisol {_fmt(v)} is elevated (above {_fmt(c.cutoff_nmol_l)}, "
            f"{c.assay} cut-off '{c.key}'); a screening finding, not a diagnosis - "
            "interpret with the assay, collection conditions and a repeat sample"
        )
    else:
        status = "not elevated"
        msg = (
            f"late-night salivary cortisol {_fmt(v)} is not elevated (cut-off "
            f"{_fmt(c.cutoff_nmol_l)}, {c.assay} '{c.key}')"
        )
    return SampleAssessment(sample, "late_night", status, msg, c.cutoff_nmol_l, c.source)


def assess_morning(
    sample: CortisolSample, reference: ReferenceWindow = MAYO_LCMS_REFERENCE["morning"]
) -> SampleAssessment:
    """Assess a morning (07:00-09:00) sample against the assay's reference range.

    Example
    -------
    >>> assess_morning(CortisolSample("2024-05-02T08:00", 1.5)).status
    'below reference range'
    >>> assess_morning(CortisolSample("2024-05-02T08:00", 12.0)).status
    'within reference range'
    """
    v = sample.cortisol_nmol_l
    if not reference.contains(sample.clock_time):
        return SampleAssessment(
            sample,
            reference.name,
            "outside collection window",
            f"collected at {sample.clock_time:%H:%M}, outside the "
            f"{reference.start:%H:%M}-{reference.end:%H:%M} reference window; not assessed",
            None,
            reference.source,
        )
    warning = sample.unit_warning()
    if warning is not None:
        return SampleAssessment(
            sample,
            reference.name,
            "unit to check",
            f"{warning}; not assessed against the reference range until the unit is confirmed",
            reference.high_nmol_l,
            reference.source,
        )
    low = reference.low_nmol_l
    if low is not None and v < low:
        status: Status = "below reference range"
        limit: float | None = low
    elif v > reference.high_nmol_l:
        status, limit = "above reference range", reference.high_nmol_l
    else:
        status, limit = "within reference range", None
    rng = f"{_fmt(low) if low is not None else '0'} - {_fmt(reference.high_nmol_l)}"
    msg = f"{reference.name} salivary cortisol {_fmt(v)}: {status} ({rng}, {reference.assay})"
    return SampleAssessment(sample, reference.name, status, msg, limit, reference.source)


def _check_series(samples: Sequence[CortisolSample], what: str) -> list[CortisolSample]:
    if isinstance(samples, CortisolSample) or not isinstance(samples, Sequence):
        raise CortisolError(f"{what}: expected a sequence of CortisolSample")
    out = list(samples)
    for i, s in enumerate(out, start=1):
        if not isinstance(s, CortisolSample):
            raise CortisolError(f"{what}: sample {i} is not a CortisolSample")
    aware = {s.collected_at.tzinfo is not None for s in out}
    if len(aware) > 1:
        raise CortisolError(f"{what}: collection times mix time-zone-aware and naive values")
    out.sort(key=lambda s: s.collected_at)
    for a, b in itertools.pairwise(out):
        if a.collected_at == b.collected_at:
            raise CortisolError(
                f"{what}: two samples share the collection time {a.collected_at.isoformat()}"
            )
    return out


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def auc_pruessner(times_h: Sequence[float], values: Sequence[float]) -> tuple[float, float]:
    """Area under the curve with respect to ground and to increase (Pruessner 2003).

    ``AUC_G = sum((v[i] + v[i+1]) / 2 * (t[i+1] - t[i]))``;
    ``AUC_I = AUC_G - v[0] * (t[-1] - t[0])``. Units: value unit x time unit.

    Example
    -------
    >>> auc_pruessner([0.0, 0.5, 1.0], [10.0, 15.0, 12.0])
    (13.0, 3.0)
    """
    t = np.asarray(times_h, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.shape != v.shape or t.ndim != 1 or t.size < 2:
        raise CortisolError("AUC: need two or more paired times and values")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
        raise CortisolError("AUC: times and values must be finite")
    if np.any(np.diff(t) <= 0):
        raise CortisolError("AUC: times must be strictly increasing")
    auc_g = float(np.sum((v[1:] + v[:-1]) / 2.0 * np.diff(t)))
    auc_i = auc_g - float(v[0]) * float(t[-1] - t[0])
    return auc_g, auc_i


@dataclass(frozen=True)
class AwakeningResponse:
    """Cortisol awakening response features (values in nmol/L, times in min after waking).

    Example
    -------
    >>> from datetime import datetime, timedelta
    >>> wake = datetime(2024, 5, 2, 7, 0)
    >>> car = awakening_response(
    ...     [CortisolSample(wake, 10.0), CortisolSample(wake + timedelta(minutes=30), 16.0)],
    ...     awakening_time=wake)
    >>> car.increase_nmol_l, car.percent_rise
    (6.0, 60.0)
    """

    awakening_time: datetime
    first_sample_delay_min: float
    waking_nmol_l: float
    plus30_nmol_l: float
    increase_nmol_l: float
    percent_rise: float | None
    auc_ground_nmol_min_per_l: float | None
    auc_increase_nmol_min_per_l: float | None
    n_samples: int
    alerts: tuple[Alert, ...]


def awakening_response(
    samples: Sequence[CortisolSample],
    awakening_time: datetime,
    *,
    max_first_delay_min: float = 15.0,
    plus30_tolerance_min: float = 10.0,
    window_min: float = 75.0,
) -> AwakeningResponse:
    """Cortisol awakening response from samples taken after ``awakening_time``.

    The waking sample is the first one within ``max_first_delay_min`` (default 15 min:
    the upper end of the delays Stalder et al. report as biasing the CAR - beyond it the CAR
    is refused, above 5 min a warning is given); the +30 sample is the one nearest to 30 min
    within ``plus30_tolerance_min`` (a configurable design choice). AUCs need >= 3 samples
    within ``window_min`` after waking.

    Example
    -------
    >>> from datetime import datetime, timedelta
    >>> w = datetime(2024, 5, 2, 6, 30)
    >>> ss = [CortisolSample(w + timedelta(minutes=m), v)
    ...       for m, v in [(0, 10.0), (15, 14.0), (30, 16.0), (45, 13.0)]]
    >>> car = awakening_response(ss, w)
    >>> car.auc_ground_nmol_min_per_l, car.auc_increase_nmol_min_per_l
    (622.5, 172.5)
    """
    series = _check_series(samples, "awakening response")
    if not isinstance(awakening_time, datetime):
        raise CortisolError("awakening response: awakening_time must be a date and clock time")
    if (awakening_time.tzinfo is None) != (series[0].collected_at.tzinfo is None):
        raise CortisolError("awakening response: awakening time and samples mix time zones")
    post = [
        s
        for s in series
        if 0.0 <= (s.collected_at - awakening_time).total_seconds() / 60.0 <= window_min
    ]
    if not post:
        raise CortisolError(
            f"awakening response: no sample within {window_min:g} min after waking "
            f"({awakening_time.isoformat()})"
        )
    delay = (post[0].collected_at - awakening_time).total_seconds() / 60.0
    if delay > max_first_delay_min:
        raise CortisolError(
            f"awakening response: first sample {delay:.0f} min after waking (limit "
            f"{max_first_delay_min:g} min); the CAR cannot be assessed ({_STALDER})"
        )
    minutes = [(s.collected_at - awakening_time).total_seconds() / 60.0 for s in post]
    candidates = [
        (abs(m - 30.0), i)
        for i, m in enumerate(minutes)
        if i > 0 and abs(m - 30.0) <= plus30_tolerance_min
    ]
    if not candidates:
        raise CortisolError(
            f"awakening response: no sample at 30 +/- {plus30_tolerance_min:g} min after waking"
        )
    i30 = min(candidates)[1]
    s0, s30 = post[0].cortisol_nmol_l, post[i30].cortisol_nmol_l
    alerts: list[Alert] = []
    if delay > 5.0:
        alerts.append(
            Alert(
                "warning",
                "car_first_sample_delayed",
                f"first sample {delay:.0f} min after waking: the CAR may be overestimated",
                _STALDER,
            )
        )
    auc_g = auc_i = None
    if len(post) >= 3:
        auc_g, auc_i = auc_pruessner(minutes, [s.cortisol_nmol_l for s in post])
    return AwakeningResponse(
        awakening_time=awakening_time,
        first_sample_delay_min=delay,
        waking_nmol_l=s0,
        plus30_nmol_l=s30,
        increase_nmol_l=s30 - s0,
        percent_rise=(s30 - s0) / s0 * 100.0 if s0 > 0 else None,
        auc_ground_nmol_min_per_l=auc_g,
        auc_increase_nmol_min_per_l=auc_i,
        n_samples=len(post),
        alerts=tuple(alerts),
    )


@dataclass(frozen=True)
class DiurnalProfile:
    """Features of one day's salivary cortisol samples.

    * ``morning`` / ``late_night``: assessments of the 07:00-09:00 and 23:00-24:00
      samples (``None`` when no sample was taken in that window);
    * ``slope_nmol_l_per_h``: (last - first) / hours between, first = earliest sample of
      the day (waking or morning), last = latest (bedtime); negative = declining;
    * ``slope_from_peak_nmol_l_per_h``: the same from the highest sample;
    * ``regression_slope_nmol_l_per_h``: least-squares slope over all samples (>= 3);
    * ``morning_to_late_night_ratio``: morning / late-night (``None`` if either is missing
      or the late-night value is 0);
    * ``auc_ground_nmol_h_per_l`` / ``auc_increase_nmol_h_per_l``: Pruessner 2003 (>= 3);
    * ``awakening``: CAR features when an awakening time was given.

    Example
    -------
    >>> from datetime import datetime
    >>> d = datetime(2024, 5, 2)
    >>> p = diurnal_profile([CortisolSample(d.replace(hour=h), v)
    ...                      for h, v in [(8, 14.0), (12, 8.0), (16, 5.0), (23, 2.0)]])
    >>> round(p.slope_nmol_l_per_h, 3), p.morning_to_late_night_ratio, p.auc_ground_nmol_h_per_l
    (-0.8, 7.0, 94.5)
    """

    samples: tuple[CortisolSample, ...]
    morning: SampleAssessment | None
    late_night: SampleAssessment | None
    slope_nmol_l_per_h: float | None
    slope_from_peak_nmol_l_per_h: float | None
    regression_slope_nmol_l_per_h: float | None
    morning_to_late_night_ratio: float | None
    auc_ground_nmol_h_per_l: float | None
    auc_increase_nmol_h_per_l: float | None
    awakening: AwakeningResponse | None
    alerts: tuple[Alert, ...]
    cutoff: LateNightCutoff

    @property
    def day(self) -> date:
        """Calendar date of the first sample.

        Example
        -------
        >>> diurnal_profile([CortisolSample("2024-05-02T08:00", 9.0)]).day
        datetime.date(2024, 5, 2)
        """
        return self.samples[0].collected_at.date()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary.

        Example
        -------
        >>> diurnal_profile([CortisolSample("2024-05-02T08:00", 9.0)]).to_dict()["morning_status"]
        'within reference range'
        """
        return {
            "day": self.day.isoformat(),
            "n_samples": len(self.samples),
            "morning_nmol_l": self.morning.sample.cortisol_nmol_l if self.morning else None,
            "morning_status": self.morning.status if self.morning else None,
            "late_night_nmol_l": self.late_night.sample.cortisol_nmol_l
            if self.late_night
            else None,
            "late_night_status": self.late_night.status if self.late_night else None,
            "late_night_cutoff": self.cutoff.key,
            "late_night_cutoff_nmol_l": self.cutoff.cutoff_nmol_l,
            "slope_nmol_l_per_h": self.slope_nmol_l_per_h,
            "slope_from_peak_nmol_l_per_h": self.slope_from_peak_nmol_l_per_h,
            "regression_slope_nmol_l_per_h": self.regression_slope_nmol_l_per_h,
            "morning_to_late_night_ratio": self.morning_to_late_night_ratio,
            "auc_ground_nmol_h_per_l": self.auc_ground_nmol_h_per_l,
            "auc_increase_nmol_h_per_l": self.auc_increase_nmol_h_per_l,
            "car_increase_nmol_l": self.awakening.increase_nmol_l if self.awakening else None,
            "car_percent_rise": self.awakening.percent_rise if self.awakening else None,
            "alerts": [
                {"level": a.level, "code": a.code, "message": a.message, "source": a.source}
                for a in self.alerts
            ],
        }


def _pick(
    samples: Sequence[CortisolSample], window: ReferenceWindow, target: time
) -> CortisolSample | None:
    inside = [s for s in samples if window.contains(s.clock_time)]
    if not inside:
        return None

    def distance(s: CortisolSample) -> float:
        c = s.clock_time
        minutes = c.hour * 60 + c.minute - (target.hour * 60 + target.minute)
        return min(abs(minutes), 1440 - abs(minutes))

    return min(inside, key=distance)


def diurnal_profile(
    samples: Sequence[CortisolSample],
    *,
    cutoff: str | LateNightCutoff = DEFAULT_LATE_NIGHT_CUTOFF,
    morning_reference: ReferenceWindow = MAYO_LCMS_REFERENCE["morning"],
    late_night_window: ReferenceWindow = MAYO_LCMS_REFERENCE["late_night"],
    awakening_time: datetime | None = None,
    min_samples_auc: int = 3,
) -> DiurnalProfile:
    """Assess one day's samples: 08:00 and 23:00 values, slope, ratio, AUC and CAR.

    Samples must lie within 24 hours of each other and have distinct times. The
    late-night assessment uses the assay-specific ``cutoff``; an elevated value raises a
    ``warning`` alert worded as "elevated", and a single late-night sample an ``info``
    reminder that two samples are recommended.

    Example
    -------
    >>> p = diurnal_profile([CortisolSample("2024-05-02T08:05", 15.0),
    ...                      CortisolSample("2024-05-02T23:00", 1.5)])
    >>> p.morning.status, p.late_night.status, p.morning_to_late_night_ratio
    ('within reference range', 'not elevated', 10.0)
    """
    series = _check_series(samples, "diurnal profile")
    if not series:
        raise CortisolError("diurnal profile: no samples")
    span = _hours(series[0].collected_at, series[-1].collected_at)
    if span > 24.0:
        raise CortisolError(
            f"diurnal profile: samples span {span:.1f} h; one profile covers at most 24 h "
            "(check the collection dates)"
        )
    if min_samples_auc < 2:
        raise CortisolError("diurnal profile: min_samples_auc must be >= 2")
    c = _cutoff(cutoff)
    alerts: list[Alert] = []
    m_sample = _pick(series, morning_reference, time(8, 0))
    n_sample = _pick(series, late_night_window, time(23, 0))
    morning = assess_morning(m_sample, morning_reference) if m_sample else None
    late = assess_late_night(n_sample, c, late_night_window) if n_sample else None
    if late is not None:
        if late.status == "elevated":
            alerts.append(Alert("warning", "cortisol_late_night_elevated", late.message, c.source))
        alerts.append(
            Alert(
                "info",
                "cortisol_late_night_repeat",
                "one late-night sample: two late-night samples on different nights are "
                "recommended before interpreting an elevated value",
                _RAFF_2013,
            )
        )
    values = [s.cortisol_nmol_l for s in series]
    times_h = [_hours(series[0].collected_at, s.collected_at) for s in series]
    slope = peak_slope = reg_slope = None
    if len(series) >= 2:
        slope = (values[-1] - values[0]) / times_h[-1]
        ipeak = int(np.argmax(values))
        if ipeak < len(series) - 1:
            peak_slope = (values[-1] - values[ipeak]) / (times_h[-1] - times_h[ipeak])
    if len(series) >= 3:
        reg_slope = float(np.polyfit(np.asarray(times_h), np.asarray(values), 1)[0])
    ratio = None
    if m_sample is not None and n_sample is not None and n_sample.cortisol_nmol_l > 0:
        ratio = m_sample.cortisol_nmol_l / n_sample.cortisol_nmol_l
    auc_g = auc_i = None
    if len(series) >= min_samples_auc:
        auc_g, auc_i = auc_pruessner(times_h, values)
    car = None
    if awakening_time is not None:
        car = awakening_response(series, awakening_time)
        alerts.extend(car.alerts)
    return DiurnalProfile(
        samples=tuple(series),
        morning=morning,
        late_night=late,
        slope_nmol_l_per_h=slope,
        slope_from_peak_nmol_l_per_h=peak_slope,
        regression_slope_nmol_l_per_h=reg_slope,
        morning_to_late_night_ratio=ratio,
        auc_ground_nmol_h_per_l=auc_g,
        auc_increase_nmol_h_per_l=auc_i,
        awakening=car,
        alerts=tuple(alerts),
        cutoff=c,
    )


@dataclass(frozen=True)
class MetricTrend:
    """How one cortisol metric moved across visits, relative to its normal direction.

    ``direction`` is ``"towards normal"``, ``"away from normal"``, ``"unchanged"``,
    ``"normal throughout"`` or ``"not assessable"`` (fewer than two values).
    ``distance_from_normal`` is, per visit, how far outside the normal region the value
    lies (0 inside; for the slope, which has no sourced normal value, ``None``).

    Example
    -------
    >>> t = MetricTrend("late_night_nmol_l", (None,), (5.0,), (2.2,), None,
    ...                 "not assessable", "", "")
    >>> t.direction
    'not assessable'
    """

    metric: str
    days: tuple[date | None, ...]
    values: tuple[float | None, ...]
    distance_from_normal: tuple[float | None, ...]
    change_per_week: float | None
    direction: str
    normal: str
    source: str


@dataclass(frozen=True)
class CortisolTrend:
    """Trend of late-night value, morning value, slope and ratio across visits.

    Example
    -------
    >>> from datetime import datetime
    >>> visits = [[CortisolSample(datetime(2024, 5, d, 8), 12.0),
    ...            CortisolSample(datetime(2024, 5, d, 23), v)] for d, v in [(1, 6.0), (15, 3.0)]]
    >>> cortisol_trend(visits).metrics["late_night_nmol_l"].direction
    'towards normal'
    """

    profiles: tuple[DiurnalProfile, ...]
    metrics: dict[str, MetricTrend]

    @property
    def normalising(self) -> bool:
        """True when no metric moves away from normal and at least one moves towards it.

        Example
        -------
        >>> from datetime import datetime
        >>> v = [[CortisolSample(datetime(2024, 5, d, 23), x)] for d, x in [(1, 6.0), (8, 3.0)]]
        >>> cortisol_trend(v).normalising
        True
        """
        dirs = [m.direction for m in self.metrics.values()]
        return "away from normal" not in dirs and "towards normal" in dirs

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary.

        Example
        -------
        >>> from datetime import datetime
        >>> v = [[CortisolSample(datetime(2024, 5, d, 23), x)] for d, x in [(1, 6.0), (8, 3.0)]]
        >>> cortisol_trend(v).to_dict()["normalising"]
        True
        """
        return {
            "normalising": self.normalising,
            "visits": [p.to_dict() for p in self.profiles],
            "metrics": {
                k: {
                    "days": [d.isoformat() if d else None for d in m.days],
                    "values": list(m.values),
                    "distance_from_normal": list(m.distance_from_normal),
                    "change_per_week": m.change_per_week,
                    "direction": m.direction,
                    "normal": m.normal,
                    "source": m.source,
                }
                for k, m in self.metrics.items()
            },
        }


def _trend(
    metric: str,
    days: list[date],
    values: list[float | None],
    distances: list[float | None],
    normal: str,
    source: str,
    better: Literal["lower_distance", "more_negative"],
    tolerance: float,
) -> MetricTrend:
    pairs = [(d, v) for d, v in zip(days, values, strict=True) if v is not None]
    change = None
    direction = "not assessable"
    if len(pairs) >= 2:
        x = np.array([(d - pairs[0][0]).days / 7.0 for d, _ in pairs])
        y = np.array([v for _, v in pairs], dtype=float)
        if np.ptp(x) > 0:
            change = float(np.polyfit(x, y, 1)[0])
        if better == "lower_distance":
            dist = [d for d in distances if d is not None]
            if all(d == 0 for d in dist):
                direction = "normal throughout"
            elif dist[-1] < dist[0] - tolerance:
                direction = "towards normal"
            elif dist[-1] > dist[0] + tolerance:
                direction = "away from normal"
            else:
                direction = "unchanged"
        else:
            first, last = y[0], y[-1]
            if last < first - tolerance:
                direction = "towards normal"
            elif last > first + tolerance:
                direction = "away from normal"
            else:
                direction = "unchanged"
    return MetricTrend(
        metric,
        tuple(days),
        tuple(values),
        tuple(distances),
        change,
        direction,
        normal,
        source,
    )


def cortisol_trend(
    visits: Sequence[Sequence[CortisolSample] | DiurnalProfile],
    *,
    cutoff: str | LateNightCutoff = DEFAULT_LATE_NIGHT_CUTOFF,
    morning_reference: ReferenceWindow = MAYO_LCMS_REFERENCE["morning"],
    tolerance_nmol_l: float = 0.0,
    tolerance_slope: float = 0.0,
) -> CortisolTrend:
    """Trend towards normalisation across visits (one day of samples per visit).

    Normal regions: late-night value at or below the assay cut-off; morning value inside
    the morning reference range; diurnal slope steeper (more negative) is the direction
    associated with better health (Adam 2017 - no sourced normal value, so direction only).
    Direction compares the first and last visit beyond the given tolerances; the change per
    week is the least-squares slope over visits.

    Example
    -------
    >>> from datetime import datetime
    >>> visits = [[CortisolSample(datetime(2024, 5, d, 8), m),
    ...            CortisolSample(datetime(2024, 5, d, 23), n)]
    ...           for d, m, n in [(1, 9.0, 4.0), (8, 12.0, 3.5), (15, 14.0, 2.0)]]
    >>> tr = cortisol_trend(visits)
    >>> tr.metrics["slope_nmol_l_per_h"].direction, tr.normalising
    ('towards normal', True)
    """
    if isinstance(visits, (str, bytes)) or not isinstance(visits, Sequence) or len(visits) < 2:
        raise CortisolError("cortisol trend: at least 2 visits are needed")
    c = _cutoff(cutoff)
    profiles = [
        v
        if isinstance(v, DiurnalProfile)
        else diurnal_profile(v, cutoff=c, morning_reference=morning_reference)
        for v in visits
    ]
    profiles.sort(key=lambda p: _utc_naive(p.samples[0].collected_at))
    days = [p.day for p in profiles]
    if len(set(days)) != len(days):
        raise CortisolError("cortisol trend: two visits fall on the same day")

    def assessed(a: SampleAssessment | None) -> float | None:
        return a.sample.cortisol_nmol_l if a is not None and a.assessable else None

    late = [assessed(p.late_night) for p in profiles]
    late_dist = [None if v is None else max(0.0, v - c.cutoff_nmol_l) for v in late]
    morning = [assessed(p.morning) for p in profiles]
    low = morning_reference.low_nmol_l or 0.0
    high = morning_reference.high_nmol_l
    morning_dist = [None if v is None else max(0.0, low - v, v - high) for v in morning]
    slopes = [p.slope_nmol_l_per_h for p in profiles]
    ratios = [p.morning_to_late_night_ratio for p in profiles]
    metrics = {
        "late_night_nmol_l": _trend(
            "late_night_nmol_l",
            days,
            late,
            late_dist,
            f"<= {c.cutoff_nmol_l:.2f} nmol/L ({c.key})",
            c.source,
            "lower_distance",
            tolerance_nmol_l,
        ),
        "morning_nmol_l": _trend(
            "morning_nmol_l",
            days,
            morning,
            morning_dist,
            f"{low:.2f}-{high:.2f} nmol/L ({morning_reference.assay})",
            morning_reference.source,
            "lower_distance",
            tolerance_nmol_l,
        ),
        "slope_nmol_l_per_h": _trend(
            "slope_nmol_l_per_h",
            days,
            slopes,
            [None] * len(days),
            "steeper (more negative) decline across the day",
            _ADAM_2017,
            "more_negative",
            tolerance_slope,
        ),
    }
    ratio_trend = _trend(
        "morning_to_late_night_ratio",
        days,
        ratios,
        [None] * len(days),
        "no sourced normal value: reported, not judged",
        "morning / late-night value",
        "more_negative",
        0.0,
    )
    metrics["morning_to_late_night_ratio"] = MetricTrend(
        ratio_trend.metric,
        ratio_trend.days,
        ratio_trend.values,
        ratio_trend.distance_from_normal,
        ratio_trend.change_per_week,
        "reported only" if ratio_trend.direction != "not assessable" else "not assessable",
        ratio_trend.normal,
        ratio_trend.source,
    )
    return CortisolTrend(profiles=tuple(profiles), metrics=metrics)


def _utc_naive(d: datetime) -> datetime:
    return d if d.tzinfo is None else d.astimezone(UTC).replace(tzinfo=None)
