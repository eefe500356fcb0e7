"""Patient factors that change drug exposure: age, sex, pregnancy, hepatic and renal function.

Example
-------
>>> from hpatwin.treatments.patient import PatientFactors
>>> patient = PatientFactors(age_years=72, sex="female", creatinine_clearance_ml_min=25)
>>> patient.clearance_factor("duloxetine")
0.4
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from hpatwin.data.drugs import (
    Drug,
    HepaticImpairment,
    check_age,
    check_creatinine_clearance,
    check_hepatic,
    check_trimester,
    clearance_factor,
)

_T = TypeVar("_T")


def _field_check(check: Callable[[Any], _T], field: str, value: Any) -> _T:
    """Run a ``check_*`` function, dropping its ``field:`` prefix (pydantic adds the location)."""
    try:
        return check(value)
    except ValueError as exc:
        raise ValueError(str(exc).removeprefix(f"{field}: ")) from None


class PatientFactors(BaseModel):
    """Per-patient covariates of the drug catalogue's exposure modifiers.

    ``creatinine_clearance_ml_min=None`` means normal renal function; ``pregnancy_trimester=0``
    means not pregnant (a trimester needs ``sex="female"``).

    Example
    -------
    >>> PatientFactors(age_years=30, sex="female", pregnancy_trimester=3).pregnancy_trimester
    3
    >>> PatientFactors(age_years=30, sex="male", pregnancy_trimester=2)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for PatientFactors
      Value error, pregnancy_trimester: 2 given for sex 'male' ...
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    age_years: float
    sex: Literal["female", "male"]
    pregnancy_trimester: int = 0
    hepatic: HepaticImpairment = HepaticImpairment.NONE
    creatinine_clearance_ml_min: float | None = None

    @field_validator("age_years", mode="before")
    @classmethod
    def _age(cls, value: Any) -> float:
        checked = _field_check(check_age, "age_years", value)
        if checked is None:
            raise ValueError("an age is required")
        return checked

    @field_validator("pregnancy_trimester", mode="before")
    @classmethod
    def _trimester(cls, value: Any) -> int:
        return _field_check(check_trimester, "pregnancy_trimester", value)

    @field_validator("hepatic", mode="before")
    @classmethod
    def _hepatic(cls, value: Any) -> HepaticImpairment:
        return _field_check(check_hepatic, "hepatic", value)

    @field_validator("creatinine_clearance_ml_min", mode="before")
    @classmethod
    def _crcl(cls, value: Any) -> float | None:
        return _field_check(check_creatinine_clearance, "creatinine_clearance_ml_min", value)

    @model_validator(mode="after")
    def _pregnancy_needs_female(self) -> PatientFactors:
        if self.pregnancy_trimester and self.sex != "female":
            raise ValueError(
                f"pregnancy_trimester: {self.pregnancy_trimester} given for sex {self.sex!r}"
            )
        return self

    def clearance_factor(self, drug: Drug | str) -> float:
        """This patient's factor on a drug's apparent clearance.

        Example
        -------
        >>> PatientFactors(age_years=40, sex="male", hepatic="moderate").clearance_factor("Lexapro")
        0.63
        """
        return clearance_factor(
            drug,
            hepatic=self.hepatic,
            creatinine_clearance_ml_min=self.creatinine_clearance_ml_min,
            age_years=self.age_years,
            pregnancy_trimester=self.pregnancy_trimester,
        )
