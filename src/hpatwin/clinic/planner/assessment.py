"""Assessment input: validated clinical picture for the planner, and its resolution against the KB.

An :class:`Assessment` comes from YAML/JSON (:func:`load_assessment`), a mapping
(:func:`parse_assessment`) or Python objects; malformed input raises :class:`AssessmentError`
whose message names every offending field, e.g. ``age_years: -3 is outside the allowed range
0-120``. :func:`resolve_assessment` maps medications, conditions and regions onto the knowledge
base; anything it does not recognise is kept and reported, never dropped.

Example
-------
>>> a = parse_assessment({"age_years": 40, "sex": "female", "phq9_total": 12, "phq9_item9": 0,
...                       "pain_nrs": 6, "pain_duration_months": 8, "pain_regions": ["neck"]})
>>> a.phq9_score()
12
>>> try:
...     parse_assessment({"age_years": -3, "sex": "female", "phq9_total": 3, "pain_nrs": 0})
... except AssessmentError as exc:
...     print(exc.errors[0])
age_years: -3 is outside the allowed range 0-120
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from hpatwin.clinic.instruments import InstrumentError, InstrumentResult, score_phq9
from hpatwin.clinic.planner.freetext import (
    clean_text,
    parse_condition_text,
    parse_frequency,
    parse_medication_text,
)
from hpatwin.clinic.planner.knowledge import (
    KnowledgeBase,
    LiverStatus,
    format_validation_error,
)
from hpatwin.data.drugs import UnknownDrugError, load_drug_catalogue
from hpatwin.io.documents import DocumentError, read_document

__all__ = [
    "Assessment",
    "AssessmentError",
    "ClinicalPicture",
    "ConditionEntry",
    "MedicationEntry",
    "ResolvedCondition",
    "ResolvedMedication",
    "Sex",
    "load_assessment",
    "parse_assessment",
    "resolve_assessment",
]


class AssessmentError(ValueError):
    """A malformed assessment; ``errors`` holds one ``field: problem`` line per problem.

    Example
    -------
    >>> str(AssessmentError(["sex: required"]))
    'invalid assessment:\\n  - sex: required'
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__("invalid assessment:\n" + "\n".join(f"  - {e}" for e in self.errors))


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return value


def _in_range(low: float, high: float) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None and not low <= value <= high:
            raise ValueError(f"{value:g} is outside the allowed range {low:g}-{high:g}")
        return value

    return check


def _ranged(low: float, high: float) -> tuple[BeforeValidator, AfterValidator]:
    return BeforeValidator(_no_bool), AfterValidator(_in_range(low, high))


_AGE = _ranged(0, 120)
_WEEK = _ranged(1, 45)
_ITEM = _ranged(0, 3)
_PHQ9 = _ranged(0, 27)
_NRS = _ranged(0, 10)
_MONTHS = _ranged(0, 1200)
_GAD7 = _ranged(0, 21)
_PCS = _ranged(0, 52)
_ISI = _ranged(0, 28)
_CRCL = _ranged(0, 300)
_DOSE_RANGE = _ranged(0, 100_000)

AgeYears = Annotated[int, _AGE[0], _AGE[1]]
GestationalWeek = Annotated[int, _WEEK[0], _WEEK[1]]
Phq9Item = Annotated[int, _ITEM[0], _ITEM[1]]
Phq9Total = Annotated[int | float, _PHQ9[0], _PHQ9[1]]
PainNrs = Annotated[float, _NRS[0], _NRS[1]]
DurationMonths = Annotated[float, _MONTHS[0], _MONTHS[1]]
Gad7Total = Annotated[int | float, _GAD7[0], _GAD7[1]]
PcsTotal = Annotated[int | float, _PCS[0], _PCS[1]]
IsiTotal = Annotated[int | float, _ISI[0], _ISI[1]]

PAIN_INSTRUMENTS: tuple[str, ...] = ("nrs", "bpi")
"""Instrument results accepted as ``pain_nrs`` (the NRS, or the BPI pain-severity composite)."""
CreatinineClearance = Annotated[float, _CRCL[0], _CRCL[1]]
DoseMg = Annotated[float, _DOSE_RANGE[0], _DOSE_RANGE[1]]


class Sex(StrEnum):
    """Sex recorded in the assessment.

    Example
    -------
    >>> Sex("female").value
    'female'
    """

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


_UNIT_TO_MG = {"mg": 1.0, "mcg": 0.001, "µg": 0.001, "μg": 0.001, "ug": 0.001, "g": 1000.0}
_TIMES_PER_DAY = _ranged(1 / 28, 24)


class MedicationEntry(BaseModel):
    """One medication: name (generic or brand), dose, frequency; structured or free text.

    Structured: ``{"name": "duloxetine", "dose": 60, "unit": "mg", "times_per_day": 1}`` (or
    ``dose_mg``; or ``daily_dose_mg``). A plain string such as ``"duloxetine 60 mg once daily"``
    (or a ``name`` with a dose in it) goes through :func:`~hpatwin.clinic.planner.freetext.\
parse_medication_text`, which refuses ambiguous numbers, several doses and negations.

    Example
    -------
    >>> MedicationEntry.from_text("Cymbalta 60 mg twice daily").daily_dose()
    120.0
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    dose_mg: DoseMg | None = None
    frequency: str | None = Field(default=None, max_length=100)
    times_per_day: Annotated[float | None, _TIMES_PER_DAY[0], _TIMES_PER_DAY[1]] = None
    daily_dose_mg: DoseMg | None = None
    combination_strength: str | None = Field(default=None, max_length=100)
    dose_rate: str | None = Field(default=None, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _structured_or_text(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if "dose" in data or "unit" in data:
            dose, unit = data.pop("dose", None), data.pop("unit", None)
            if dose is None or unit is None:
                raise ValueError("dose and unit go together (e.g. dose: 60, unit: mg)")
            if "dose_mg" in data:
                raise ValueError("give dose + unit or dose_mg, not both")
            if not isinstance(unit, str) or unit.strip().lower() not in _UNIT_TO_MG:
                raise ValueError(f"unit: expected one of {', '.join(_UNIT_TO_MG)}")
            if isinstance(dose, bool) or not isinstance(dose, int | float):
                raise ValueError("dose: expected a number (no text, no comma)")
            data["dose_mg"] = float(dose) * _UNIT_TO_MG[unit.strip().lower()]
        name = data.get("name")
        if isinstance(name, str):
            no_dose = all(
                data.get(k) is None
                for k in ("dose_mg", "daily_dose_mg", "combination_strength", "dose_rate")
            )
            parsed = parse_medication_text(name)
            if no_dose:
                for key, value in parsed.items():
                    if key == "name" or data.get(key) is None:
                        data[key] = value
            elif parsed.keys() & {"dose_mg", "daily_dose_mg", "combination_strength"}:
                raise ValueError("the name contains a dose as well as a dose field; give one")
            else:
                data["name"] = parsed["name"]
        frequency = data.get("frequency")
        if isinstance(frequency, str) and data.get("times_per_day") is None:
            recognised, per_day = parse_frequency(clean_text(frequency))
            if recognised and per_day is not None:
                data["times_per_day"] = per_day
        return data

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> MedicationEntry:
        if (
            self.daily_dose_mg is not None
            and self.dose_mg is not None
            and self.times_per_day is not None
            and abs(self.dose_mg * self.times_per_day - self.daily_dose_mg)
            > 1e-6 * self.daily_dose_mg
        ):
            raise ValueError(
                f"daily_dose_mg {self.daily_dose_mg:g} does not match dose_mg x times_per_day "
                f"({self.dose_mg * self.times_per_day:g})"
            )
        return self

    @classmethod
    def from_text(cls, text: str) -> MedicationEntry:
        """Parse ``"<name> [<dose> mg|mcg|g] [frequency]"`` (see :mod:`.freetext`).

        Example
        -------
        >>> MedicationEntry.from_text("fentanyl 25 mcg/h patch").dose_rate
        '25 mcg/h'
        """
        return cls.model_validate({"name": text})

    def daily_dose(self) -> float | None:
        """Total mg per day when known (``daily_dose_mg``, or dose x times per day).

        Example
        -------
        >>> MedicationEntry(name="x", dose_mg=50, times_per_day=3).daily_dose()
        150.0
        """
        if self.daily_dose_mg is not None:
            return float(self.daily_dose_mg)
        if self.dose_mg is not None and self.times_per_day is not None:
            return float(self.dose_mg * self.times_per_day)
        return None

    def display(self) -> str:
        """Name with dose.

        Example
        -------
        >>> MedicationEntry(name="duloxetine", dose_mg=60).display()
        'duloxetine 60 mg'
        """
        if self.dose_mg is not None:
            return f"{self.name} {self.dose_mg:g} mg"
        if self.daily_dose_mg is not None:
            return f"{self.name} {self.daily_dose_mg:g} mg/day"
        if self.combination_strength is not None:
            return f"{self.name} {self.combination_strength}"
        if self.dose_rate is not None:
            return f"{self.name} {self.dose_rate}"
        return self.name


class ConditionEntry(BaseModel):
    """One condition: name (or a KB ``code``), optional site (``region``) and control status.

    Structured: ``{"code": "epilepsy", "controlled": false}`` (``code`` is a KB condition
    category). Free text goes through :func:`~hpatwin.clinic.planner.freetext.\
parse_condition_text`: words such as "uncontrolled" or "well controlled" set ``controlled``;
    negations ("no pacemaker") and doubt ("?epilepsy") are refused.

    Example
    -------
    >>> ConditionEntry.from_text("epilepsy, not well controlled").controlled
    False
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    controlled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _infer_control(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if data.get("name") is None and isinstance(data.get("code"), str):
            data["name"] = data["code"].replace("_", " ")
            return data
        name = data.get("name")
        if isinstance(name, str):
            parsed = parse_condition_text(name)
            data["name"] = parsed["name"]
            if "controlled" in parsed:
                if (
                    data.get("controlled") is not None
                    and data["controlled"] != parsed["controlled"]
                ):
                    raise ValueError(
                        f"controlled: {data['controlled']} contradicts the name's wording"
                    )
                data["controlled"] = parsed["controlled"]
        return data

    @classmethod
    def from_text(cls, text: str) -> ConditionEntry:
        """A condition from free text.

        Example
        -------
        >>> ConditionEntry.from_text("epilepsy, well controlled").controlled
        True
        """
        return cls.model_validate({"name": text})


class Assessment(BaseModel):
    """The planner's input: scores, pain, demographics, pregnancy, conditions, medicines, organs.

    PHQ-9 is given as ``phq9_items`` (nine responses 0-3, scored by
    :func:`hpatwin.clinic.instruments.score_phq9`; item 9 taken from them) or as ``phq9_total``
    with ``phq9_item9``. In Python, :class:`~hpatwin.clinic.instruments.InstrumentResult`
    objects may be passed as ``phq9``, ``gad7``, ``pcs``, ``isi`` and ``pain_nrs`` (NRS or BPI).
    ``pain_duration_months`` is required when ``pain_nrs`` is above 0; ``gestational_week`` is
    required when ``pregnant`` is true. Unknown fields are rejected.

    Example
    -------
    >>> a = Assessment(age_years=30, sex="female", phq9_items=[1, 1, 1, 1, 1, 1, 0, 0, 1],
    ...                pain_nrs=0)
    >>> (a.phq9_score(), a.phq9_item9_response())
    (7, 1)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    patient_label: str | None = Field(default=None, max_length=100)
    assessed_on: date | None = None
    age_years: AgeYears
    sex: Sex
    pregnant: bool = False
    gestational_week: GestationalWeek | None = None
    lactating: bool = False
    phq9_items: tuple[Phq9Item, ...] | None = None
    phq9_total: Phq9Total | None = None
    phq9_item9: Phq9Item | None = None
    pain_nrs: PainNrs
    pain_regions: tuple[str, ...] = ()
    pain_duration_months: DurationMonths | None = None
    gad7_total: Gad7Total | None = None
    pcs_total: PcsTotal | None = None
    isi_total: IsiTotal | None = None
    conditions: tuple[ConditionEntry, ...] = ()
    medications: tuple[MedicationEntry, ...] = ()
    creatinine_clearance_ml_min: CreatinineClearance | None = None
    liver_status: LiverStatus | None = None

    _phq9_result: InstrumentResult | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _accept_instruments(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        phq9 = data.pop("phq9", None)
        if isinstance(phq9, InstrumentResult):
            if phq9.instrument != "phq9":
                raise ValueError(f"phq9: got a {phq9.instrument} result, not a PHQ-9 result")
            if phq9.missing_items:  # prorated total; item 9 is never imputed
                data.setdefault("phq9_total", _as_number(phq9.total))
                data.setdefault("phq9_item9", phq9.items[8])
            else:
                data.setdefault("phq9_items", tuple(phq9.items))
        elif isinstance(phq9, Mapping):
            unknown = set(phq9) - {"items", "total", "item9"}
            if unknown:
                raise ValueError(f"phq9: unknown key(s) {sorted(unknown)}; use items, total, item9")
            for key, target in (
                ("items", "phq9_items"),
                ("total", "phq9_total"),
                ("item9", "phq9_item9"),
            ):
                if key in phq9:
                    data.setdefault(target, phq9[key])
        elif phq9 is not None:
            raise ValueError("phq9: expected an InstrumentResult or a mapping")
        for key in ("gad7", "pcs", "isi"):
            value = data.pop(key, None)
            if value is None:
                continue
            if not isinstance(value, InstrumentResult):
                raise ValueError(
                    f"{key}: expected an InstrumentResult; use {key}_total for numbers"
                )
            if value.instrument != key:
                raise ValueError(f"{key}: got a {value.instrument} result")
            data.setdefault(f"{key}_total", _as_number(value.total))
        pain = data.get("pain_nrs")
        if isinstance(pain, InstrumentResult):
            if pain.instrument not in PAIN_INSTRUMENTS:
                raise ValueError(
                    f"pain_nrs: got a {pain.instrument} result; expected one of "
                    f"{', '.join(PAIN_INSTRUMENTS)}"
                )
            data["pain_nrs"] = pain.total
        return data

    @field_validator("phq9_total", "gad7_total", "pcs_total", "isi_total", mode="before")
    @classmethod
    def _integral_total(cls, value: Any) -> Any:
        return _as_number(value) if isinstance(value, float) else value

    @field_validator("phq9_items", mode="after")
    @classmethod
    def _nine_items(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and len(value) != 9:
            raise ValueError(f"expected 9 item responses, got {len(value)}")
        return value

    @field_validator("pain_regions", mode="before")
    @classmethod
    def _regions_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value

    @field_validator("medications", mode="before")
    @classmethod
    def _parse_medications(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
            raise ValueError("expected a list of medications")
        parsed: list[Any] = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                if not item.strip():
                    raise ValueError(f"[{index}] is blank")
                parsed.append({"name": item.strip()})
            else:
                parsed.append(item)
        return tuple(parsed)

    @field_validator("conditions", mode="before")
    @classmethod
    def _parse_conditions(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
            raise ValueError("expected a list of conditions")
        return tuple({"name": item.strip()} if isinstance(item, str) else item for item in value)

    @model_validator(mode="after")
    def _consistency(self) -> Assessment:
        problems: list[str] = []
        if self.phq9_items is None and self.phq9_total is None:
            problems.append("phq9_items: give the nine PHQ-9 responses, or phq9_total")
        if self.phq9_items is not None:
            try:
                self._phq9_result = score_phq9(self.phq9_items)
            except InstrumentError as err:
                problems.append(f"phq9_items: {err}")
            item_sum = sum(self.phq9_items)
            if self.phq9_total is not None and self.phq9_total != item_sum:
                problems.append(
                    f"phq9_total: {self.phq9_total} does not match the sum of phq9_items ({item_sum})"
                )
            if self.phq9_item9 is not None and self.phq9_item9 != self.phq9_items[8]:
                problems.append(
                    f"phq9_item9: {self.phq9_item9} does not match phq9_items[8] "
                    f"({self.phq9_items[8]})"
                )
        if (
            self.phq9_total is not None
            and self.phq9_item9 is not None
            and self.phq9_item9 > self.phq9_total
        ):
            problems.append(f"phq9_item9: {self.phq9_item9} exceeds phq9_total ({self.phq9_total})")
        if self.pain_nrs > 0 and self.pain_duration_months is None:
            problems.append("pain_duration_months: required when pain_nrs is above 0")
        if self.pregnant and self.gestational_week is None:
            problems.append("gestational_week: required when pregnant is true")
        if not self.pregnant and self.gestational_week is not None:
            problems.append("gestational_week: given but pregnant is false")
        if self.pregnant and self.sex is Sex.MALE:
            problems.append("pregnant: true is inconsistent with sex 'male'")
        if self.assessed_on is not None and self.assessed_on > date.today() + timedelta(days=1):
            problems.append(f"assessed_on: {self.assessed_on.isoformat()} is in the future")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def phq9_score(self) -> int | float:
        """PHQ-9 total (0-27): scored from the items by ``clinic.instruments`` when given.

        Example
        -------
        >>> Assessment(age_years=30, sex="male", phq9_total=11, pain_nrs=0).phq9_score()
        11
        """
        if self._phq9_result is not None:
            return _as_number(self._phq9_result.total)
        assert self.phq9_total is not None  # guaranteed by validation
        return self.phq9_total

    def phq9_result(self) -> InstrumentResult | None:
        """The :func:`~hpatwin.clinic.instruments.score_phq9` result when items were given.

        Example
        -------
        >>> Assessment(age_years=30, sex="male", phq9_items=[2] * 9,
        ...            pain_nrs=0).phq9_result().severity
        'moderately severe'
        """
        return self._phq9_result

    def phq9_item9_response(self) -> int | None:
        """Item 9 response (0-3), or ``None`` when only a total was given.

        Example
        -------
        >>> Assessment(age_years=30, sex="male", phq9_total=11, pain_nrs=0).phq9_item9_response()
        """
        if self.phq9_items is not None:
            return int(self.phq9_items[8])
        return self.phq9_item9


def _as_number(total: float) -> int | float:
    return int(total) if float(total).is_integer() else float(total)


def parse_assessment(data: Mapping[str, Any] | Assessment) -> Assessment:
    """Validate a mapping into an :class:`Assessment` (``AssessmentError`` naming each field).

    Example
    -------
    >>> parse_assessment({"age_years": 50, "sex": "male", "phq9_total": 4, "phq9_item9": 0,
    ...                   "pain_nrs": 0}).age_years
    50
    """
    if isinstance(data, Assessment):
        return data
    if not isinstance(data, Mapping):
        raise AssessmentError([f"assessment: expected a mapping, got {type(data).__name__}"])
    try:
        return Assessment.model_validate(dict(data))
    except ValidationError as exc:
        lines: list[str] = []
        for line in format_validation_error(exc):
            lines.extend(part for part in line.split("\n") if part)
        raise AssessmentError(lines) from None


def load_assessment(path: str | Path) -> Assessment:
    """Read an assessment from a YAML (``.yaml``/``.yml``) or JSON file.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.yaml"
    >>> _ = p.write_text("age_years: 30\\nsex: female\\nphq9_total: 6\\nphq9_item9: 0\\npain_nrs: 0\\n")
    >>> load_assessment(p).phq9_score()
    6
    """
    path = Path(path)
    try:
        data = read_document(path, require_mapping=False)
    except DocumentError as exc:
        raise AssessmentError([f"file: {path.name}: {exc.detail}"]) from None
    return parse_assessment(data)


# --------------------------------------------------------------------------------------------
# Resolution against the knowledge base


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'").replace(".", "")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class _NameIndex:
    pattern: re.Pattern[str] | None
    lookup: dict[str, str]

    @classmethod
    def build(cls, entries: Iterable[tuple[str, Iterable[str]]]) -> _NameIndex:
        lookup: dict[str, str] = {}
        for entry_id, names in entries:
            for name in names:
                key = _normalise(name)
                if key:
                    lookup.setdefault(key, entry_id)
        if not lookup:
            return cls(None, lookup)
        alternatives = sorted(lookup, key=len, reverse=True)
        body = "|".join(re.escape(name) for name in alternatives)
        return cls(re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])"), lookup)

    def find(self, text: str) -> list[tuple[str, str]]:
        """``(matched name, id)`` for each non-overlapping match, leftmost-longest."""
        if self.pattern is None:
            return []
        return [
            (m.group(0), self.lookup[m.group(0)]) for m in self.pattern.finditer(_normalise(text))
        ]

    def suggest(self, text: str) -> str | None:
        words = _normalise(text).split()
        if not words:
            return None
        close = difflib.get_close_matches(words[0], list(self.lookup), n=1, cutoff=0.8)
        return close[0] if close else None


@dataclass(frozen=True)
class _Indexes:
    drugs: _NameIndex
    conditions: _NameIndex
    regions: _NameIndex


_INDEX_CACHE: dict[str, _Indexes] = {}


def _indexes(kb: KnowledgeBase) -> _Indexes:
    cached = _INDEX_CACHE.get(kb.sha256)
    if cached is not None:
        return cached
    built = _Indexes(
        drugs=_NameIndex.build((d.id, d.all_names()) for d in kb.drugs.values()),
        conditions=_NameIndex.build((c.id, c.all_names()) for c in kb.conditions.values()),
        regions=_NameIndex.build((r.id, r.all_names()) for r in kb.regions.values()),
    )
    _INDEX_CACHE[kb.sha256] = built
    return built


@dataclass(frozen=True)
class ResolvedMedication:
    """A medication entry mapped to KB drugs (several for a combination product).

    Example
    -------
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> kb = load_knowledge_base()
    >>> a = parse_assessment({"age_years": 40, "sex": "male", "phq9_total": 3, "phq9_item9": 0,
    ...                       "pain_nrs": 0, "medications": ["Cymbalta 60 mg"]})
    >>> resolve_assessment(a, kb).medications[0].drug_ids
    ('duloxetine',)
    """

    entry: MedicationEntry
    drug_ids: tuple[str, ...]
    classes: frozenset[str]
    notes: tuple[str, ...] = ()
    label_max_mg: tuple[tuple[str, float], ...] = ()
    """``(drug id, label maximum mg/day)`` for the matched drugs that have one."""

    @property
    def recognised(self) -> bool:
        """True when at least one KB drug matched.

        Example
        -------
        >>> ResolvedMedication(MedicationEntry(name="x"), (), frozenset()).recognised
        False
        """
        return bool(self.drug_ids)

    def display(self) -> str:
        """The entry as entered, with its dose.

        Example
        -------
        >>> ResolvedMedication(MedicationEntry(name="x", dose_mg=5), (), frozenset()).display()
        'x 5 mg'
        """
        return self.entry.display()


@dataclass(frozen=True)
class ResolvedCondition:
    """A condition entry mapped to a KB category, with its site and control status.

    Example
    -------
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> a = parse_assessment({"age_years": 40, "sex": "male", "phq9_total": 3, "phq9_item9": 0,
    ...                       "pain_nrs": 0, "conditions": ["pacemaker"]})
    >>> resolve_assessment(a, load_knowledge_base()).conditions[0].category
    'implanted_electrical_device'
    """

    entry: ConditionEntry
    category: str | None
    region: str | None
    controlled: Literal["yes", "no", "unknown"]

    def display(self) -> str:
        """The condition as entered, with its site when known.

        Example
        -------
        >>> ResolvedCondition(ConditionEntry(name="wound"), "skin_lesion", "knee",
        ...                   "unknown").display()
        'wound (knee)'
        """
        return self.entry.name if self.region is None else f"{self.entry.name} ({self.region})"


@dataclass(frozen=True)
class ClinicalPicture:
    """An assessment resolved against the KB: canonical drugs, conditions, regions and bands.

    Example
    -------
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> a = parse_assessment({"age_years": 40, "sex": "male", "phq9_total": 12, "phq9_item9": 0,
    ...                       "pain_nrs": 6, "pain_duration_months": 6, "pain_regions": ["lumbar"]})
    >>> p = resolve_assessment(a, load_knowledge_base())
    >>> (p.phq9_severity, p.pain_band, p.pain_regions, p.pain_chronic)
    ('moderate', 'moderate', ('low_back',), True)
    """

    assessment: Assessment
    medications: tuple[ResolvedMedication, ...]
    conditions: tuple[ResolvedCondition, ...]
    pain_regions: tuple[str, ...]
    unrecognised_medications: tuple[str, ...]
    unrecognised_conditions: tuple[str, ...]
    unrecognised_regions: tuple[str, ...]
    phq9_total: int | float
    phq9_item9: int | None
    phq9_severity: str
    depression_rank: int
    pain_band: str
    pain_rank: int
    pain_chronic: bool | None

    def drugs(self) -> frozenset[str]:
        """All recognised KB drug ids.

        Example
        -------
        >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
        >>> a = parse_assessment({"age_years": 40, "sex": "male", "phq9_total": 3,
        ...     "phq9_item9": 0, "pain_nrs": 0, "medications": ["Lyrica 75 mg", "zorblax"]})
        >>> sorted(resolve_assessment(a, load_knowledge_base()).drugs())
        ['pregabalin']
        """
        return frozenset(d for m in self.medications for d in m.drug_ids)


def _resolve_region(text: str, kb: KnowledgeBase) -> list[str]:
    return list(dict.fromkeys(region_id for _, region_id in _indexes(kb).regions.find(text)))


def _expand_classes(classes: set[str], drug_ids: tuple[str, ...], kb: KnowledgeBase) -> set[str]:
    """Add the umbrella classes (``includes``/``members`` in drugs.yaml) until nothing changes."""
    expanded = set(classes)
    changed = True
    while changed:
        changed = False
        for klass in kb.drug_classes.values():
            if klass.id in expanded:
                continue
            if any(d in klass.members for d in drug_ids) or not expanded.isdisjoint(klass.includes):
                expanded.add(klass.id)
                changed = True
    return expanded


def label_maximum_mg(drug_id: str) -> float | None:
    """The label's maximum daily dose (mg) from the shared drug catalogue (:mod:`hpatwin.data`).

    ``None`` when the catalogue has no entry or only a plausibility ceiling (no label maximum).

    Example
    -------
    >>> label_maximum_mg("duloxetine"), label_maximum_mg("oxycodone"), label_maximum_mg("x")
    (120.0, None, None)
    """
    try:
        drug = load_drug_catalogue().resolve(drug_id)
    except UnknownDrugError:
        return None
    if drug.max_daily_dose.kind != "label":
        return None
    return float(drug.max_daily_dose.mg_per_day)


def _resolve_medication(entry: MedicationEntry, kb: KnowledgeBase) -> ResolvedMedication:
    matches = _indexes(kb).drugs.find(entry.name)
    drug_ids = tuple(dict.fromkeys(drug_id for _, drug_id in matches))
    classes: set[str] = set()
    notes: list[str] = []
    for drug_id in drug_ids:
        drug = kb.drugs[drug_id]
        if drug.low_dose is not None:
            if entry.dose_mg is not None and entry.dose_mg <= drug.low_dose.max_mg:
                classes.update(drug.low_dose.classes)
                notes.append(
                    f"{drug_id} {entry.dose_mg:g} mg counted as low dose "
                    f"(<= {drug.low_dose.max_mg:g} mg): {', '.join(drug.low_dose.classes)} only"
                )
                continue
            if entry.dose_mg is None:
                notes.append(f"{drug_id} dose not stated: screened as an analgesic dose")
        classes.update(drug.classes)
    classes = _expand_classes(classes, drug_ids, kb)
    maxima = tuple(
        (drug_id, maximum) for drug_id in drug_ids if (maximum := label_maximum_mg(drug_id))
    )
    return ResolvedMedication(entry, drug_ids, frozenset(classes), tuple(notes), maxima)


def _resolve_condition(
    entry: ConditionEntry, kb: KnowledgeBase, unknown_regions: list[str]
) -> ResolvedCondition:
    if entry.code is not None:
        if entry.code not in kb.conditions:
            raise AssessmentError(
                [
                    f"conditions: code {clean_text(entry.code)[:40]!r} is not a known condition; "
                    f"known: {', '.join(sorted(kb.conditions))}"
                ]
            )
        category: str | None = entry.code
    else:
        matches = _indexes(kb).conditions.find(entry.name)
        category = max(matches, key=lambda m: len(m[0]))[1] if matches else None
    region: str | None = None
    has_region = category is not None and kb.conditions[category].has_region
    if entry.region is not None:
        found = _resolve_region(entry.region, kb)
        if found:
            region = found[0]
        else:
            unknown_regions.append(entry.region)
    elif has_region:
        found = _resolve_region(entry.name, kb)
        region = found[0] if found else None
    controlled: Literal["yes", "no", "unknown"] = (
        "unknown" if entry.controlled is None else ("yes" if entry.controlled else "no")
    )
    return ResolvedCondition(entry, category, region, controlled)


def _with_suggestion(text: str, index: _NameIndex) -> str:
    suggestion = index.suggest(text)
    return f"{text} (did you mean {suggestion}?)" if suggestion else text


def resolve_assessment(assessment: Assessment, kb: KnowledgeBase) -> ClinicalPicture:
    """Map an assessment onto the KB; unrecognised items are listed, never dropped.

    Example
    -------
    >>> from hpatwin.clinic.planner.knowledge import load_knowledge_base
    >>> a = parse_assessment({"age_years": 40, "sex": "male", "phq9_total": 3, "phq9_item9": 0,
    ...                       "pain_nrs": 0, "medications": ["zorblax 5 mg"]})
    >>> resolve_assessment(a, load_knowledge_base()).unrecognised_medications
    ('zorblax 5 mg',)
    """
    indexes = _indexes(kb)
    medications = tuple(_resolve_medication(entry, kb) for entry in assessment.medications)
    unknown_regions: list[str] = []
    conditions = tuple(
        _resolve_condition(entry, kb, unknown_regions) for entry in assessment.conditions
    )
    pain_regions: list[str] = []
    for text in assessment.pain_regions:
        found = _resolve_region(text, kb)
        if found:
            pain_regions.extend(r for r in found if r not in pain_regions)
        else:
            unknown_regions.append(text)
    total = assessment.phq9_score()
    phq9_band = kb.scales["phq9"].band_for(total)
    scored = assessment.phq9_result()
    if scored is not None and scored.severity is not None:
        # the instruments module's Kroenke band; the KB scale supplies its dominance rank
        by_label = {band.label: band for band in kb.scales["phq9"].bands}
        phq9_band = by_label.get(scored.severity, phq9_band)
    pain_band = kb.scales["pain_nrs"].band_for(assessment.pain_nrs)
    chronic: bool | None = None
    if assessment.pain_duration_months is not None and pain_band.rank > 0:
        chronic = assessment.pain_duration_months >= kb.threshold("chronic_pain_min_months").value
    return ClinicalPicture(
        assessment=assessment,
        medications=medications,
        conditions=conditions,
        pain_regions=tuple(pain_regions),
        unrecognised_medications=tuple(
            _with_suggestion(m.display(), indexes.drugs) for m in medications if not m.recognised
        ),
        unrecognised_conditions=tuple(
            _with_suggestion(c.entry.name, indexes.conditions)
            for c in conditions
            if c.category is None
        ),
        unrecognised_regions=tuple(
            _with_suggestion(text, indexes.regions) for text in unknown_regions
        ),
        phq9_total=total,
        phq9_item9=assessment.phq9_item9_response(),
        phq9_severity=phq9_band.label,
        depression_rank=phq9_band.rank,
        pain_band=pain_band.label,
        pain_rank=pain_band.rank,
        pain_chronic=chronic,
    )
