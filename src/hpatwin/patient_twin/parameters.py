"""The patient twin's own numbers, each a sourced :class:`~hpatwin.parameters.Parameter`.

These are the numbers the twin adds to the model and the observation layer: prior spreads
of what the population generator does not vary, and the noise of data the observation layer
does not model (within-person day-to-day cortisol left out by a deterministic latent
course; office heart rate and blood pressure). :func:`twin_registry` lists them under the
model name ``patient_twin``; ``docs/patient-twin.md`` explains each.

Example
-------
>>> value("treatment_responsiveness_spread_log")
0.4
>>> len(twin_registry().select(model="patient_twin")) == len(PARAMETERS)
True
"""

from __future__ import annotations

from hpatwin.parameters import Evidence, Parameter, ParameterRegistry

MODEL = "patient_twin"
_A = Evidence.ASSUMPTION
_MEASURED_ON_MODEL = (
    "measured on the twin's ultradian pulses: SD of ln(pulsatile / deterministic) salivary "
    "cortisol over 256 comorbid virtual patients, days 4-13 (tests/patient_twin/"
    "test_parameters.py re-measures it)"
)
ROTHWELL_2010 = (
    "Rothwell et al. 2010 Lancet 375:895 (visit-to-visit variability of systolic blood pressure)"
)


def _p(
    name: str,
    number: float,
    unit: str,
    description: str,
    source: str,
    rationale: str,
    lower: float = 0.0,
    upper: float = float("inf"),
) -> Parameter:
    return Parameter(name, number, unit, description, source, _A, MODEL, rationale, lower, upper)


PARAMETERS: tuple[Parameter, ...] = (
    _p(
        "treatment_responsiveness_spread_log",
        0.4,
        "ln(1)",
        "between-patient SD (log scale) of the multiplier on the EA, non-specific and CBT "
        "effect gains",
        "hpatwin patient twin",
        "people differ in how much a course of needling or therapy helps them; a log-SD of "
        "0.4 lets the 5-95 % range span about half to twice the average effect, wide enough "
        "for the data to decide",
    ),
    _p(
        "baseline_exacerbation_max",
        2.0,
        "1",
        "upper end of the uniform prior of the symptom exacerbation at the first visit "
        "(1 = a trial's enrolment exacerbation)",
        "hpatwin patient twin",
        "patients come to a clinic anywhere between a quiet period (0) and a flare larger than "
        "a trial's typical enrolment exacerbation; the first visits decide",
    ),
    _p(
        "resting_heart_rate_spread_bpm",
        8.0,
        "1/min",
        "between-patient SD of the resting heart rate prior",
        "hpatwin patient twin",
        "adult resting heart rates mostly lie between 55 and 90 beats/min",
    ),
    _p(
        "resting_systolic_bp_spread_mmhg",
        15.0,
        "mmHg",
        "between-patient SD of the resting systolic blood pressure prior",
        "hpatwin patient twin",
        "adult office systolic pressures mostly lie between 100 and 150 mmHg",
    ),
    _p(
        "cortisol_day_to_day_sd_log_morning",
        0.30,
        "ln(nmol/L)",
        "within-person day-to-day SD of ln salivary cortisol (04:00-17:59) around the "
        "deterministic latent course",
        "hpatwin patient twin",
        _MEASURED_ON_MODEL + "; 0.301 at 08:00",
    ),
    _p(
        "cortisol_day_to_day_sd_log_evening",
        0.21,
        "ln(nmol/L)",
        "within-person day-to-day SD of ln salivary cortisol (18:00-03:59)",
        "hpatwin patient twin",
        _MEASURED_ON_MODEL + "; 0.213 at 23:00",
    ),
    _p(
        "heart_rate_visit_sd_bpm",
        7.0,
        "1/min",
        "within-person SD of a heart rate measured before a session around the resting value",
        "hpatwin patient twin",
        "a seated pre-session reading varies with activity, caffeine and anticipation by "
        "several beats per minute",
    ),
    _p(
        "systolic_visit_sd_mmhg",
        10.0,
        "mmHg",
        "within-person visit-to-visit SD of systolic blood pressure",
        ROTHWELL_2010,
        "the within-individual SD of office systolic pressure across visits is of the order "
        "of 10 mmHg in treated cohorts",
    ),
)

_BY_NAME = {p.name: p for p in PARAMETERS}


def value(name: str) -> float:
    """The value of one of the twin's parameters.

    Example
    -------
    >>> value("systolic_visit_sd_mmhg")
    10.0
    """
    try:
        return _BY_NAME[name].value
    except KeyError:
        raise ValueError(
            f"patient twin parameter: unknown name {name!r}; known: {', '.join(_BY_NAME)}"
        ) from None


def twin_registry() -> ParameterRegistry:
    """The twin's parameters as a registry (for listings and the docs).

    Example
    -------
    >>> sorted(p.name for p in twin_registry().select(model="patient_twin"))[0]
    'baseline_exacerbation_max'
    """
    registry = ParameterRegistry()
    registry.add_model(MODEL, PARAMETERS)
    return registry
