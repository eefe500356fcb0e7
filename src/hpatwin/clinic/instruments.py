"""Validated scoring of the clinical instruments: PHQ-9, GAD-7, pain NRS, BPI, PCS and ISI.

Every instrument is described by an :class:`InstrumentSpec` (items, allowed range,
severity bands, subscales), and every number in a spec carries its source. Scoring is
strict: an item out of range, a wrong number of items, a missing item (``None``/NaN/absent)
without an explicitly chosen :class:`MissingRule`, a boolean or a text value raises an
:class:`InstrumentError` naming the instrument and the item. A score is never guessed.

Safety: PHQ-9 item 9 ("thoughts that you would be better off dead, or of hurting yourself
in some way") answered 1 or more raises an ``urgent`` :class:`Alert` whatever the total;
item 9 can never be imputed, and a negative item 9 is reported as *not* ruling out risk.

Example
-------
>>> from hpatwin.clinic.instruments import score
>>> r = score("phq9", [1, 1, 2, 1, 0, 1, 1, 0, 1])
>>> r.total, r.severity
(8.0, 'mild')
>>> [a.code for a in r.alerts if a.level == "urgent"]
['phq9_item9_positive']
>>> score("gad7", [3, 3, 3, 3, 3, 3, 3]).severity
'severe'
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # numpy loads only when arrays are scored (scoring one patient needs none)
    import numpy as np
    from numpy.typing import NDArray


__all__ = [
    "INSTRUMENTS",
    "Alert",
    "Band",
    "InstrumentError",
    "InstrumentResult",
    "InstrumentSpec",
    "ItemValueError",
    "MissingItemError",
    "MissingRule",
    "ResponseCountError",
    "UnknownInstrumentError",
    "get_spec",
    "instrument_names",
    "score",
    "score_bpi",
    "score_gad7",
    "score_isi",
    "score_nrs",
    "score_pcs",
    "score_phq9",
]


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------
class InstrumentError(ValueError):
    """Base class of every scoring error; the message names the instrument (and item).

    Example
    -------
    >>> issubclass(InstrumentError, ValueError)
    True
    """


class UnknownInstrumentError(InstrumentError):
    """The instrument name is not one of :func:`instrument_names`.

    Example
    -------
    >>> try:
    ...     get_spec("hads")
    ... except UnknownInstrumentError as e:
    ...     print(str(e)[:30])
    unknown instrument 'hads'; kno
    """


class ItemValueError(InstrumentError):
    """One item has an invalid value (out of range, fractional, text, boolean, infinite).

    Example
    -------
    >>> try:
    ...     score("phq9", [0, 0, 4, 0, 0, 0, 0, 0, 0])
    ... except ItemValueError as e:
    ...     print(e)
    phq9 item 3: 4 is outside the allowed range 0-3
    """

    def __init__(self, instrument: str, item: str, message: str) -> None:
        super().__init__(f"{instrument} item {item}: {message}")
        self.instrument = instrument
        self.item = item


class MissingItemError(InstrumentError):
    """An item is missing (absent, ``None`` or NaN) and no missing-data rule allows it.

    Example
    -------
    >>> try:
    ...     score("gad7", [0, 1, None, 0, 0, 0, 0])
    ... except MissingItemError as e:
    ...     print(str(e)[:44])
    gad7 item 3: missing response (None or NaN);
    """

    def __init__(self, instrument: str, item: str, message: str) -> None:
        super().__init__(f"{instrument} item {item}: {message}")
        self.instrument = instrument
        self.item = item


class ResponseCountError(InstrumentError):
    """The number of responses (or the set of keys) does not match the instrument.

    Example
    -------
    >>> try:
    ...     score("gad7", [0, 1, 2])
    ... except ResponseCountError as e:
    ...     print(e)
    gad7: expected 7 item responses, got 3
    """


# --------------------------------------------------------------------------------------
# Data structures
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Alert:
    """A message for the clinician raised by a score, with its level and citation.

    ``level`` is ``"urgent"`` (act today), ``"warning"`` or ``"info"``.

    Example
    -------
    >>> Alert("info", "demo", "a message", "a source").level
    'info'
    """

    level: str
    code: str
    message: str
    source: str

    def __post_init__(self) -> None:
        if self.level not in ("urgent", "warning", "info"):
            raise ValueError(f"alert level {self.level!r}: allowed urgent, warning, info")


@dataclass(frozen=True)
class Band:
    """A severity band: totals ``low <= total <= high`` carry ``label``.

    Bands are matched by their lower bound (a prorated total of 9.5 on the PHQ-9
    is below the cut-off 10, hence "mild").

    Example
    -------
    >>> Band(10, 14, "moderate", "Kroenke 2001").contains(12)
    True
    """

    low: float
    high: float
    label: str
    source: str

    def contains(self, total: float) -> bool:
        """Whether ``total`` lies in this band (inclusive on both ends).

        Example
        -------
        >>> Band(0, 4, "minimal", "s").contains(4.5)
        False
        """
        return self.low <= total <= self.high


@dataclass(frozen=True)
class MissingRule:
    """An explicitly chosen rule for missing items: prorate when few enough are missing.

    No rule is applied by default: a missing item raises :class:`MissingItemError`.
    With a rule, up to ``max_missing`` items (per subscale for BPI, where scores are
    means) may be missing; a sum score is prorated as ``mean(answered) * n_items``,
    a subscale likewise over its own items. Items listed in ``protected_items`` may never
    be missing (PHQ-9 item 9 is always protected: a safety item cannot be imputed).
    ``source`` must say where the rule comes from; the literature does not
    confirm any instrument's missing-data rule, so the caller chooses and cites it.

    Example
    -------
    >>> rule = MissingRule(max_missing=2, source="study protocol section 7.2")
    >>> score("gad7", [1, 1, None, 1, 1, 1, 1], missing=rule).total
    7.0
    """

    max_missing: int
    source: str
    protected_items: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.max_missing < 0:
            raise ValueError(f"missing rule max_missing: {self.max_missing} must be >= 0")
        if not self.source.strip():
            raise ValueError("missing rule: a source is required")


@dataclass(frozen=True)
class InstrumentSpec:
    """What an instrument is: items, allowed range, bands, subscales and sources.

    ``item_keys`` are the canonical keys accepted in a mapping (``"phq9_1"`` …); keys
    ``"1"``, ``"item1"``, ``"item_1"`` and ``"q1"`` are accepted too for numbered items.
    ``subscales`` maps a name to 1-based item numbers; ``subscale_kind`` says whether
    subscale scores are sums or means. ``total_kind`` says what :attr:`InstrumentResult.total` is.

    Example
    -------
    >>> spec = get_spec("pcs")
    >>> spec.n_items, spec.item_max, spec.max_total
    (13, 4, 52.0)
    """

    name: str
    title: str
    item_labels: tuple[str, ...]
    item_keys: tuple[str, ...]
    item_min: int
    item_max: int
    bands: tuple[Band, ...]
    subscales: Mapping[str, tuple[int, ...]]
    subscale_kind: Literal["sum", "mean"]
    total_kind: str
    max_total: float
    source: str
    licence_note: str = ""
    recall_period: str = ""

    @property
    def n_items(self) -> int:
        """Number of scored items.

        Example
        -------
        >>> get_spec("isi").n_items
        7
        """
        return len(self.item_labels)

    def band_for(self, total: float) -> Band | None:
        """The severity band of ``total`` (matched by lower bound), or ``None`` if no bands.

        Example
        -------
        >>> get_spec("phq9").band_for(15).label
        'moderately severe'
        """
        chosen: Band | None = None
        for band in self.bands:
            if total >= band.low:
                chosen = band
        return chosen


@dataclass(frozen=True)
class InstrumentResult:
    """The validated score of one administration of an instrument.

    ``total`` is the instrument's total (for the BPI, which has no total score, the
    pain-severity composite; see :func:`score_bpi`). ``items`` are the validated
    responses in item order (NaN where an item was missing under a :class:`MissingRule`).
    ``difficulty`` is the PHQ-9 functional-difficulty question, kept apart from the total.

    Example
    -------
    >>> r = score("pcs", [2] * 13)
    >>> r.total, r.subscales["rumination"], r.severity
    (26.0, 8.0, 'below clinical threshold')
    """

    instrument: str
    total: float
    severity: str | None
    subscales: dict[str, float]
    alerts: tuple[Alert, ...]
    items: tuple[int | float, ...]
    difficulty: int | None = None
    missing_items: tuple[int, ...] = ()
    missing_rule_source: str | None = None
    max_total: float = math.nan
    severity_source: str | None = None

    @property
    def urgent(self) -> bool:
        """Whether any alert is urgent.

        Example
        -------
        >>> score("phq9", [0] * 8 + [1]).urgent
        True
        """
        return any(a.level == "urgent" for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (NaN items become ``None``).

        Example
        -------
        >>> score("nrs", [7]).to_dict()["total"]
        7.0
        """
        return {
            "instrument": self.instrument,
            "total": self.total,
            "max_total": None if math.isnan(self.max_total) else self.max_total,
            "severity": self.severity,
            "severity_source": self.severity_source,
            "subscales": dict(self.subscales),
            "items": [None if isinstance(v, float) and math.isnan(v) else v for v in self.items],
            "difficulty": self.difficulty,
            "missing_items": list(self.missing_items),
            "missing_rule_source": self.missing_rule_source,
            "alerts": [
                {"level": a.level, "code": a.code, "message": a.message, "source": a.source}
                for a in self.alerts
            ],
        }


# --------------------------------------------------------------------------------------
# Instrument definitions (every number with its source)
# --------------------------------------------------------------------------------------
_KROENKE_2001 = (
    "Kroenke, Spitzer, Williams. The PHQ-9. J Gen Intern Med 2001;16:606-613 "
    "(cut points 5/10/15/20)"
)
_SPITZER_2006 = (
    "Spitzer, Kroenke, Williams, Löwe. A brief measure for assessing generalized anxiety "
    "disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097 (cut points 5/10/15)"
)
_MORIN_2011 = (
    "Morin et al. The Insomnia Severity Index. Sleep 2011;34:601-608 "
    "(0-7 none, 8-14 subthreshold, 15-21 moderate, 22-28 severe)"
)
_SULLIVAN_1995 = (
    "Sullivan, Bishop, Pivik. The Pain Catastrophizing Scale. Psychol Assess 1995;7:524-532; "
    "subscales and total >= 30 clinically relevant per SRALab Rehabilitation Measures "
    "Database (citing the PCS manual)"
)
_BPI_SOURCE = (
    "Cleeland, Brief Pain Inventory - Short Form; NINDS Common Data Elements: 'the BPI has "
    "no scoring algorithm'; severity = mean of worst/least/average/now, interference = mean "
    "of 7 items (common practice)"
)
_BPI_WORST_BANDS_SOURCE = (
    "BPI worst pain 1-4 mild, 5-6 moderate, 7-10 severe: secondary source only ([C2] in "
    "a secondary summary; Serlin et al., Pain 1995;61:277 as usually "
    "cited) - check the primary before clinical use"
)
#: 0-10 pain intensity bands (BPI worst pain; the same cut points serve the pain NRS)
_PAIN_INTENSITY_BANDS = (
    Band(0, 0, "no pain", _BPI_WORST_BANDS_SOURCE),
    Band(1, 4, "mild", _BPI_WORST_BANDS_SOURCE),
    Band(5, 6, "moderate", _BPI_WORST_BANDS_SOURCE),
    Band(7, 10, "severe", _BPI_WORST_BANDS_SOURCE),
)

_NRS_SOURCE = (
    "11-point pain intensity numeric rating scale, 0 = no pain, 10 = worst imaginable "
    "(IMMPACT, Dworkin et al., J Pain 2008;9:105-121)"
)
_ITEM9_SOURCE = (
    "MII IG PRO PHQ-9 (any positive item 9 needs immediate clinical evaluation regardless of "
    "total); Simon et al., Psychiatr Serv 2013 (item 9 predicts suicide attempt/death after "
    "adjustment for total)"
)
_ITEM9_NEGATIVE_SOURCE = (
    "Louzon et al., Psychiatr Serv 2016 (71.6% of suicides had answered item 9 'not at "
    "all'); medical inpatients PMC8258235 (62.9% at risk did not endorse item 9)"
)

_FREQ_ANCHORS = ("not at all", "several days", "more than half the days", "nearly every day")


def _numbered_keys(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}_{i}" for i in range(1, n + 1))


_PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself",
    "Trouble concentrating on things",
    "Moving or speaking slowly, or being fidgety or restless",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
)
_GAD7_ITEMS = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)
_ISI_ITEMS = (
    "Difficulty falling asleep",
    "Difficulty staying asleep",
    "Problems waking up too early",
    "Satisfaction with current sleep pattern",
    "Noticeability of sleep problem to others",
    "Worry or distress about current sleep problem",
    "Interference of sleep problem with daily functioning",
)
_PCS_ITEMS = tuple(f"PCS item {i}" for i in range(1, 14))  # item wording is copyrighted
_BPI_KEYS = (
    "worst",
    "least",
    "average",
    "now",
    "general_activity",
    "mood",
    "walking",
    "normal_work",
    "relations",
    "sleep",
    "enjoyment",
)
_BPI_ITEMS = (
    "Worst pain in the last 24 hours",
    "Least pain in the last 24 hours",
    "Pain on average",
    "Pain right now",
    "Interference: general activity",
    "Interference: mood",
    "Interference: walking ability",
    "Interference: normal work",
    "Interference: relations with other people",
    "Interference: sleep",
    "Interference: enjoyment of life",
)

INSTRUMENTS: Mapping[str, InstrumentSpec] = {
    "phq9": InstrumentSpec(
        name="phq9",
        title="Patient Health Questionnaire-9",
        item_labels=_PHQ9_ITEMS,
        item_keys=_numbered_keys("phq9", 9),
        item_min=0,
        item_max=3,
        bands=(
            Band(0, 4, "minimal", _KROENKE_2001),
            Band(5, 9, "mild", _KROENKE_2001),
            Band(10, 14, "moderate", _KROENKE_2001),
            Band(15, 19, "moderately severe", _KROENKE_2001),
            Band(20, 27, "severe", _KROENKE_2001),
        ),
        subscales={},
        subscale_kind="sum",
        total_kind="sum of 9 items (0-27); difficulty question not included",
        max_total=27.0,
        source=_KROENKE_2001,
        licence_note="No permission required to reproduce (Pfizer; US Core copyright note).",
        recall_period="last 2 weeks",
    ),
    "gad7": InstrumentSpec(
        name="gad7",
        title="Generalized Anxiety Disorder-7",
        item_labels=_GAD7_ITEMS,
        item_keys=_numbered_keys("gad7", 7),
        item_min=0,
        item_max=3,
        bands=(
            Band(0, 4, "minimal", _SPITZER_2006),
            Band(5, 9, "mild", _SPITZER_2006),
            Band(10, 14, "moderate", _SPITZER_2006),
            Band(15, 21, "severe", _SPITZER_2006),
        ),
        subscales={},
        subscale_kind="sum",
        total_kind="sum of 7 items (0-21)",
        max_total=21.0,
        source=_SPITZER_2006,
        recall_period="last 2 weeks",
    ),
    "nrs": InstrumentSpec(
        name="nrs",
        title="Pain intensity numeric rating scale (0-10)",
        item_labels=("Pain intensity",),
        item_keys=("nrs",),
        item_min=0,
        item_max=10,
        # the BPI's worst-pain cut points, applied to the same 0-10 rating (Serlin 1995)
        bands=_PAIN_INTENSITY_BANDS,
        subscales={},
        subscale_kind="sum",
        total_kind="the single 0-10 rating",
        max_total=10.0,
        source=_NRS_SOURCE,
    ),
    "bpi": InstrumentSpec(
        name="bpi",
        title="Brief Pain Inventory - Short Form (scoring only)",
        item_labels=_BPI_ITEMS,
        item_keys=_BPI_KEYS,
        item_min=0,
        item_max=10,
        bands=_PAIN_INTENSITY_BANDS,
        subscales={"severity": (1, 2, 3, 4), "interference": (5, 6, 7, 8, 9, 10, 11)},
        subscale_kind="mean",
        total_kind="pain severity composite = mean of the 4 severity items (BPI has no total)",
        max_total=10.0,
        source=_BPI_SOURCE,
        licence_note="BPI use requires permission from Dr Cleeland / MD Anderson (NINDS CDE).",
        recall_period="last 24 hours",
    ),
    "pcs": InstrumentSpec(
        name="pcs",
        title="Pain Catastrophizing Scale",
        item_labels=_PCS_ITEMS,
        item_keys=_numbered_keys("pcs", 13),
        item_min=0,
        item_max=4,
        bands=(
            Band(0, 29, "below clinical threshold", _SULLIVAN_1995),
            Band(30, 52, "clinically relevant", _SULLIVAN_1995),
        ),
        subscales={
            "rumination": (8, 9, 10, 11),
            "magnification": (6, 7, 13),
            "helplessness": (1, 2, 3, 4, 5, 12),
        },
        subscale_kind="sum",
        total_kind="sum of 13 items (0-52)",
        max_total=52.0,
        source=_SULLIVAN_1995,
    ),
    "isi": InstrumentSpec(
        name="isi",
        title="Insomnia Severity Index",
        item_labels=_ISI_ITEMS,
        item_keys=_numbered_keys("isi", 7),
        item_min=0,
        item_max=4,
        bands=(
            Band(0, 7, "no clinically significant insomnia", _MORIN_2011),
            Band(8, 14, "subthreshold insomnia", _MORIN_2011),
            Band(15, 21, "moderate clinical insomnia", _MORIN_2011),
            Band(22, 28, "severe clinical insomnia", _MORIN_2011),
        ),
        subscales={},
        subscale_kind="sum",
        total_kind="sum of 7 items (0-28)",
        max_total=28.0,
        source=_MORIN_2011,
        recall_period="last 2 weeks",
    ),
}

_PHQ9_DIFFICULTY_LABELS = (
    "not difficult at all",
    "somewhat difficult",
    "very difficult",
    "extremely difficult",
)


def instrument_names() -> tuple[str, ...]:
    """The instrument names accepted by :func:`score`.

    Example
    -------
    >>> instrument_names()
    ('phq9', 'gad7', 'nrs', 'bpi', 'pcs', 'isi')
    """
    return tuple(INSTRUMENTS)


def get_spec(instrument: str) -> InstrumentSpec:
    """The :class:`InstrumentSpec` of ``instrument`` (case-insensitive; ``PHQ-9`` works).

    Example
    -------
    >>> get_spec("PHQ-9").name
    'phq9'
    """
    key = _normalise_name(instrument)
    try:
        return INSTRUMENTS[key]
    except KeyError:
        known = ", ".join(INSTRUMENTS)
        raise UnknownInstrumentError(
            f"unknown instrument {instrument!r}; known instruments: {known}"
        ) from None


def _normalise_name(instrument: str) -> str:
    if not isinstance(instrument, str):
        raise UnknownInstrumentError(f"instrument name must be text, got {instrument!r}")
    return instrument.strip().lower().replace("-", "").replace("_", "").replace(" ", "")


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------
def _validate_value(spec: InstrumentSpec, item: str, value: Any) -> int | None:
    """One response as an int, ``None`` if missing; raise naming the item otherwise."""
    lo, hi = spec.item_min, spec.item_max
    allowed = f"allowed whole numbers {lo}-{hi}"
    if value is None:
        return None
    if isinstance(value, bool):
        raise ItemValueError(spec.name, item, f"{value!r} is a boolean, not a response; {allowed}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real):
        as_float = float(value)
        if math.isnan(as_float):
            return None
        if math.isinf(as_float):
            raise ItemValueError(spec.name, item, f"{as_float} is not finite; {allowed}")
        if not as_float.is_integer():
            raise ItemValueError(spec.name, item, f"{as_float} is not a whole number; {allowed}")
        number = int(as_float)
    else:
        raise ItemValueError(
            spec.name, item, f"{value!r} ({type(value).__name__}) is not a number; {allowed}"
        )
    if not lo <= number <= hi:
        raise ItemValueError(spec.name, item, f"{number} is outside the allowed range {lo}-{hi}")
    return number


_SHOWN_KEY = re.compile(r"[\w .-]{1,24}")


def _shown_key(key: str) -> str:
    """A response key for a message: shown when short and plain, else only its length (a key
    may be a line of an unrelated file and must not be echoed)."""
    return repr(key) if _SHOWN_KEY.fullmatch(key) else f"({len(key)} characters, not shown)"


def _item_name(spec: InstrumentSpec, index: int) -> str:
    """Human name of item ``index`` (0-based) used in messages."""
    if spec.name == "bpi":
        return spec.item_keys[index]
    return str(index + 1)


def _key_index(spec: InstrumentSpec) -> dict[str, int]:
    """All accepted mapping keys (lower-case) -> 0-based item index."""
    keys: dict[str, int] = {}
    for i, key in enumerate(spec.item_keys):
        keys[key.lower()] = i
        if spec.name not in ("bpi", "nrs"):
            n = i + 1
            for alias in (str(n), f"item{n}", f"item_{n}", f"q{n}", f"{spec.name}{n}"):
                keys[alias] = i
    if spec.name == "nrs":
        for alias in ("pain", "pain_nrs", "score", "value", "1", "item1", "item_1"):
            keys[alias] = 0
    return keys


def _collect(
    spec: InstrumentSpec, responses: Sequence[Any] | Mapping[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Responses in item order (raw values) plus extra recognised fields (PHQ-9 difficulty)."""
    extras: dict[str, Any] = {}
    if isinstance(responses, Mapping):
        index = _key_index(spec)
        raw: list[Any] = [None] * spec.n_items
        seen: dict[int, str] = {}
        for key, value in responses.items():
            if not isinstance(key, str):
                raise ResponseCountError(f"{spec.name}: response key {key!r} is not text")
            norm = key.strip().lower()
            if spec.name == "phq9" and norm in ("difficulty", "phq9_difficulty", "item10", "q10"):
                extras["difficulty"] = value
                continue
            if norm not in index:
                expected = ", ".join(spec.item_keys)
                raise ResponseCountError(
                    f"{spec.name}: unknown response key {_shown_key(key)}; expected keys {expected}"
                )
            i = index[norm]
            if i in seen:
                raise ResponseCountError(
                    f"{spec.name}: item {_item_name(spec, i)} given twice "
                    f"({_shown_key(seen[i])} and {_shown_key(key)})"
                )
            seen[i] = key
            raw[i] = value
        return raw, extras
    if isinstance(responses, (str, bytes)):
        raise ResponseCountError(
            f"{spec.name}: responses must be a sequence of numbers or a mapping, "
            f"got text {responses!r}"
        )
    if isinstance(responses, numbers.Number) and spec.n_items == 1:
        return [responses], extras
    try:
        raw = list(responses)
    except TypeError:
        raise ResponseCountError(
            f"{spec.name}: responses must be a sequence or a mapping, "
            f"got {type(responses).__name__}"
        ) from None
    if len(raw) != spec.n_items:
        hint = ""
        if spec.name == "phq9" and len(raw) == 10:
            hint = " (pass the difficulty question separately: score_phq9(items, difficulty=...))"
        raise ResponseCountError(
            f"{spec.name}: expected {spec.n_items} item responses, got {len(raw)}{hint}"
        )
    return raw, extras


def _validated_items(
    spec: InstrumentSpec, raw: Sequence[Any], missing: MissingRule | None
) -> tuple[list[int | None], tuple[int, ...]]:
    values = [_validate_value(spec, _item_name(spec, i), v) for i, v in enumerate(raw)]
    missing_idx = tuple(i for i, v in enumerate(values) if v is None)
    if not missing_idx:
        return values, ()
    protected = set(missing.protected_items) if missing else set()
    if spec.name == "phq9":
        protected.add(9)  # the safety item can never be imputed
    for i in missing_idx:
        name = _item_name(spec, i)
        if missing is None:
            raise MissingItemError(
                spec.name,
                name,
                "missing response (None or NaN); no missing-data rule was given, "
                "so no score is computed (pass missing=MissingRule(...) to prorate)",
            )
        if (i + 1) in protected:
            reason = (
                " (the PHQ-9 safety item on self-harm cannot be imputed: ask it)"
                if spec.name == "phq9" and i == 8
                else ""
            )
            raise MissingItemError(
                spec.name, name, f"missing response, and this item may not be missing{reason}"
            )
    if (
        missing is not None
        and spec.subscale_kind == "sum"
        and len(missing_idx) > missing.max_missing
    ):
        raise MissingItemError(
            spec.name,
            ", ".join(_item_name(spec, i) for i in missing_idx),
            f"{len(missing_idx)} missing responses; the missing-data rule allows at most "
            f"{missing.max_missing} ({missing.source})",
        )
    return values, tuple(i + 1 for i in missing_idx)


def _prorated_sum(values: Sequence[int | None], items: Sequence[int]) -> float:
    answered = [values[i - 1] for i in items if values[i - 1] is not None]
    if not answered:
        raise ValueError("no answered items")  # guarded by callers
    total = float(sum(v for v in answered if v is not None))
    if len(answered) == len(items):
        return total
    return total / len(answered) * len(items)


def _mean(values: Sequence[int | None], items: Sequence[int]) -> float:
    answered = [v for v in (values[i - 1] for i in items) if v is not None]
    return float(sum(answered)) / len(answered)


# --------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------
def score(
    instrument: str,
    responses: Sequence[Any] | Mapping[str, Any],
    *,
    missing: MissingRule | None = None,
) -> InstrumentResult:
    """Score one administration of ``instrument`` from a sequence or a mapping of responses.

    ``responses`` is a sequence in item order, or a mapping from item keys
    (``"phq9_1"``, ``"1"``, ``"item1"``, ``"q1"``; BPI: ``"worst"``, ``"least"``,
    ``"average"``, ``"now"``, ``"general_activity"``, ``"mood"``, ``"walking"``,
    ``"normal_work"``, ``"relations"``, ``"sleep"``, ``"enjoyment"``). A PHQ-9 mapping may
    also carry ``"difficulty"`` (0-3), which is kept apart from the total. Values must be
    whole numbers (ints, or floats with no fractional part); text is rejected.

    Example
    -------
    >>> score("isi", {"isi_1": 3, "isi_2": 3, "isi_3": 2, "isi_4": 3,
    ...               "isi_5": 2, "isi_6": 3, "isi_7": 2}).severity
    'moderate clinical insomnia'
    >>> score("bpi", [8, 2, 5, 5, 6, 7, 4, 6, 3, 8, 6]).subscales["interference"]
    5.714285714285714
    """
    spec = get_spec(instrument)
    raw, extras = _collect(spec, responses)
    difficulty = extras.get("difficulty")
    if spec.name == "phq9":
        return _score_phq9(spec, raw, difficulty, missing)
    values, missing_items = _validated_items(spec, raw, missing)
    if spec.name == "bpi":
        return _score_bpi(spec, values, missing_items, missing)
    return _score_sum(spec, values, missing_items, missing)


def score_totals(instrument: str, responses: Any) -> NDArray[np.float64]:
    """Totals of many complete administrations at once: one row of item responses each.

    The array form of :func:`score` for simulated answers (the observation layer scores
    thousands of virtual patients per visit): the same :class:`InstrumentSpec`, the same
    rules — every response a whole number within the item range, no missing item, the
    total the sum of the items — and the same errors. Only sum-scored instruments
    (PHQ-9, GAD-7, NRS, PCS, ISI) have a total this way; the BPI has none.

    Example
    -------
    >>> score_totals("phq9", [[1, 1, 2, 1, 0, 1, 1, 0, 1], [3] * 9]).tolist()
    [8.0, 27.0]
    >>> score_totals("nrs", [[11]])
    Traceback (most recent call last):
    ...
    hpatwin.clinic.instruments.ItemValueError: nrs item 1: 11 is outside the allowed range 0-10
    """
    import numpy as np

    spec = get_spec(instrument)
    if spec.name == "bpi":
        raise InstrumentError("bpi: the BPI has no total score; use score() per administration")
    values = np.asarray(responses)
    if values.ndim != 2 or values.shape[1] != spec.n_items:
        raise ResponseCountError(
            f"{spec.name}: expected rows of {spec.n_items} responses, got an array of shape "
            f"{values.shape}"
        )
    if values.dtype == np.bool_ or not np.issubdtype(values.dtype, np.number):
        raise ItemValueError(
            spec.name, "all", f"responses of dtype {values.dtype} are not whole numbers"
        )
    as_float = values.astype(np.float64)
    bad = ~np.isfinite(as_float) | (as_float != np.round(as_float))
    bad |= (as_float < spec.item_min) | (as_float > spec.item_max)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        # the scalar validator words the error exactly as score() would
        _validate_value(spec, _item_name(spec, column), values[row, column].item())
        raise MissingItemError(spec.name, _item_name(spec, column), "missing response")
    total: NDArray[np.float64] = as_float.sum(axis=1)
    return total


def _score_sum(
    spec: InstrumentSpec,
    values: list[int | None],
    missing_items: tuple[int, ...],
    missing: MissingRule | None,
    alerts: tuple[Alert, ...] = (),
    difficulty: int | None = None,
) -> InstrumentResult:
    all_items = tuple(range(1, spec.n_items + 1))
    total = _prorated_sum(values, all_items)
    subscales: dict[str, float] = {}
    for name, items in spec.subscales.items():
        if all(values[i - 1] is None for i in items):
            raise MissingItemError(
                spec.name,
                ", ".join(str(i) for i in items),
                f"every item of subscale {name!r} is missing; it cannot be prorated",
            )
        subscales[name] = _prorated_sum(values, items)
    band = spec.band_for(total)
    return InstrumentResult(
        instrument=spec.name,
        total=total,
        severity=band.label if band else None,
        subscales=subscales,
        alerts=alerts,
        items=tuple(math.nan if v is None else v for v in values),
        difficulty=difficulty,
        missing_items=missing_items,
        missing_rule_source=missing.source if (missing and missing_items) else None,
        max_total=spec.max_total,
        severity_source=band.source if band else None,
    )


def _score_phq9(
    spec: InstrumentSpec,
    raw: Sequence[Any],
    difficulty: Any,
    missing: MissingRule | None,
) -> InstrumentResult:
    values, missing_items = _validated_items(spec, raw, missing)
    diff: int | None = None
    if difficulty is not None and not (isinstance(difficulty, float) and math.isnan(difficulty)):
        diff_spec = InstrumentSpec(
            name="phq9",
            title="",
            item_labels=("difficulty",),
            item_keys=("difficulty",),
            item_min=0,
            item_max=3,
            bands=(),
            subscales={},
            subscale_kind="sum",
            total_kind="",
            max_total=3.0,
            source="",
        )
        diff = _validate_value(diff_spec, "difficulty", difficulty)
    item9 = values[8]
    assert item9 is not None  # item 9 is protected in _validated_items
    alerts: list[Alert] = []
    if item9 >= 1:
        alerts.append(
            Alert(
                level="urgent",
                code="phq9_item9_positive",
                message=(
                    "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
                    f"'{_FREQ_ANCHORS[item9]}' ({item9}): needs immediate clinical evaluation "
                    "and a structured suicide-risk assessment, whatever the total score."
                ),
                source=_ITEM9_SOURCE,
            )
        )
    else:
        alerts.append(
            Alert(
                level="info",
                code="phq9_item9_negative_not_safe",
                message=(
                    "PHQ-9 item 9 answered 'not at all': this does not rule out suicide risk; "
                    "use clinical judgement and a structured assessment where indicated."
                ),
                source=_ITEM9_NEGATIVE_SOURCE,
            )
        )
    return _score_sum(spec, values, missing_items, missing, tuple(alerts), diff)


def _score_bpi(
    spec: InstrumentSpec,
    values: list[int | None],
    missing_items: tuple[int, ...],
    missing: MissingRule | None,
) -> InstrumentResult:
    subscales: dict[str, float] = {}
    for name, items in spec.subscales.items():
        absent = [i for i in items if values[i - 1] is None]
        if missing is not None and len(absent) > missing.max_missing:
            raise MissingItemError(
                spec.name,
                ", ".join(spec.item_keys[i - 1] for i in absent),
                f"{len(absent)} missing responses in {name}; the missing-data rule allows at "
                f"most {missing.max_missing} per subscale ({missing.source})",
            )
        if len(absent) == len(items):
            raise MissingItemError(
                spec.name,
                ", ".join(spec.item_keys[i - 1] for i in absent),
                f"every item of {name} is missing",
            )
        subscales[name] = _mean(values, items)
    worst = values[0]
    if worst is None:
        raise MissingItemError(
            spec.name, "worst", "missing response; worst pain is needed for the severity band"
        )
    subscales["worst_pain"] = float(worst)
    band = spec.band_for(worst)
    return InstrumentResult(
        instrument=spec.name,
        total=subscales["severity"],
        severity=band.label if band else None,
        subscales=subscales,
        alerts=(),
        items=tuple(math.nan if v is None else v for v in values),
        missing_items=missing_items,
        missing_rule_source=missing.source if (missing and missing_items) else None,
        max_total=spec.max_total,
        severity_source=band.source if band else None,
    )


def score_phq9(
    items: Sequence[Any], difficulty: int | None = None, *, missing: MissingRule | None = None
) -> InstrumentResult:
    """Score the PHQ-9: total 0-27, Kroenke 2001 severity band, item-9 safety alert.

    ``difficulty`` (0 "not difficult at all" … 3 "extremely difficult") is validated and
    kept in :attr:`InstrumentResult.difficulty`, never added to the total.

    Example
    -------
    >>> r = score_phq9([3, 3, 3, 2, 2, 2, 2, 2, 0], difficulty=2)
    >>> r.total, r.severity, r.difficulty, r.urgent
    (19.0, 'moderately severe', 2, False)
    """
    spec = INSTRUMENTS["phq9"]
    raw, extras = _collect(spec, items)
    if difficulty is None:
        difficulty = extras.get("difficulty")
    return _score_phq9(spec, raw, difficulty, missing)


def score_gad7(
    items: Sequence[Any] | Mapping[str, Any], *, missing: MissingRule | None = None
) -> InstrumentResult:
    """Score the GAD-7: total 0-21, Spitzer 2006 bands 5/10/15.

    Example
    -------
    >>> score_gad7([2, 2, 1, 2, 1, 1, 1]).severity
    'moderate'
    """
    return score("gad7", items, missing=missing)


def score_nrs(value: Any) -> InstrumentResult:
    """Score a 0-10 pain numeric rating (whole numbers only; no severity bands).

    Example
    -------
    >>> score_nrs(6).total
    6.0
    """
    return score("nrs", [value])


def score_bpi(
    items: Sequence[Any] | Mapping[str, Any], *, missing: MissingRule | None = None
) -> InstrumentResult:
    """Score the BPI-SF: severity (mean of 4) and interference (mean of 7) subscales.

    The BPI has no total score (NINDS CDE); ``total`` carries the severity composite and
    ``severity`` the worst-pain category (secondary-source bands, see the band source).

    Example
    -------
    >>> r = score_bpi({"worst": 7, "least": 3, "average": 5, "now": 5,
    ...                "general_activity": 4, "mood": 4, "walking": 4, "normal_work": 4,
    ...                "relations": 4, "sleep": 4, "enjoyment": 4})
    >>> r.total, r.subscales["interference"], r.severity
    (5.0, 4.0, 'severe')
    """
    return score("bpi", items, missing=missing)


def score_pcs(
    items: Sequence[Any] | Mapping[str, Any], *, missing: MissingRule | None = None
) -> InstrumentResult:
    """Score the PCS: total 0-52 and rumination/magnification/helplessness sums.

    Example
    -------
    >>> score_pcs([3] * 13).subscales
    {'rumination': 12.0, 'magnification': 9.0, 'helplessness': 18.0}
    """
    return score("pcs", items, missing=missing)


def score_isi(
    items: Sequence[Any] | Mapping[str, Any], *, missing: MissingRule | None = None
) -> InstrumentResult:
    """Score the ISI: total 0-28 with Morin 2011 categories.

    Example
    -------
    >>> score_isi([1, 1, 1, 1, 1, 1, 1]).severity
    'no clinically significant insomnia'
    """
    return score("isi", items, missing=missing)
