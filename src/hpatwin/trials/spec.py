"""The trial specification: a YAML file validated by pydantic (unknown keys are rejected).

A spec names the model, the virtual population, the arms and their
treatments, the randomisation, the visit schedule, the endpoints and how to
run and report. :func:`load_trial_spec` checks the structure (types, ranges,
cross-references between fields); :func:`hpatwin.trials.prepare_trial` then
checks it against the model (readouts, inputs, parameters, plans) — both
before any simulation starts or any file is written.

Example
-------
>>> from hpatwin.trials.spec import TrialSpec
>>> spec = TrialSpec.model_validate({
...     "name": "demo",
...     "population": {"size": 4, "phenotypes": {"chronic_stress": 1.0}},
...     "arms": ["usual_care", {"name": "relief", "inputs": {"stress_input": 1.2}}],
...     "duration_days": 3, "visits_days": [0, 2],
...     "endpoints": ["cortisol_2300_change"],
... })
>>> [arm.name for arm in spec.arms], spec.control_arm_name()
(['usual_care', 'relief'], 'usual_care')
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from hpatwin.io.documents import DocumentError, read_document, validation_messages
from hpatwin.trials.conduct_spec import DropoutSpec, ObservationSpec, ScreeningSpec

#: arms a spec may name with a bare string
BUILTIN_ARMS: dict[str, str] = {"usual_care": "usual care: no study treatment"}

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_FRACTION_TOLERANCE = 1e-6


class TrialSpecError(ValueError):
    """A trial spec is invalid; the message names every offending field.

    Example
    -------
    >>> str(TrialSpecError(["population.size: -1 must be ≥ 1"]))
    'invalid trial spec:\\n  - population.size: -1 must be ≥ 1'
    """

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = list(problems)
        where = f" {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid trial spec{where}:\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_fractions(values: dict[str, float], what: str) -> dict[str, float]:
    for name, fraction in values.items():
        if not (math.isfinite(fraction) and 0 <= fraction <= 1):
            raise ValueError(f"{what} {name!r}: {fraction} must be a fraction in [0, 1]")
    total = sum(values.values())
    if values and abs(total - 1) > _FRACTION_TOLERANCE:
        raise ValueError(f"{what} fractions must sum to 1 (they sum to {total:g})")
    return values


# --------------------------------------------------------------------------- population
class AgeSpec(_Strict):
    """Age distribution: a normal distribution truncated to ``[min_years, max_years]``.

    Example
    -------
    >>> AgeSpec(mean_years=50, sd_years=10).max_years
    80.0
    """

    mean_years: float = Field(45.0, ge=0, le=120)
    sd_years: float = Field(12.0, ge=0, le=60)
    min_years: float = Field(18.0, ge=0, le=120)
    max_years: float = Field(80.0, ge=0, le=120)

    @model_validator(mode="after")
    def _ordered(self) -> AgeSpec:
        if self.min_years > self.max_years:
            raise ValueError(f"min_years {self.min_years:g} must be ≤ max_years {self.max_years:g}")
        if not self.min_years <= self.mean_years <= self.max_years:
            raise ValueError(
                f"mean_years {self.mean_years:g} must lie in "
                f"[min_years, max_years] = [{self.min_years:g}, {self.max_years:g}]"
            )
        return self


ImpairmentLevel = Literal["none", "mild", "moderate", "severe"]


def _unimpaired() -> dict[ImpairmentLevel, float]:
    return {"none": 1.0}


class FactorsSpec(_Strict):
    """Optional per-patient factors, stored as covariates for the treatment compiler.

    ``pregnancy_fraction`` applies to women aged 18–45; impairment mappings
    give the fraction of patients in each category (they must sum to 1);
    each co-medication is drawn independently with its prevalence.

    Example
    -------
    >>> FactorsSpec(hepatic_impairment={"none": 0.9, "moderate": 0.1}).pregnancy_fraction
    0.0
    """

    pregnancy_fraction: float = Field(0.0, ge=0, le=1)
    hepatic_impairment: dict[ImpairmentLevel, float] = Field(default_factory=_unimpaired)
    renal_impairment: dict[ImpairmentLevel, float] = Field(default_factory=_unimpaired)
    comedication: dict[str, float] = Field(default_factory=dict)

    @field_validator("hepatic_impairment", "renal_impairment")
    @classmethod
    def _categories(cls, values: dict[str, float]) -> dict[str, float]:
        if not values:
            raise ValueError("give at least one category (e.g. none: 1.0)")
        return _check_fractions(values, "category")

    @field_validator("comedication")
    @classmethod
    def _prevalences(cls, values: dict[str, float]) -> dict[str, float]:
        for name, prevalence in values.items():
            if not _IDENTIFIER.match(name):
                raise ValueError(f"co-medication name {name!r} must be an identifier")
            if not (math.isfinite(prevalence) and 0 <= prevalence <= 1):
                raise ValueError(f"co-medication {name!r}: {prevalence} must be in [0, 1]")
        return values


class InjurySpec(_Strict):
    """Chance of one injury or pain flare in a simulated year, its size and healing time.

    Drawn per patient (``param:injury_onset_day``, ``param:injury_nociception``,
    ``param:injury_healing_time_constant_days``) for models with those parameters (the
    twin): with probability ``yearly_probability`` an onset uniform over days 0-365, a size
    ``median_size · exp(size_spread · Z)`` (extra nociception at onset) and a healing time
    constant ``median_healing_days · exp(healing_spread · Z)`` (days, clipped to 1-365);
    people without an injury get an onset beyond the year and size 0.

    The defaults are assumptions: a substantial share of adults have a new musculoskeletal
    pain episode in a year; sizes are chosen so an episode is moderately painful (NRS ~3-5)
    before it heals. Healing times are lognormal around the model's 21-day time constant
    with a heavy tail: most episodes resolve within weeks, but a minority last months in
    anyone (in primary-care cohorts of acute low back pain only about a third have
    recovered by 3 months and many still report pain at 12 months: Itz et al. 2013 Eur J
    Pain 17:5, doi 10.1002/j.1532-2149.2012.00170.x), which gives non-depressed people a
    baseline risk of persistent pain. The spread (0.8) is an assumption sized on the
    calibration populations.

    Example
    -------
    >>> InjurySpec().median_healing_days
    21.0
    >>> InjurySpec(yearly_probability=1.5)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for InjurySpec
    yearly_probability
      Input should be less than or equal to 1 [...]
    ...
    """

    yearly_probability: float = Field(0.4, ge=0, le=1)
    median_size: float = Field(1.5, gt=0, le=100)
    size_spread: float = Field(0.4, ge=0, le=3)
    median_healing_days: float = Field(21.0, gt=0, le=365)
    healing_spread: float = Field(0.8, ge=0, le=3)


class PopulationSpec(_Strict):
    """The virtual population: size, phenotype mix, variability, demographics, factors.

    ``variability`` maps a model parameter to the coefficient of variation of
    a mean-preserving lognormal around the phenotype's value.
    ``assignment: random`` draws each patient's phenotype independently (so
    patient *i* does not depend on the population size); ``exact`` gives
    counts proportional to the fractions (largest remainder) in a seeded order.
    ``injury`` adds one injury or pain flare in the year (:class:`InjurySpec`; default none).

    Example
    -------
    >>> PopulationSpec(size=10, phenotypes={"healthy": 0.5, "chronic_stress": 0.5}).size
    10
    """

    size: StrictInt = Field(..., description="number of patients")
    phenotypes: dict[str, float] = Field(default_factory=lambda: {"healthy": 1.0})
    assignment: Literal["random", "exact"] = "random"
    variability: dict[str, float] = Field(default_factory=dict)
    age: AgeSpec = Field(default_factory=AgeSpec)
    female_fraction: float = Field(0.5, ge=0, le=1)
    factors: FactorsSpec = Field(default_factory=FactorsSpec)
    injury: InjurySpec | None = None
    seed: int | None = None

    @field_validator("size")
    @classmethod
    def _size(cls, size: int) -> int:
        if size < 1:
            raise ValueError(f"{size} must be ≥ 1 (number of patients)")
        if size > 10_000_000:
            raise ValueError(f"{size} exceeds the supported maximum of 10,000,000 patients")
        return size

    @field_validator("phenotypes")
    @classmethod
    def _phenotypes(cls, values: dict[str, float]) -> dict[str, float]:
        if not values:
            raise ValueError("give at least one phenotype with its fraction")
        return _check_fractions(values, "phenotype")

    @field_validator("variability")
    @classmethod
    def _variability(cls, values: dict[str, float]) -> dict[str, float]:
        for name, cv in values.items():
            if not (math.isfinite(cv) and 0 <= cv <= 3):
                raise ValueError(f"{name}: coefficient of variation {cv} must be in [0, 3]")
        return values


# --------------------------------------------------------------------------------- arms
class InputChange(_Strict):
    """An arm's change to one model input.

    Either a constant ``value`` or a ``schedule`` of ``[day, value]`` change
    points (each value holds until the next; before the first change the
    patient's own baseline value holds). ``mode: set`` uses the values as
    given; ``mode: scale`` multiplies the patient's baseline (phenotype) value.
    In YAML a bare number means ``{value: n}`` and a bare list of pairs means
    ``{schedule: [...]}``.

    Example
    -------
    >>> InputChange.model_validate([[1, 0.6]]).schedule
    ((1.0, 0.6),)
    """

    mode: Literal["set", "scale"] = "set"
    value: float | None = None
    schedule: tuple[tuple[float, float], ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"value": data}
        if isinstance(data, list | tuple):
            return {"schedule": data}
        return data

    @model_validator(mode="after")
    def _one_of(self) -> InputChange:
        if (self.value is None) == (self.schedule is None):
            raise ValueError("give exactly one of value or schedule")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"value {self.value} must be finite")
        if self.schedule is not None:
            if not self.schedule:
                raise ValueError("schedule must have at least one [day, value] change point")
            previous = -math.inf
            for index, (day, value) in enumerate(self.schedule):
                if not (math.isfinite(day) and math.isfinite(value)):
                    raise ValueError(f"schedule entry {index}: day and value must be finite")
                if day < 0 or day <= previous:
                    raise ValueError(
                        f"schedule entry {index}: day {day:g} must be ≥ 0 and increase strictly"
                    )
                previous = day
        return self


class ArmSpec(_Strict):
    """One arm: a name, an allocation ratio and a treatment.

    The treatment is given either as raw model ``inputs`` and ``parameters``
    overrides, or as ``plan`` (a plan YAML resolved by the registered plan
    resolver, see :func:`hpatwin.trials.register_plan_resolver`). An arm with
    neither is an untreated arm (the built-in ``usual_care``).

    Example
    -------
    >>> ArmSpec(name="relief", inputs={"stress_input": {"mode": "scale", "value": 0.5}}).ratio
    1
    """

    name: str
    ratio: int = Field(1, ge=1, le=100, description="allocation ratio (integer)")
    description: str = ""
    inputs: dict[str, InputChange] = Field(default_factory=dict)
    parameters: dict[str, float] = Field(default_factory=dict)
    plan: Path | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _IDENTIFIER.match(name):
            raise ValueError(
                f"{name!r} must start with a letter and use only letters, digits and _"
            )
        return name

    @field_validator("parameters")
    @classmethod
    def _finite(cls, values: dict[str, float]) -> dict[str, float]:
        for name, value in values.items():
            if not math.isfinite(value):
                raise ValueError(f"{name}: {value} must be finite")
        return values

    @model_validator(mode="after")
    def _plan_alone(self) -> ArmSpec:
        if self.plan is not None and (self.inputs or self.parameters):
            raise ValueError("give either plan or inputs/parameters, not both")
        return self

    @property
    def is_untreated(self) -> bool:
        """True when the arm changes nothing (no inputs, parameters or plan).

        Example
        -------
        >>> ArmSpec(name="usual_care").is_untreated
        True
        """
        return not self.inputs and not self.parameters and self.plan is None


class RandomisationSpec(_Strict):
    """How patients are allocated to arms (seeded, reproducible).

    ``block``: permuted blocks of ``block_size`` (a multiple of the sum of the
    ratios; default twice that sum), run separately within each stratum of
    ``stratify_by``, in patient order — arm counts stay within one block of
    the ratios. ``simple``: each patient independently, with probabilities
    proportional to the ratios. Either way a patient's arm depends only on
    the seed and on patients before it, never on chunking.

    Example
    -------
    >>> RandomisationSpec(method="simple").stratify_by
    ()
    """

    method: Literal["block", "simple"] = "block"
    block_size: int | None = Field(None, ge=1, le=10_000)
    stratify_by: tuple[Literal["phenotype", "sex"], ...] = ()
    seed: int | None = None


# ---------------------------------------------------------------------------- endpoints
class EndpointSpec(_Strict):
    """One endpoint from the catalogue, optionally configured.

    ``name`` is a catalogue id (see :mod:`hpatwin.trials.endpoints`);
    ``label`` names this configured instance (default: the id); ``at_day`` is
    the visit it is evaluated at (default: the last visit); ``threshold`` and
    ``definition`` configure binary endpoints. In YAML a bare string means
    ``{name: ...}``.

    Example
    -------
    >>> EndpointSpec.model_validate("phq9_response").key
    'phq9_response'
    """

    name: str
    label: str | None = None
    at_day: int | None = None
    threshold: float | None = None
    definition: Literal["reference_ranges", "slope_threshold"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @field_validator("label")
    @classmethod
    def _label(cls, label: str | None) -> str | None:
        if label is not None and not _IDENTIFIER.match(label):
            raise ValueError(f"{label!r} must be an identifier (letters, digits, _)")
        return label

    @property
    def key(self) -> str:
        """The label used in tables and files.

        Example
        -------
        >>> EndpointSpec(name="phq9_change", label="phq9_week4").key
        'phq9_week4'
        """
        return self.label or self.name


class ReadoutsSpec(_Strict):
    """Which model readout supplies each measured quantity.

    Example
    -------
    >>> ReadoutsSpec().phq9
    'phq9_expected'
    """

    phq9: str = "phq9_expected"
    pain_nrs: str = "pain_nrs_expected"
    salivary_cortisol: str = "salivary_cortisol_nmol_l"
    rmssd: str = "rmssd_ms"
    plasma_cortisol: str = "plasma_cortisol_nmol_l"


class SamplingSpec(_Strict):
    """Clock times of the salivary cortisol samples on a visit day (``HH:MM``).

    Example
    -------
    >>> SamplingSpec().evening_hours
    23.0
    """

    morning_clock: str = "08:00"
    evening_clock: str = "23:00"

    @field_validator("morning_clock", "evening_clock")
    @classmethod
    def _clock(cls, text: str) -> str:
        if not _CLOCK.match(text):
            raise ValueError(f"{text!r} must be a clock time HH:MM (00:00 to 23:59)")
        return text

    @model_validator(mode="after")
    def _order(self) -> SamplingSpec:
        if self.evening_hours <= self.morning_hours:
            raise ValueError(
                f"evening_clock {self.evening_clock} must be later than "
                f"morning_clock {self.morning_clock}"
            )
        return self

    @property
    def morning_hours(self) -> float:
        """Morning sample time in hours after midnight.

        Example
        -------
        >>> SamplingSpec(morning_clock="07:30").morning_hours
        7.5
        """
        return _hours(self.morning_clock)

    @property
    def evening_hours(self) -> float:
        """Evening sample time in hours after midnight.

        Example
        -------
        >>> SamplingSpec().evening_hours
        23.0
        """
        return _hours(self.evening_clock)


def _hours(clock: str) -> float:
    hours, minutes = clock.split(":")
    return int(hours) + int(minutes) / 60


class SimulationSpec(_Strict):
    """Engine settings.

    ``warmup``: ``auto`` starts HPA-core-type models from each patient's
    untreated steady state (:func:`hpatwin.engine.steady_state`) and other
    models from their default initial state; ``steady_state`` and ``none``
    force either; ``onset`` settles HPA-core-type models with the model's condition knobs
    at healthy values (its ``onset_values``; the start policy ``onset`` of
    :class:`hpatwin.simulation.Scenario`), so the run shows the condition developing.
    ``pulses``: seeded ultradian pulses keyed by patient id
    (models with an ``ultradian_pulse`` input). ``precision``: ``auto`` runs
    float32 at steps of 5 min or more (the cohort configuration) and float64
    otherwise. ``block_width``: patients per engine call (default: see
    :func:`hpatwin.trials.chunk.block_width`). ``slow_step_min``: opt-in multirate
    stepping of the model's slow states during the treatment period (an even multiple
    of the time step dividing ``output_every_min``; faster, less exact: docs/engine.md).
    ``integrator``: the JAX engine's step, ``rk4`` or ``exponential_rk4`` (each state's
    linear decay solved exactly: stable at steps RK4 cannot take, slower per step).
    ``warmup_step_min``: the untreated warm-up's step (default: the run's step, at least
    10 min in the cohort configuration; more than 10 min needs ``exponential_rk4``).

    Example
    -------
    >>> SimulationSpec().output_every_min
    60.0
    """

    time_step_min: float | None = Field(None, gt=0, le=1440)
    output_every_min: float = Field(60.0, gt=0, le=1440)
    pulses: bool = True
    warmup: Literal["auto", "steady_state", "onset", "none"] = "auto"
    seed: int | None = None
    precision: Literal["auto", "float32", "float64"] = "auto"
    block_width: int | None = Field(None, ge=1, le=65_536)
    slow_step_min: float | None = Field(None, gt=0, le=1440)
    integrator: Literal["rk4", "exponential_rk4"] = "rk4"
    warmup_step_min: float | None = Field(None, gt=0, le=1440)


class StatisticsSpec(_Strict):
    """Effect-size and confidence-interval settings.

    Example
    -------
    >>> StatisticsSpec().confidence_level
    0.95
    """

    bootstrap_samples: int = Field(2000, ge=10, le=1_000_000)
    confidence_level: float = Field(0.95, gt=0.5, lt=1)
    alpha: float = Field(0.05, gt=0, lt=0.5)
    seed: int | None = None


class OutputSpec(_Strict):
    """What to write besides the patient table.

    ``traces_per_arm`` full time courses (the first patients of each arm, by
    id) go to ``traces.nc``; ``trace_variables`` limits them to some states or
    readouts (default: every readout).

    Example
    -------
    >>> OutputSpec().traces_per_arm
    3
    """

    traces_per_arm: int = Field(3, ge=0, le=1000)
    trace_variables: tuple[str, ...] | None = None
    report: bool = True


class TrialSpec(_Strict):
    """A whole in-silico trial. See ``docs/trials.md`` for a commented example.

    Example
    -------
    >>> spec = TrialSpec.model_validate({
    ...     "name": "t", "population": {"size": 2}, "arms": ["usual_care", "usual_care"],
    ...     "duration_days": 2, "visits_days": [0, 1], "endpoints": ["cortisol_0800"]})
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TrialSpec
    arms
      Value error, arm name 'usual_care' is used twice [...]
    ...
    """

    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=10_000)
    model: str = Field("hpa_core", max_length=200)
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1)
    population: PopulationSpec
    arms: tuple[ArmSpec, ...]
    control_arm: str | None = None
    randomisation: RandomisationSpec = Field(default_factory=RandomisationSpec)
    duration_days: int = Field(..., ge=1, le=3650)
    visits_days: tuple[int, ...]
    endpoints: tuple[EndpointSpec, ...]
    primary_endpoint: str | None = None
    readouts: ReadoutsSpec = Field(default_factory=ReadoutsSpec)
    sampling: SamplingSpec = Field(default_factory=SamplingSpec)
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    statistics: StatisticsSpec = Field(default_factory=StatisticsSpec)
    chunk_size: int = Field(100, ge=1, le=1_000_000)
    output: OutputSpec = Field(default_factory=OutputSpec)
    observation: ObservationSpec = Field(default_factory=ObservationSpec)
    screening: ScreeningSpec = Field(default_factory=ScreeningSpec)
    natural_course: bool | Literal["auto"] = "auto"
    dropout: DropoutSpec = Field(default_factory=DropoutSpec)
    base_dir: Path | None = Field(
        None, description="folder that relative plan paths are resolved against"
    )

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        # the name titles reports and default output folders: never a path
        if not _SAFE_NAME.match(name) or ".." in name:
            raise ValueError(
                "must start with a letter or digit and use only letters, digits, spaces and "
                "_ - . (no path separators, no '..')"
            )
        return name

    @field_validator("arms", mode="before")
    @classmethod
    def _builtin_arms(cls, arms: Any) -> Any:
        if not isinstance(arms, list | tuple):
            return arms
        out = []
        for arm in arms:
            if isinstance(arm, str):
                if arm not in BUILTIN_ARMS:
                    raise ValueError(
                        f"unknown arm {arm!r}: built-in arms are {', '.join(BUILTIN_ARMS)}; "
                        "define others as a mapping with name and inputs/parameters/plan"
                    )
                out.append({"name": arm, "description": BUILTIN_ARMS[arm]})
            else:
                out.append(arm)
        return out

    @field_validator("arms")
    @classmethod
    def _arms(cls, arms: tuple[ArmSpec, ...]) -> tuple[ArmSpec, ...]:
        if not arms:
            raise ValueError("give at least one arm")
        seen: set[str] = set()
        for arm in arms:
            if arm.name in seen:
                raise ValueError(f"arm name {arm.name!r} is used twice")
            seen.add(arm.name)
        return arms

    @field_validator("visits_days")
    @classmethod
    def _visits(cls, visits: tuple[int, ...]) -> tuple[int, ...]:
        if len(visits) < 2:
            raise ValueError("give at least two visit days (a baseline and a follow-up)")
        if any(day < 0 for day in visits):
            raise ValueError(f"visit days {list(visits)} must be ≥ 0")
        if list(visits) != sorted(set(visits)):
            raise ValueError(f"visit days {list(visits)} must increase strictly")
        return visits

    @model_validator(mode="after")
    def _cross_references(self) -> TrialSpec:
        problems: list[str] = []
        last = self.visits_days[-1]
        if last + 1 > self.duration_days:
            problems.append(
                f"visits_days: day {last} needs the whole of day {last} "
                f"(until day {last + 1}), beyond duration_days = {self.duration_days}; "
                f"set duration_days ≥ {last + 1} or move the visit"
            )
        for arm in self.arms:
            for input_name, change in arm.inputs.items():
                for day, _ in change.schedule or ():
                    if day >= self.duration_days:
                        problems.append(
                            f"arms.{arm.name}.inputs.{input_name}: a change at day {day:g} is at "
                            f"or past the end of the trial (duration_days = "
                            f"{self.duration_days}) and would never apply"
                        )
        arm_names = [arm.name for arm in self.arms]
        if self.control_arm is not None and self.control_arm not in arm_names:
            problems.append(
                f"control_arm: unknown arm {self.control_arm!r}; arms: {', '.join(arm_names)}"
            )
        if not self.endpoints:
            problems.append("endpoints: give at least one endpoint")
        keys = [e.key for e in self.endpoints]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            problems.append(
                f"endpoints: {', '.join(duplicates)} used twice; give each a distinct label"
            )
        if self.primary_endpoint is not None and self.primary_endpoint not in keys:
            problems.append(
                f"primary_endpoint: unknown endpoint {self.primary_endpoint!r}; "
                f"endpoints: {', '.join(keys)}"
            )
        for endpoint in self.endpoints:
            if endpoint.at_day is not None and endpoint.at_day not in self.visits_days[1:]:
                problems.append(
                    f"endpoints.{endpoint.key}.at_day: {endpoint.at_day} is not a follow-up "
                    f"visit; follow-up visits: {list(self.visits_days[1:])}"
                )
        for clock in (self.sampling.morning_clock, self.sampling.evening_clock):
            minutes = _hours(clock) * 60
            steps = minutes / self.simulation.output_every_min
            if abs(steps - round(steps)) > 1e-9:
                problems.append(
                    f"sampling: {clock} is not on the output grid of "
                    f"simulation.output_every_min = {self.simulation.output_every_min:g} min"
                )
        per_day = 1440.0 / self.simulation.output_every_min
        if abs(per_day - round(per_day)) > 1e-9:
            problems.append(
                f"simulation.output_every_min: {self.simulation.output_every_min:g} must divide "
                "a day (1440 min) exactly"
            )
        block = self.randomisation.block_size
        ratio_sum = sum(arm.ratio for arm in self.arms)
        if block is not None and block % ratio_sum:
            problems.append(
                f"randomisation.block_size: {block} must be a multiple of the sum of the "
                f"allocation ratios ({ratio_sum})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ------------------------------------------------------------------ accessors
    def control_arm_name(self) -> str | None:
        """The control arm: ``control_arm``, else ``usual_care`` if present, else the first arm.

        Example
        -------
        >>> _example_spec().control_arm_name()
        'usual_care'
        """
        if self.control_arm is not None:
            return self.control_arm
        names = [arm.name for arm in self.arms]
        if "usual_care" in names:
            return "usual_care"
        return names[0] if len(names) > 1 else None

    def primary_endpoint_key(self) -> str:
        """The primary endpoint's label (``primary_endpoint``, else the first endpoint).

        Example
        -------
        >>> _example_spec().primary_endpoint_key()
        'cortisol_2300_change'
        """
        return self.primary_endpoint or self.endpoints[0].key

    def arm(self, name: str) -> ArmSpec:
        """Look up an arm by name.

        Example
        -------
        >>> _example_spec().arm("relief").inputs["stress_input"].value
        1.2
        """
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(f"arm: unknown arm {name!r}; arms: {', '.join(a.name for a in self.arms)}")

    def derived_seed(
        self,
        part: Literal["population", "randomisation", "simulation", "statistics", "observation"],
    ) -> int:
        """The seed of one part: its own ``seed`` field, else the top-level ``seed``.

        Example
        -------
        >>> _example_spec().derived_seed("population")
        0
        """
        own = {
            "population": self.population.seed,
            "randomisation": self.randomisation.seed,
            "simulation": self.simulation.seed,
            "statistics": self.statistics.seed,
            "observation": self.observation.seed,
        }[part]
        return self.seed if own is None else own

    def with_overrides(self, **changes: Any) -> TrialSpec:
        """A validated copy with top-level fields replaced (e.g. ``chunk_size``).

        Example
        -------
        >>> _example_spec().with_overrides(chunk_size=7).chunk_size
        7
        """
        data = self.model_dump()
        data.update(changes)
        return TrialSpec.model_validate(data)

    def fingerprint(self, extra: str = "") -> str:
        """SHA-256 of everything that determines per-patient results.

        Excludes what cannot change them: ``chunk_size``, ``output.report``,
        ``statistics``, ``description``, ``name`` and ``base_dir`` (so a run
        resumes with another chunk size, or from a moved folder). ``extra`` adds outside
        content (e.g. plan files) to the hash.

        Example
        -------
        >>> spec = _example_spec()
        >>> spec.fingerprint() == spec.with_overrides(chunk_size=3).fingerprint()
        True
        >>> spec.fingerprint() == spec.with_overrides(seed=1).fingerprint()
        False
        """
        data = self.model_dump(
            mode="json",
            exclude={
                "chunk_size": True,
                "statistics": True,
                "description": True,
                "name": True,
                "base_dir": True,
                "output": {"report"},
            },
        )
        text = json.dumps(data, sort_keys=True, separators=(",", ":")) + extra
        return hashlib.sha256(text.encode()).hexdigest()


format_validation_error = validation_messages
"""The one pydantic-error formatter (:func:`hpatwin.io.documents.validation_messages`)."""


def load_trial_spec(path: Path | str, **overrides: Any) -> TrialSpec:
    """Read and validate a trial spec YAML (or JSON); errors name the file and every field.

    ``overrides`` replace top-level fields (the CLI's ``--chunk-size``).
    Relative plan paths are resolved against the spec file's folder.

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.yaml"
    >>> _ = path.write_text("name: t\\npopulation: {size: -5}\\narms: [usual_care]\\n"
    ...                     "duration_days: 2\\nvisits_days: [0, 1]\\nendpoints: [cortisol_0800]\\n")
    >>> load_trial_spec(path)
    Traceback (most recent call last):
    ...
    hpatwin.trials.spec.TrialSpecError: invalid trial spec ...:
      - population.size: -5 must be ≥ 1 (number of patients)
    """
    path = Path(path)
    try:
        data = dict(read_document(path))
    except DocumentError as err:
        raise TrialSpecError([err.detail], str(path)) from None
    data.update({k: v for k, v in overrides.items() if v is not None})
    data.setdefault("base_dir", str(path.resolve().parent))
    try:
        return TrialSpec.model_validate(data)
    except ValidationError as err:
        raise TrialSpecError(format_validation_error(err), str(path)) from None


def parse_spec(data: dict[str, Any]) -> TrialSpec:
    """Validate a spec given as a mapping; raises :class:`TrialSpecError`.

    Example
    -------
    >>> parse_spec({"name": "x"})
    Traceback (most recent call last):
    ...
    hpatwin.trials.spec.TrialSpecError: invalid trial spec:
      - population: Field required
    ...
    """
    try:
        return TrialSpec.model_validate(data)
    except ValidationError as err:
        raise TrialSpecError(format_validation_error(err)) from None


def _example_spec() -> TrialSpec:
    """A small valid spec for the examples in this module."""
    return TrialSpec.model_validate(
        {
            "name": "example",
            "population": {"size": 4, "phenotypes": {"chronic_stress": 1.0}},
            "arms": ["usual_care", {"name": "relief", "inputs": {"stress_input": 1.2}}],
            "duration_days": 3,
            "visits_days": [0, 2],
            "endpoints": ["cortisol_2300_change"],
        }
    )
