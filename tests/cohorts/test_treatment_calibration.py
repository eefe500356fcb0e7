"""Treatment calibration at a CI-affordable size (hpatwin.cohorts.treatment_calibration).

80 patients drawn per cohort (about 65-70 enrolled) with the module's seeds; about 2.5
minutes on the 2-core machine. The documented 300-patient run is in docs/treatments.md.
"""

from __future__ import annotations

import functools

import pytest

from hpatwin.cohorts.treatment_calibration import (
    DepressionTrial,
    PainTrial,
    TimeCourse,
    depression_trial,
    ea_plan,
    pain_trial,
    session_days,
    sessions_before,
    time_course,
)

N = 80

pytestmark = pytest.mark.slow


@functools.cache
def _course() -> TimeCourse:
    return time_course(N)


@functools.cache
def _pain() -> PainTrial:
    return pain_trial(N)


@functools.cache
def _depression() -> DepressionTrial:
    return depression_trial(N)


def test_session_counting() -> None:
    plan = ea_plan(24, ("mon", "thu"))
    assert session_days(plan)[:6] == [0, 3, 7, 10, 14, 17]
    assert sessions_before(plan, 10) == 3 and sessions_before(plan, 11) == 4
    assert sessions_before(plan, 84) == 24


def test_pain_effect_sizes_match_vickers() -> None:
    pain = _pain()
    assert pain.patients >= 0.6 * N  # most chronic-pain patients have NRS ≥ 4
    # Vickers 2012/2018: ≈ 0.2 SD vs sham, ≈ 0.5 SD vs no acupuncture
    assert 0.1 <= pain.es_vs_sham <= 0.35
    assert 0.35 <= pain.es_vs_usual_care <= 0.7
    assert pain.nrs_difference_vs_usual_care < pain.nrs_difference_vs_sham < 0


def test_phq9_difference_matches_acudep() -> None:
    depression = _depression()
    assert depression.patients >= 0.6 * N
    # MacPherson 2013: −2.46 (95 % CI −3.72 to −1.21) vs usual care at 3 months
    assert -3.5 <= depression.phq9_difference_vs_usual_care <= -1.5


def test_improvement_keeps_growing_to_week_12() -> None:
    course = _course()
    assert course.baseline_phq9_median >= 10 and course.baseline_nrs_median >= 4
    # cumulative over 8-12 weeks (SPEC §2), by at least 2 points of baseline per step
    assert course.phq9_improvement_week4 + 0.02 < course.phq9_improvement_week8
    assert course.phq9_improvement_week8 + 0.02 < course.phq9_improvement_week12
    assert course.phq9_improvement_week12 >= 0.2


def test_sleep_improves_before_pain_before_mood() -> None:
    course = _course()
    # medians of per-patient days to half the week-12 improvement (daily readings)
    assert course.half_time_sleep_days < course.half_time_pain_days
    assert course.half_time_pain_days + 7 <= course.half_time_mood_days


def test_phq9_improvement_reaches_20_percent_between_sessions_4_and_6() -> None:
    course = _course()
    # Kounali 2022: ≈ 20 % fall from baseline is the MCID at moderate-to-severe PHQ-9
    assert 4 <= course.sessions_at_20_percent <= 6


def test_usual_care_improves_less_than_ea() -> None:
    course = _course()
    # the enrolment exacerbation resolves in every arm (natural course), EA adds to it
    assert 0.03 <= course.usual_care_improvement_week4 <= course.usual_care_improvement_week12
    assert course.usual_care_improvement_week12 + 0.2 <= course.phq9_improvement_week12
