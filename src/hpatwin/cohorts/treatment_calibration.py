"""Calibration of the twin's treatment effects: EA time course and trial effect sizes.

Virtual trials on seeded populations (``hpatwin.cohorts``), each patient simulated in
every arm from one shared warm-up (the same virtual patients in every arm):

1. **Time course** (the source article: "PHQ-9 improvement typically visible from session 4–6,
   cumulative over 8–12 weeks; sleep improves first, then pain, then mood"): a
   ``comorbid_moderate`` cohort under 2/100 Hz EA twice weekly for 12 weeks. The
   improvement is each treated patient's fall of PHQ-9 from baseline as a fraction of
   that baseline (the within-patient change behind Kounali 2022's 20 % MCID; it holds
   the natural course of the enrolment exacerbation, non-specific and specific
   effects); the figures are the number of sessions given when the cohort median first
   reaches 20 %, the median at weeks 4, 8 and 12, the usual-care arm's median at weeks 4
   and 12, and the median day on which the EA-attributable (EA − usual care) sleep, pain
   and mood improvements each reach half of their week-12 value.
2. **Chronic pain** (Vickers et al. IPD meta-analyses, Arch Intern Med 2012;172:1444 and J Pain 2018;19:455: ≈ 0.2 SD vs sham,
   ≈ 0.5 SD vs no acupuncture): a ``chronic_pain`` cohort screened for NRS ≥ 4, arms
   usual care (no added treatment), sham and 2/100 Hz EA.
3. **Depression** (MacPherson et al., PLoS Med 2013;10:e1001518, ACUDep: PHQ-9 −2.46 vs
   usual care at 3 months after a mean of 10 sessions): a ``depression`` cohort
   screened for PHQ-9 ≥ 10, arms usual care and EA.

Effect size = difference of arm means at follow-up / pooled between-patient SD at
follow-up (both arms, ``ddof=1``). The model outputs expected values without report
noise and the ultradian pulses are off, so the SD is between-patient only.

Run ``python -m hpatwin.cohorts.treatment_calibration --patients 300`` to reproduce the
figures in ``docs/treatments.md``.

Example
-------
>>> from hpatwin.cohorts.treatment_calibration import ea_plan, sessions_before
>>> plan = ea_plan(4, ("mon", "thu"))
>>> plan["ea_schedules"][0]["count"], sessions_before(plan, day=7)
(4, 2)
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hpatwin.cohorts.population import generate_population, population_parameters
from hpatwin.engine.api import steady_state
from hpatwin.model.catalogue import get_model
from hpatwin.model.hpa_core import TRANSIENT_STATES
from hpatwin.model.natural_course import (  # noqa: F401 (re-exported)
    ENROLMENT_EXACERBATION,
    EXACERBATION_STATE,
    with_enrolment_exacerbation,
)
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.simulation import simulate

#: cohort configuration (accuracy documented in docs/engine.md)
COHORT_DT_MIN = 5.0
COHORT_DTYPE = "float32"
#: points of the arms (EA pair GV20-EX-HN3; PC6 and ST36 needled without current); the model's course
#: effects do not depend on the points, only on frequency and relative intensity
POINTS = ("GV20", "EX-HN3", "PC6", "ST36")
#: PHQ-9 ≥ 10: Kroenke et al. 2001 cut-off (sensitivity and specificity 88 %)
PHQ9_DEPRESSED = 10.0
#: NRS ≥ 4: moderate pain, the usual inclusion threshold of chronic-pain trials (assumption)
PAIN_INCLUSION_NRS = 4.0
#: weekday number of each name (plans start on a Monday)
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_TRANSIENT = set(TRANSIENT_STATES)


def ea_plan(
    sessions: int,
    weekdays: Sequence[str],
    frequency: str = "2/100",
    *,
    sham: bool = False,
) -> dict[str, Any]:
    """A course of 30-min sessions at 10:00 on ``weekdays`` from Monday, day 0.

    EA is given at the tolerance threshold (relative intensity 1: "a strong but tolerable
    sensation", Han, Neurosci Lett 2004); ``sham=True`` gives non-penetrating sham at the
    same points and times instead.

    >>> ea_plan(2, ["mon"], sham=True)["sham_schedules"][0]["method"]
    'non_penetrating'
    """
    session: dict[str, Any] = {
        "start_day": 0,
        "weekdays": list(weekdays),
        "count": sessions,
        "start": "10:00",
        "duration_min": 30,
        "points": list(POINTS),
    }
    if sham:
        return {
            "name": f"sham × {sessions}",
            "start_weekday": "mon",
            "sham_schedules": [{**session, "method": "non_penetrating"}],
        }
    return {
        "name": f"EA {frequency} Hz × {sessions}",
        "start_weekday": "mon",
        "ea_schedules": [
            {
                **session,
                "frequency": frequency,
                "intensity_ma": 2.0,
                "tolerance_ma": 2.0,
                # PC6 and ST36 are needled without current: an arm-to-leg circuit would cross
                # the chest (the plan loader refuses it)
                "electrode_pairs": [["GV20", "EX-HN3"]],
            }
        ],
    }


def session_days(plan: Mapping[str, Any]) -> list[int]:
    """Days (from day 0, a Monday) of the sessions of a plan made by :func:`ea_plan`.

    >>> session_days(ea_plan(5, ["mon", "thu"]))
    [0, 3, 7, 10, 14]
    """
    key = "ea_schedules" if "ea_schedules" in plan else "sham_schedules"
    schedule = plan[key][0]
    wanted = {WEEKDAYS[d] for d in schedule["weekdays"]}
    days: list[int] = []
    day = int(schedule["start_day"])
    while len(days) < int(schedule["count"]):
        if day % 7 in wanted:
            days.append(day)
        day += 1
    return days


def sessions_before(plan: Mapping[str, Any], day: float) -> int:
    """Sessions given before midnight at the start of ``day``.

    >>> sessions_before(ea_plan(24, ["mon", "thu"]), day=11)
    4
    """
    return sum(1 for d in session_days(plan) if d < day)


@dataclass(frozen=True)
class Cohort:
    """Enrolled virtual patients: parameters and shared warm-up state, one value per patient.

    >>> import numpy as np
    >>> Cohort("chronic_pain", 3, {}, {"cortisol": np.ones(2)}).size
    2
    """

    phenotype: str
    screened: int
    parameters: dict[str, NDArray[np.float64]]
    state: dict[str, NDArray[np.float64]]

    @property
    def size(self) -> int:
        """Number of enrolled patients."""
        return len(next(iter(self.state.values())))


def enrol(
    phenotype: str,
    n: int,
    seed: int,
    *,
    min_phq9: float | None = None,
    min_nrs: float | None = None,
    exacerbation: bool = True,
) -> Cohort:
    """Draw ``n`` patients, settle them on their untreated steady state, keep the eligible.

    Patients enrol during an exacerbation (``exacerbation=True``): after the untreated
    warm-up the ``symptom_exacerbation`` state is set to :data:`ENROLMENT_EXACERBATION`, so
    the expressed severity at baseline lies above each patient's set point and resolves
    in every arm (natural course, regression to the mean). Eligibility is read at
    midnight of day 0 from the expected PHQ-9 and NRS, exacerbation included. One
    warm-up serves every arm (:func:`run_arm` starts from ``Cohort.state``).

    >>> import inspect
    >>> list(inspect.signature(enrol).parameters)[-3:]
    ['min_phq9', 'min_nrs', 'exacerbation']
    """
    population = generate_population(n, phenotype, seed=seed)
    parameters = {
        **{k: np.full(n, v) for k, v in get_phenotype(phenotype).parameters.items()},
        **population_parameters(population),
    }
    state = steady_state(get_model("twin"), parameters, n_patients=n, dt=COHORT_DT_MIN)
    if exacerbation:
        state = with_enrolment_exacerbation(state)
    baseline = simulate(
        "twin",
        days=COHORT_DT_MIN / 1440,
        parameters=parameters,
        initial_state=state,
        n_patients=n,
        pulses=False,
        dt=COHORT_DT_MIN,
        dtype=COHORT_DTYPE,
        output_every=COHORT_DT_MIN,
    ).isel(time=0)
    keep = np.ones(n, dtype=bool)
    if min_phq9 is not None:
        keep &= baseline["phq9_expected"].values >= min_phq9
    if min_nrs is not None:
        keep &= baseline["pain_nrs_expected"].values >= min_nrs
    if not keep.any():
        raise ValueError(f"enrol: no {phenotype} patient of {n} is eligible")
    return Cohort(
        phenotype,
        n,
        {k: np.asarray(v, dtype=float)[keep] for k, v in parameters.items()},
        {k: np.asarray(v, dtype=float)[keep] for k, v in state.items() if k not in _TRANSIENT},
    )


def run_arm(
    cohort: Cohort,
    plan: Mapping[str, Any] | None,
    days: int,
    *,
    parameters: Mapping[str, float] | None = None,
) -> xr.Dataset:
    """Daily (midnight) readouts of the cohort under ``plan`` (``None``: usual care).

    Usual care adds no treatment: the untreated twin returns from the enrolment
    exacerbation to its steady state (natural course).

    >>> run_arm.__annotations__["return"]
    'xr.Dataset'
    """
    return simulate(
        "twin",
        days=days,
        parameters={**cohort.parameters, **(parameters or {})},
        initial_state=cohort.state,
        n_patients=cohort.size,
        plan=dict(plan) if plan is not None else None,
        pulses=False,
        dt=COHORT_DT_MIN,
        dtype=COHORT_DTYPE,
        output_every=1440.0,
    )


def effect_size(treated: NDArray[np.floating[Any]], control: NDArray[np.floating[Any]]) -> float:
    """Mean difference (treated − control) / pooled SD (``ddof=1``).

    >>> round(effect_size(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])), 3)
    -1.0
    """
    a, b = np.asarray(treated, dtype=float), np.asarray(control, dtype=float)
    pooled = np.sqrt(
        ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    )
    return float((a.mean() - b.mean()) / pooled)


def half_time(improvement: NDArray[np.floating[Any]], reference_day: int) -> float:
    """Median over patients of the first day each reaches half its ``reference_day`` value.

    ``improvement`` is (day, patient), positive = better. Patients without improvement
    at ``reference_day`` are left out.

    >>> half_time(np.array([[0.0, 0.0], [1.0, 0.2], [2.0, 0.6], [2.0, 1.0]]), 3)
    1.5
    """
    values = np.asarray(improvement, dtype=float)
    days = []
    for p in range(values.shape[1]):
        final = values[reference_day, p]
        if final <= 0:
            continue
        days.append(int(np.argmax(values[: reference_day + 1, p] >= final / 2)))
    return float(np.median(days)) if days else float("nan")


@dataclass(frozen=True)
class TimeCourse:
    """Time course of a 2/100 Hz twice-weekly course in the comorbid_moderate cohort.

    Improvements are fractions of baseline PHQ-9 (0.2 = 20 %); half-times in days.

    >>> "sessions_at_20_percent" in TimeCourse.__dataclass_fields__
    True
    """

    patients_screened: int
    patients: int
    baseline_phq9_median: float
    baseline_nrs_median: float
    sessions_at_20_percent: int
    day_at_20_percent: int
    phq9_improvement_week4: float
    phq9_improvement_week8: float
    phq9_improvement_week12: float
    half_time_sleep_days: float
    half_time_pain_days: float
    half_time_mood_days: float
    usual_care_improvement_week4: float
    usual_care_improvement_week12: float


def time_course(
    n: int, seed: int = 41, *, parameters: Mapping[str, float] | None = None
) -> TimeCourse:
    """The source article's time course (see the module docstring) on ``n`` screened patients.

    Enrolment: PHQ-9 ≥ 10 and NRS ≥ 4 at baseline (comorbid by definition), during an
    exacerbation (:func:`enrol`). Arms: the 24-session course and usual care, 84 days.

    >>> session_days(ea_plan(24, ("mon", "thu")))[3:6]  # sessions 4-6
    [10, 14, 17]
    """
    cohort = enrol(
        "comorbid_moderate", n, seed, min_phq9=PHQ9_DEPRESSED, min_nrs=PAIN_INCLUSION_NRS
    )
    plan = ea_plan(24, ("mon", "thu"))
    treated = run_arm(cohort, plan, 84, parameters=parameters)
    control = run_arm(cohort, None, 84, parameters=parameters)
    phq_c, phq_t = control["phq9_expected"].values, treated["phq9_expected"].values
    baseline = phq_t[0]
    median = np.median((baseline - phq_t) / baseline, axis=1)
    usual_care = np.median((baseline - phq_c) / baseline, axis=1)
    above = np.nonzero(median >= 0.2)[0]
    day20 = int(above[0]) if len(above) else -1
    mood = phq_c - phq_t
    pain = control["pain_nrs_expected"].values - treated["pain_nrs_expected"].values
    sleep = treated["sleep_quality"].values - control["sleep_quality"].values
    return TimeCourse(
        cohort.screened,
        cohort.size,
        float(np.median(baseline)),
        float(np.median(control["pain_nrs_expected"].values[0])),
        sessions_before(plan, day20) if day20 >= 0 else -1,
        day20,
        float(median[28]),
        float(median[56]),
        float(median[84]),
        half_time(sleep, 84),
        half_time(pain, 84),
        half_time(mood, 84),
        float(usual_care[28]),
        float(usual_care[84]),
    )


@dataclass(frozen=True)
class PainTrial:
    """Vickers-type chronic-pain trial: NRS effect sizes at follow-up (positive = EA better).

    >>> PainTrial(100, 86, 7.6, 38, 0.27, 0.58, -0.42, -0.84).es_vs_sham
    0.27
    """

    patients_screened: int
    patients: int
    baseline_nrs_mean: float
    follow_up_day: int
    es_vs_sham: float
    es_vs_usual_care: float
    nrs_difference_vs_sham: float
    nrs_difference_vs_usual_care: float


#: chronic pain: 10 sessions twice weekly (NICE NG193: a single course within ~5 h of
#: professional time, e.g. ~10 × 30 min; NICE NG193, 2021), outcome one week after the
#: last session (day 38; assumption: end-of-treatment endpoint)
PAIN_SESSIONS, PAIN_WEEKDAYS, PAIN_FOLLOW_UP_DAY = 10, ("mon", "thu"), 38


def pain_trial(
    n: int, seed: int = 42, *, parameters: Mapping[str, float] | None = None
) -> PainTrial:
    """Chronic-pain cohort (NRS ≥ 4): 2/100 Hz EA vs sham vs usual care.

    >>> session_days(ea_plan(PAIN_SESSIONS, PAIN_WEEKDAYS))[-1], PAIN_FOLLOW_UP_DAY
    (31, 38)
    """
    cohort = enrol("chronic_pain", n, seed, min_nrs=PAIN_INCLUSION_NRS)
    days = PAIN_FOLLOW_UP_DAY + 1
    arms = {
        "ea": ea_plan(PAIN_SESSIONS, PAIN_WEEKDAYS),
        "sham": ea_plan(PAIN_SESSIONS, PAIN_WEEKDAYS, sham=True),
        "usual": None,
    }
    nrs = {
        k: run_arm(cohort, plan, days, parameters=parameters)["pain_nrs_expected"].values
        for k, plan in arms.items()
    }
    end = PAIN_FOLLOW_UP_DAY
    return PainTrial(
        cohort.screened,
        cohort.size,
        float(nrs["usual"][0].mean()),
        end,
        -effect_size(nrs["ea"][end], nrs["sham"][end]),
        -effect_size(nrs["ea"][end], nrs["usual"][end]),
        float(nrs["ea"][end].mean() - nrs["sham"][end].mean()),
        float(nrs["ea"][end].mean() - nrs["usual"][end].mean()),
    )


@dataclass(frozen=True)
class DepressionTrial:
    """ACUDep-type depression trial: PHQ-9 difference vs usual care at 3 months.

    >>> DepressionTrial(100, 90, 23.7, 91, -2.25, -0.44).phq9_difference_vs_usual_care
    -2.25
    """

    patients_screened: int
    patients: int
    baseline_phq9_mean: float
    follow_up_day: int
    phq9_difference_vs_usual_care: float
    es_vs_usual_care: float


#: depression: 10 weekly 2 Hz sessions (ACUDep: mean 10 sessions, outcome at 3 months;
#: weekly spacing and the 2 Hz mode of the depression trial protocols (Zhang et al. 2012; the 2024 Governor Vessel RCT)
#: are assumptions), outcome at day 91 (13 weeks)
DEPRESSION_SESSIONS, DEPRESSION_FREQUENCY, DEPRESSION_FOLLOW_UP_DAY = 10, "2", 91


def depression_trial(
    n: int, seed: int = 43, *, parameters: Mapping[str, float] | None = None
) -> DepressionTrial:
    """Depression cohort (PHQ-9 ≥ 10): weekly EA vs usual care.

    >>> session_days(ea_plan(DEPRESSION_SESSIONS, ("mon",)))[-1], DEPRESSION_FOLLOW_UP_DAY
    (63, 91)
    """
    cohort = enrol("depression", n, seed, min_phq9=PHQ9_DEPRESSED)
    days = DEPRESSION_FOLLOW_UP_DAY + 1
    plan = ea_plan(DEPRESSION_SESSIONS, ("mon",), DEPRESSION_FREQUENCY)
    treated = run_arm(cohort, plan, days, parameters=parameters)["phq9_expected"].values
    usual = run_arm(cohort, None, days, parameters=parameters)["phq9_expected"].values
    end = DEPRESSION_FOLLOW_UP_DAY
    return DepressionTrial(
        cohort.screened,
        cohort.size,
        float(usual[0].mean()),
        end,
        float(treated[end].mean() - usual[end].mean()),
        effect_size(treated[end], usual[end]),
    )


@dataclass(frozen=True)
class TreatmentCalibration:
    """All treatment calibration figures, the sizes and seconds behind them.

    >>> sorted(TreatmentCalibration.__dataclass_fields__)[:3]
    ['depression', 'pain', 'patients_drawn_per_cohort']
    """

    time_course: TimeCourse
    pain: PainTrial
    depression: DepressionTrial
    patients_drawn_per_cohort: int
    seeds: tuple[int, int, int]
    seconds: float


def calibrate(n: int = 300, seeds: tuple[int, int, int] = (41, 42, 43)) -> TreatmentCalibration:
    """Every figure with ``n`` patients drawn per cohort (before screening).

    About 5 minutes for ``n = 300`` on two cores (docs/treatments.md).

    >>> calibrate.__defaults__
    (300, (41, 42, 43))
    """
    start = time.perf_counter()
    course = time_course(n, seeds[0])
    pain = pain_trial(n, seeds[1])
    depression = depression_trial(n, seeds[2])
    return TreatmentCalibration(course, pain, depression, n, seeds, time.perf_counter() - start)


def markdown(result: TreatmentCalibration) -> str:
    """A markdown table of the figures and their targets.

    >>> course = TimeCourse(10, 8, 22.0, 8.0, 6, 18, 0.2, 0.3, 0.4, 8.0, 18.0, 35.0, 0.1, 0.1)
    >>> result = TreatmentCalibration(
    ...     course, PainTrial(10, 9, 7.5, 38, 0.2, 0.5, -0.3, -0.8),
    ...     DepressionTrial(10, 9, 23.0, 91, -2.5, -0.5), 10, (41, 42, 43), 1.0)
    >>> markdown(result).splitlines()[-1]
    '| PHQ-9 difference vs usual care at 3 months | −1.5 to −3.5 | **-2.50** |'
    """
    c, p, d = result.time_course, result.pain, result.depression
    rows = [
        (
            "sessions when median PHQ-9 improvement first ≥ 20 % of baseline",
            "4–6",
            f"{c.sessions_at_20_percent} (day {c.day_at_20_percent})",
        ),
        (
            "median PHQ-9 improvement at weeks 4 / 8 / 12",
            "growing to weeks 8–12",
            f"{c.phq9_improvement_week4:.0%} / {c.phq9_improvement_week8:.0%} / "
            f"{c.phq9_improvement_week12:.0%}",
        ),
        (
            "usual care: median PHQ-9 improvement at weeks 4 / 12 (natural course)",
            "",
            f"{c.usual_care_improvement_week4:.0%} / {c.usual_care_improvement_week12:.0%}",
        ),
        (
            "days to half of week-12 EA − usual care improvement: sleep / pain / mood",
            "sleep < pain < mood",
            f"{c.half_time_sleep_days:g} / {c.half_time_pain_days:g} / {c.half_time_mood_days:g}",
        ),
        ("pain NRS ES, EA vs sham", "0.1–0.35 SD", f"{p.es_vs_sham:.2f}"),
        ("pain NRS ES, EA vs usual care", "0.35–0.7 SD", f"{p.es_vs_usual_care:.2f}"),
        (
            "PHQ-9 difference vs usual care at 3 months",
            "−1.5 to −3.5",
            f"{d.phq9_difference_vs_usual_care:.2f}",
        ),
    ]
    lines = ["| figure | target | model |", "|---|---|---|"]
    lines += [f"| {a} | {b} | **{m}** |" for a, b, m in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> TreatmentCalibration:
    """Command line: ``python -m hpatwin.cohorts.treatment_calibration --patients N [--out DIR]``.

    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    parser = argparse.ArgumentParser(description="Treatment calibration figures of the twin")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None, help="write summary.json/summary.md")
    args = parser.parse_args(argv)
    result = calibrate(args.patients)
    text = json.dumps(asdict(result), indent=2)
    print(text)
    print(markdown(result))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "summary.json").write_text(text + "\n", encoding="utf-8")
        (args.out / "summary.md").write_text(markdown(result), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
