"""Drug catalogue: names, label maximum daily dose, oral one-compartment PK, exposure modifiers.

The catalogue lives in ``data/drugs.yaml``; every number carries its source and evidence level.
Exposure modifiers are multiplicative factors on apparent clearance (CL/F): hepatic impairment,
creatinine-clearance bands, age from 65 and from 75, and pregnancy trimester. The AUC at the
same dose relative to a typical adult is ``1 / clearance_factor``.

Example
-------
>>> from hpatwin.data.drugs import clearance_factor, exposure_ratio, resolve_drug
>>> resolve_drug("Cymbalta").key
'duloxetine'
>>> clearance_factor("duloxetine", hepatic="moderate")
0.15
>>> round(exposure_ratio("duloxetine", creatinine_clearance_ml_min=20), 2)
2.0
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hpatwin.data.evidence import Evidence
from hpatwin.data.points import _read_catalogue, _validation_text

"""The registry model name under which the PK parameters are listed."""

AGE_BANDS_YEARS = (65, 75)
"""Ages from which the catalogue's age factors apply (the older band replaces the younger)."""

MIN_ADULT_AGE_YEARS = 18.0
MAX_AGE_YEARS = 120.0
MAX_CREATININE_CLEARANCE_ML_MIN = 300.0


class DrugClass(StrEnum):
    """Pharmacological class of a catalogued drug.

    Example
    -------
    >>> DrugClass("opioid") is DrugClass.OPIOID
    True
    """

    SNRI = "SNRI"
    SSRI = "SSRI"
    OPIOID = "opioid"
    NSAID = "NSAID"


class HepaticImpairment(StrEnum):
    """Hepatic function: none, or Child-Pugh A (mild), B (moderate), C (severe).

    Example
    -------
    >>> HepaticImpairment("moderate").value
    'moderate'
    """

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class UnknownDrugError(ValueError):
    """A drug name that the catalogue does not know.

    Example
    -------
    >>> "unknown drug 'Prozac'" in str(UnknownDrugError("Prozac", "known: duloxetine"))
    True
    """

    def __init__(self, name: str, hint: str) -> None:
        super().__init__(f"unknown drug {name!r}; {hint}")
        self.name = name


def _parse_evidence(data: Any) -> Any:
    if isinstance(data, dict) and isinstance(data.get("evidence"), str):
        return {**data, "evidence": Evidence.parse(data["evidence"])}
    return data


class _Sourced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    evidence: Evidence
    rationale: str = ""

    @model_validator(mode="before")
    @classmethod
    def _evidence(cls, data: Any) -> Any:
        return _parse_evidence(data)

    @model_validator(mode="after")
    def _rationale(self) -> _Sourced:
        if self.evidence is Evidence.ASSUMPTION and not self.rationale.strip():
            raise ValueError("an assumption must state its rationale")
        return self


class SourcedValue(_Sourced):
    """A number with its source; ``per_kg`` records a label value given per kg body weight.

    Example
    -------
    >>> SourcedValue(value=12.5, source="Sharma 2000", evidence="published model").value
    12.5
    """

    value: float = Field(gt=0, allow_inf_nan=False)
    per_kg: float | None = Field(default=None, gt=0)


class ExposureModifier(_Sourced):
    """A multiplicative factor on apparent clearance, with its source.

    Example
    -------
    >>> ExposureModifier(factor=0.5, source="label", evidence="assumption",
    ...                  rationale="dose −50%").factor
    0.5
    """

    factor: float = Field(gt=0, le=10, allow_inf_nan=False)
    note: str = ""


class RenalBand(ExposureModifier):
    """A creatinine-clearance band ``[min_ml_min, max_ml_min)`` and its factor (``None`` = open).

    Example
    -------
    >>> band = RenalBand(min_ml_min=30, max_ml_min=90, factor=0.75, source="label",
    ...                  evidence="measured")
    >>> band.label, band.contains(30), band.contains(90)
    ('CrCl 30–90 mL/min', True, False)
    """

    min_ml_min: float = Field(ge=0)
    max_ml_min: float | None = None

    def contains(self, creatinine_clearance_ml_min: float) -> bool:
        """Whether a creatinine clearance falls in this band (see the class example)."""
        upper = math.inf if self.max_ml_min is None else self.max_ml_min
        return self.min_ml_min <= creatinine_clearance_ml_min < upper

    @property
    def label(self) -> str:
        """``CrCl 30–90 mL/min`` style label (see the class example)."""
        if self.max_ml_min is None:
            return f"CrCl ≥ {self.min_ml_min:g} mL/min"
        if self.min_ml_min == 0:
            return f"CrCl < {self.max_ml_min:g} mL/min"
        return f"CrCl {self.min_ml_min:g}–{self.max_ml_min:g} mL/min"


class MaxDailyDose(_Sourced):
    """Maximum total daily dose: the label's, or a plausibility ceiling where the label has none.

    Example
    -------
    >>> resolve_drug("duloxetine").max_daily_dose.description
    'label maximum'
    """

    mg_per_day: float = Field(gt=0, allow_inf_nan=False)
    kind: Literal["label", "plausibility_ceiling"]

    @property
    def description(self) -> str:
        """Words for messages: ``label maximum`` or ``plausibility ceiling (…)``.

        Example
        -------
        >>> resolve_drug("oxycodone").max_daily_dose.description
        'plausibility ceiling (the label sets no maximum)'
        """
        if self.kind == "label":
            return "label maximum"
        return "plausibility ceiling (the label sets no maximum)"


class Drug(BaseModel):
    """One catalogued drug with PK constants and exposure modifiers.

    Example
    -------
    >>> drug = resolve_drug("Effexor XR")
    >>> drug.key, drug.drug_class.value, drug.max_daily_dose.mg_per_day
    ('venlafaxine', 'SNRI', 375.0)
    >>> round(drug.apparent_clearance_l_per_h, 1)
    72.8
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    drug_class: DrugClass = Field(alias="class")
    generic_name: str
    names: tuple[str, ...] = Field(min_length=1)
    dose_basis: str
    formulation_note: str = ""
    salt_brands: tuple[str, ...] = ()
    max_daily_dose: MaxDailyDose
    tmax_h: SourcedValue
    absorption_half_life_min: SourcedValue
    elimination_half_life_h: SourcedValue
    volume_l: SourcedValue
    hepatic: dict[HepaticImpairment, ExposureModifier]
    renal: tuple[RenalBand, ...] = Field(min_length=1)
    age: dict[int, ExposureModifier]
    pregnancy: dict[int, ExposureModifier]

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if isinstance(data, dict) and "pk" in data:
            data = dict(data)
            data.update(data.pop("pk"))
            data.update(data.pop("modifiers", {}))
        return data

    @field_validator("age", "pregnancy", mode="before")
    @classmethod
    def _int_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {int(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check(self) -> Drug:
        if set(self.hepatic) != set(HepaticImpairment):
            raise ValueError("hepatic: needs factors for none, mild, moderate and severe")
        if self.hepatic[HepaticImpairment.NONE].factor != 1.0:
            raise ValueError("hepatic.none: the reference state must have factor 1")
        if set(self.age) != set(AGE_BANDS_YEARS):
            raise ValueError(f"age: needs factors for {AGE_BANDS_YEARS}")
        if set(self.pregnancy) != {1, 2, 3}:
            raise ValueError("pregnancy: needs factors for trimesters 1, 2 and 3")
        bands = sorted(self.renal, key=lambda b: b.min_ml_min)
        if bands[0].min_ml_min != 0:
            raise ValueError("renal: the first band must start at 0 mL/min")
        for lower, upper in itertools.pairwise(bands):
            if lower.max_ml_min != upper.min_ml_min:
                raise ValueError(
                    f"renal: bands must be contiguous ({lower.label} then {upper.label})"
                )
        if bands[-1].max_ml_min is not None:
            raise ValueError("renal: the last band must be open-ended (max_ml_min: null)")
        return self

    @property
    def apparent_clearance_l_per_h(self) -> float:
        """CL/F = ln2 · V/F / t½ of a typical adult (L/h).

        Example
        -------
        >>> round(resolve_drug("naproxen").apparent_clearance_l_per_h, 3)
        0.555
        """
        return math.log(2) * self.volume_l.value / self.elimination_half_life_h.value

    def renal_band(self, creatinine_clearance_ml_min: float) -> RenalBand:
        """The renal band containing a creatinine clearance.

        Example
        -------
        >>> resolve_drug("duloxetine").renal_band(20).factor
        0.5
        """
        for band in self.renal:
            if band.contains(creatinine_clearance_ml_min):
                return band
        raise ValueError(f"creatinine_clearance_ml_min: {creatinine_clearance_ml_min:g} in no band")

    def one_compartment_tmax_h(self) -> float:
        """Time of peak after one dose in the one-compartment model (h).

        Example
        -------
        >>> round(resolve_drug("duloxetine").one_compartment_tmax_h(), 1)
        6.0
        """
        ka = math.log(2) / (self.absorption_half_life_min.value / 60.0)
        ke = math.log(2) / self.elimination_half_life_h.value
        if math.isclose(ka, ke):
            return 1.0 / ke
        return math.log(ka / ke) / (ka - ke)


@dataclass(frozen=True)
class AppliedModifier:
    """One modifier applied to a patient: what it is for, its factor and provenance.

    Example
    -------
    >>> m = exposure_modifiers("escitalopram", age_years=70)[0]
    >>> m.kind, m.factor
    ('age ≥ 65 y', 0.67)
    """

    kind: str
    factor: float
    source: str
    evidence: Evidence
    rationale: str


class DrugCatalogue(Mapping[str, Drug]):
    """Drugs by key, with name/brand resolution.

    Example
    -------
    >>> catalogue = load_drug_catalogue()
    >>> sorted(catalogue)[:2]
    ['duloxetine', 'escitalopram']
    >>> catalogue.resolve("lexapro").key
    'escitalopram'
    """

    def __init__(self, drugs: list[Drug], reference_body_weight: SourcedValue) -> None:
        self._drugs = {drug.key: drug for drug in drugs}
        if len(self._drugs) != len(drugs):
            raise ValueError("a drug key is listed twice")
        self.reference_body_weight = reference_body_weight
        self._names: dict[str, str] = {}
        self._salt_brands: dict[str, str] = {}
        for drug in drugs:
            for name in (drug.key, drug.generic_name, *drug.names):
                token = _name_token(name)
                if self._names.get(token, drug.key) != drug.key:
                    raise ValueError(f"name {name!r} is used by two drugs")
                self._names[token] = drug.key
            for brand in drug.salt_brands:
                self._salt_brands[_name_token(brand)] = drug.key
            if drug.volume_l.per_kg is not None:
                expected = drug.volume_l.per_kg * reference_body_weight.value
                if not math.isclose(expected, drug.volume_l.value, rel_tol=1e-3):
                    raise ValueError(
                        f"{drug.key}.volume_l: {drug.volume_l.value:g} L disagrees with "
                        f"{drug.volume_l.per_kg:g} L/kg × {reference_body_weight.value:g} kg"
                    )

    def __getitem__(self, key: str) -> Drug:
        return self._drugs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._drugs)

    def __len__(self) -> int:
        return len(self._drugs)

    def resolve(self, name: str) -> Drug:
        """The drug for a generic or brand name (case, spaces and hyphens ignored).

        Example
        -------
        >>> load_drug_catalogue().resolve("ec-naprosyn").key
        'naproxen'
        """
        token = _name_token(name)
        if token in self._names:
            return self._drugs[self._names[token]]
        if token in self._salt_brands:
            drug = self._drugs[self._salt_brands[token]]
            raise UnknownDrugError(
                name,
                f"it is sold as a salt whose strength is not the {drug.generic_name} dose; "
                f"enter it under {drug.key!r} in {drug.dose_basis}",
            )
        known = "; ".join(f"{d.key} ({', '.join(d.names)})" for d in self._drugs.values())
        raise UnknownDrugError(name, f"known: {known}")


def _name_token(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


class _DrugFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_body_weight_kg: SourcedValue
    classes: list[dict[str, Any]]
    drugs: list[dict[str, Any]]
    pharmacokinetics: dict[str, dict[str, Any]]


def drug_catalogue_sections(path: Path | str | None = None) -> tuple[list[Any], list[Any]]:
    """The catalogue's ``classes`` and ``drugs`` (every recognised drug) as read from the file.

    The clinic's planner validates them against its safety rules; the twin uses the modelled
    drugs of :func:`load_drug_catalogue`.

    Example
    -------
    >>> classes, drugs = drug_catalogue_sections()
    >>> any(c["id"] == "ssri" for c in classes), len(drugs) > 100
    (True, True)
    """
    parsed, _ = _drug_file(None if path is None else Path(path))
    return list(parsed.classes), list(parsed.drugs)


@cache
def _drug_file(path: Path | None) -> tuple[_DrugFile, str]:
    """The catalogue file read and validated once, with its label (the clinic's sections and
    the twin's pharmacokinetics both come from it)."""
    data, label = _read_catalogue(path, "drugs.yaml")
    try:
        return _DrugFile.model_validate(data), label
    except ValidationError as exc:
        raise ValueError(f"catalogue file {label!r}: {_validation_text(exc)}") from None


def load_drug_catalogue(path: Path | str | None = None) -> DrugCatalogue:
    """Load and validate a drug catalogue (the built-in one when ``path`` is ``None``).

    Example
    -------
    >>> len(load_drug_catalogue())
    5
    """
    return _load_drug_catalogue(None if path is None else Path(path))


@cache
def _load_drug_catalogue(path: Path | None) -> DrugCatalogue:
    parsed, label = _drug_file(path)
    where = ""
    try:
        identities = {str(entry.get("id")): entry for entry in parsed.drugs}
        drugs = []
        for key, raw in parsed.pharmacokinetics.items():
            where = f"pharmacokinetics.{key}."
            if key not in identities:
                raise ValueError(f"{where[:-1]}: no entry with this id under 'drugs'")
            # a salt sold under its own strength (naproxen sodium) is recognised by the clinic
            # but refused for dosing in the twin, where its mg are not the modelled dose
            salts = {_name_token(s) for s in raw.get("salt_brands", [])}
            brands = [n for n in identities[key].get("names", []) if _name_token(n) not in salts]
            names = [key.replace("_", " "), *brands]
            drugs.append(Drug.model_validate({**raw, "key": key, "names": names}))
        return DrugCatalogue(drugs, parsed.reference_body_weight_kg)
    except ValidationError as exc:
        raise ValueError(f"catalogue file {label!r}: {where}{_validation_text(exc)}") from None
    except ValueError as exc:
        raise ValueError(f"catalogue file {label!r}: {exc}") from None


def resolve_drug(name: str) -> Drug:
    """The built-in catalogue's drug for a generic or brand name.

    Example
    -------
    >>> resolve_drug("OxyContin").key
    'oxycodone'
    >>> resolve_drug("Prozac")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hpatwin.data.drugs.UnknownDrugError: unknown drug 'Prozac'; known: duloxetine (...
    """
    return load_drug_catalogue().resolve(name)


def _as_drug(drug: Drug | str) -> Drug:
    return drug if isinstance(drug, Drug) else resolve_drug(drug)


def check_hepatic(hepatic: HepaticImpairment | str) -> HepaticImpairment:
    """Validate a hepatic-impairment grade.

    Example
    -------
    >>> check_hepatic("Moderate").value
    'moderate'
    """
    try:
        return HepaticImpairment(str(hepatic).strip().lower())
    except ValueError:
        allowed = ", ".join(h.value for h in HepaticImpairment)
        raise ValueError(f"hepatic: unknown grade {hepatic!r}; allowed: {allowed}") from None


def check_creatinine_clearance(value: float | None) -> float | None:
    """Validate a creatinine clearance in mL/min (``None`` = normal renal function).

    Example
    -------
    >>> check_creatinine_clearance(45)
    45.0
    """
    if value is None:
        return None
    number = float(value)
    if not (math.isfinite(number) and 0 < number <= MAX_CREATININE_CLEARANCE_ML_MIN):
        raise ValueError(
            f"creatinine_clearance_ml_min: {value!r} must be a number in "
            f"(0, {MAX_CREATININE_CLEARANCE_ML_MIN:g}] mL/min"
        )
    return number


def check_age(value: float | None) -> float | None:
    """Validate an age in years; the catalogue covers adults (≥ 18 y).

    Example
    -------
    >>> check_age(70)
    70.0
    """
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number) or number > MAX_AGE_YEARS:
        raise ValueError(f"age_years: {value!r} must be a number ≤ {MAX_AGE_YEARS:g}")
    if number < MIN_ADULT_AGE_YEARS:
        raise ValueError(
            f"age_years: {value!r} is below {MIN_ADULT_AGE_YEARS:g}; "
            "the drug catalogue's PK covers adults only"
        )
    return number


def check_trimester(value: int) -> int:
    """Validate a pregnancy trimester (0 = not pregnant).

    Example
    -------
    >>> check_trimester(2)
    2
    """
    if isinstance(value, bool) or value not in (0, 1, 2, 3):
        raise ValueError(f"pregnancy_trimester: {value!r} must be 0 (not pregnant), 1, 2 or 3")
    return int(value)


def exposure_modifiers(
    drug: Drug | str,
    *,
    hepatic: HepaticImpairment | str = HepaticImpairment.NONE,
    creatinine_clearance_ml_min: float | None = None,
    age_years: float | None = None,
    pregnancy_trimester: int = 0,
) -> list[AppliedModifier]:
    """The modifiers that apply to a patient, each with its factor and provenance.

    Factors equal to the reference (no impairment, normal renal function, under 65, not
    pregnant) are left out. ``creatinine_clearance_ml_min=None`` means normal renal function.

    Example
    -------
    >>> [(m.kind, m.factor) for m in exposure_modifiers("venlafaxine", hepatic="mild",
    ...                                                  creatinine_clearance_ml_min=45)]
    [('hepatic mild', 0.5), ('renal CrCl 30–90 mL/min', 0.75)]
    """
    chosen = _as_drug(drug)
    grade = check_hepatic(hepatic)
    crcl = check_creatinine_clearance(creatinine_clearance_ml_min)
    age = check_age(age_years)
    trimester = check_trimester(pregnancy_trimester)
    applied: list[tuple[str, ExposureModifier]] = []
    if grade is not HepaticImpairment.NONE:
        applied.append((f"hepatic {grade.value}", chosen.hepatic[grade]))
    if crcl is not None:
        band = chosen.renal_band(crcl)
        applied.append((f"renal {band.label}", band))
    if age is not None:
        bands = [b for b in AGE_BANDS_YEARS if age >= b]
        if bands:
            applied.append((f"age ≥ {bands[-1]} y", chosen.age[bands[-1]]))
    if trimester:
        applied.append((f"pregnancy trimester {trimester}", chosen.pregnancy[trimester]))
    return [
        AppliedModifier(kind, m.factor, m.source, m.evidence, m.rationale) for kind, m in applied
    ]


def clearance_factor(
    drug: Drug | str,
    *,
    hepatic: HepaticImpairment | str = HepaticImpairment.NONE,
    creatinine_clearance_ml_min: float | None = None,
    age_years: float | None = None,
    pregnancy_trimester: int = 0,
) -> float:
    """Multiplicative factor on apparent clearance for a patient (1 = typical adult).

    The factors of hepatic, renal, age and pregnancy modifiers multiply (independence
    assumption: no study combines them).

    Example
    -------
    >>> clearance_factor("Cymbalta", creatinine_clearance_ml_min=20, age_years=70)
    0.4
    >>> clearance_factor("naproxen")
    1.0
    """
    factor = 1.0
    for modifier in exposure_modifiers(
        drug,
        hepatic=hepatic,
        creatinine_clearance_ml_min=creatinine_clearance_ml_min,
        age_years=age_years,
        pregnancy_trimester=pregnancy_trimester,
    ):
        factor *= modifier.factor
    return factor


def exposure_ratio(
    drug: Drug | str,
    *,
    hepatic: HepaticImpairment | str = HepaticImpairment.NONE,
    creatinine_clearance_ml_min: float | None = None,
    age_years: float | None = None,
    pregnancy_trimester: int = 0,
) -> float:
    """AUC relative to a typical adult at the same dose: ``1 / clearance_factor``.

    Example
    -------
    >>> round(exposure_ratio("duloxetine", hepatic="moderate"), 2)
    6.67
    """
    return 1.0 / clearance_factor(
        drug,
        hepatic=hepatic,
        creatinine_clearance_ml_min=creatinine_clearance_ml_min,
        age_years=age_years,
        pregnancy_trimester=pregnancy_trimester,
    )


CLEARANCE_FACTOR_BOUNDS = (0.05, 20.0)
"""Allowed range of the per-patient ``<drug>_clearance_factor`` parameters."""


DRUG_KEYS: tuple[str, ...] = tuple(load_drug_catalogue())
"""Keys of the catalogued drugs, in catalogue order."""
