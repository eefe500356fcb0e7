"""Spec sections for trials as trials are run: observation, screening, natural course, dropout.

- ``observation: {noise: true}`` — endpoints read observed values (PHQ-9 items, integer
  NRS, assayed cortisol, day-to-day RMSSD; :mod:`hpatwin.observation`); ``false`` reads the
  model's expected values exactly as before (mechanistic studies).
- ``screening: {phq9_min: 10, nrs_min: 4}`` — inclusion on *observed* scores at a
  screening visit ``days_before_baseline`` days before the baseline visit (latent state at
  enrolment, time 0); patients outside the criteria are screen failures, not analysed.
- ``natural_course: auto`` — enrolment during a symptom exacerbation that resolves by
  itself (:mod:`hpatwin.model.natural_course`); ``auto`` is on for models that have it.
- ``dropout`` — monotone dropout (MCAR, or MAR rising with the last observed PHQ-9 or its
  lack of improvement) and intermittently missed visits.

Every bound is checked with a message naming the field and its allowed range.

Example
-------
>>> ScreeningSpec(phq9_min=10, nrs_min=4).phq9_min
10
>>> ScreeningSpec(phq9_min=30)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for ScreeningSpec
phq9_min
  Value error, 30 is outside the allowed range 0-27 (observed PHQ-9 total) [...]
...
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from hpatwin.observation import PARAMETERS as OBSERVATION_PARAMETERS
from hpatwin.observation import ObservationSettings

_RANGES: dict[str, tuple[float, float, str]] = {
    "phq9_min": (0, 27, "observed PHQ-9 total"),
    "phq9_max": (0, 27, "observed PHQ-9 total"),
    "nrs_min": (0, 10, "observed pain NRS"),
    "nrs_max": (0, 10, "observed pain NRS"),
    "days_before_baseline": (0, 365, "days"),
    "probability_per_visit": (0, 0.5, "probability of dropping out before each follow-up visit"),
    "missed_visit_probability": (0, 0.5, "probability of missing one follow-up visit"),
    "mar_odds_ratio_per_point": (1, 3, "odds ratio of dropout per PHQ-9 point"),
    "mar_reference_phq9": (
        0,
        27,
        "PHQ-9 (or change) at which the dropout probability is probability_per_visit",
    ),
}


def _in_range(value: float | None, info: ValidationInfo) -> float | None:
    if value is None:
        return None
    field = str(info.field_name)
    low, high, meaning = _RANGES[field]
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{value:g} is outside the allowed range {low:g}-{high:g} ({meaning})")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObservationSpec(_Strict):
    """Whether endpoints read observed (noisy) or expected (noiseless) values.

    ``seed`` keys the observation draws (default: the trial's top-level ``seed``);
    ``parameters`` overrides registered observation parameters (sensitivity analyses),
    each checked against its allowed range (``hpatwin params --model observation``).

    Example
    -------
    >>> ObservationSpec().noise
    True
    """

    noise: bool = True
    seed: int | None = None
    parameters: dict[str, float] = Field(default_factory=dict)

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, values: dict[str, float]) -> dict[str, float]:
        known = {p.name: p for p in OBSERVATION_PARAMETERS}
        for name, value in values.items():
            if name not in known:
                raise ValueError(
                    f"unknown observation parameter {name!r}; known: {', '.join(sorted(known))}"
                )
            known[name].check(value)  # raises naming the parameter and its allowed range
        return values

    def settings(self) -> ObservationSettings:
        """The observation settings this spec asks for (registered defaults + overrides).

        Example
        -------
        >>> ObservationSpec(parameters={"nrs_noise_sd": 0.8}).settings().value("nrs_noise_sd")
        0.8
        """
        return ObservationSettings.default(self.noise).with_values(**self.parameters)


class ScreeningSpec(_Strict):
    """Inclusion criteria on observed scores at the screening visit (inclusive bounds).

    Example
    -------
    >>> ScreeningSpec(nrs_min=4).active, ScreeningSpec().active
    (True, False)
    """

    phq9_min: int | None = None
    phq9_max: int | None = None
    nrs_min: int | None = None
    nrs_max: int | None = None
    days_before_baseline: int = 7

    _ranges = field_validator("phq9_min", "phq9_max", "nrs_min", "nrs_max", "days_before_baseline")(
        _in_range
    )

    @model_validator(mode="after")
    def _ordered(self) -> ScreeningSpec:
        for low, high in (("phq9_min", "phq9_max"), ("nrs_min", "nrs_max")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"screening.{low} ({a}) must not exceed screening.{high} ({b})")
        return self

    @property
    def active(self) -> bool:
        """Whether any criterion is set."""
        return any(
            v is not None for v in (self.phq9_min, self.phq9_max, self.nrs_min, self.nrs_max)
        )

    @property
    def needs_phq9(self) -> bool:
        """Whether a PHQ-9 criterion is set."""
        return self.phq9_min is not None or self.phq9_max is not None

    @property
    def needs_nrs(self) -> bool:
        """Whether a pain NRS criterion is set."""
        return self.nrs_min is not None or self.nrs_max is not None


class DropoutSpec(_Strict):
    """Dropout (monotone) and missed visits after the baseline visit.

    ``mcar``: each follow-up visit is the first one missed for good with probability
    ``probability_per_visit``. ``mar``: that probability's odds are multiplied by
    ``mar_odds_ratio_per_point`` for each point the predictor lies above
    ``mar_reference_phq9``; the predictor is the last observed PHQ-9 (``last_phq9``) or its
    change from baseline (``phq9_change``: lack of improvement). ``missed_visit_probability``
    adds intermittent missed follow-up visits (MCAR).

    Example
    -------
    >>> DropoutSpec(mechanism="mar", probability_per_visit=0.1).mar_predictor
    'last_phq9'
    >>> DropoutSpec(probability_per_visit=0.9)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for DropoutSpec
    probability_per_visit
      Value error, 0.9 is outside the allowed range 0-0.5 (probability of dropping out before each follow-up visit) [...]
    ...
    """

    mechanism: Literal["none", "mcar", "mar"] = "none"
    probability_per_visit: float = 0.0
    mar_predictor: Literal["last_phq9", "phq9_change"] = "last_phq9"
    mar_odds_ratio_per_point: float = 1.15
    mar_reference_phq9: float = 10.0
    missed_visit_probability: float = 0.0

    _ranges = field_validator(
        "probability_per_visit",
        "missed_visit_probability",
        "mar_odds_ratio_per_point",
        "mar_reference_phq9",
    )(_in_range)

    @property
    def active(self) -> bool:
        """Whether any visit can be missing."""
        dropping = self.mechanism != "none" and self.probability_per_visit > 0
        return dropping or self.missed_visit_probability > 0
