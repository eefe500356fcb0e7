"""Screening, dropout and LOCF helpers; parsing of the conduct spec sections (property tests)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hpatwin.trials.conduct import (
    attendance,
    dropout_probability,
    enrolled_by_screening,
    last_observation_carried_forward,
)
from hpatwin.trials.conduct_spec import DropoutSpec, ScreeningSpec


@given(st.integers(-50, 80))
def test_screening_phq9_min_accepts_exactly_the_instrument_range(value: int) -> None:
    if 0 <= value <= 27:
        assert ScreeningSpec(phq9_min=value).phq9_min == value
    else:
        with pytest.raises(ValidationError, match=r"outside the allowed range 0-27"):
            ScreeningSpec(phq9_min=value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_dropout_probability_is_refused_outside_0_to_half(value: float) -> None:
    if 0 <= value <= 0.5:
        assert (
            DropoutSpec(mechanism="mcar", probability_per_visit=value).probability_per_visit
            == value
        )
    else:
        with pytest.raises(ValidationError, match=r"probability_per_visit"):
            DropoutSpec(mechanism="mcar", probability_per_visit=value)


@given(st.lists(st.floats(0, 27), min_size=1, max_size=30), st.integers(0, 27))
def test_enrolment_is_exactly_the_inclusive_criterion(scores: list[float], cut: int) -> None:
    phq9 = np.array(scores)
    kept = enrolled_by_screening(phq9, None, ScreeningSpec(phq9_min=cut))
    np.testing.assert_array_equal(kept, phq9 >= cut)


@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.floats(0, 27)), min_size=3, max_size=3),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=60)
def test_locf_keeps_observed_values_and_fills_from_the_last_one(
    rows: list[list[float | None]],
) -> None:
    values = np.array([[np.nan if v is None else v for v in row] for row in rows]).T
    filled = last_observation_carried_forward(values)
    observed = np.isfinite(values)
    np.testing.assert_array_equal(filled[observed], values[observed])
    for patient in range(values.shape[1]):
        last = np.nan
        for k in range(values.shape[0]):
            last = values[k, patient] if observed[k, patient] else last
            assert filled[k, patient] == last or (np.isnan(last) and np.isnan(filled[k, patient]))


def test_mar_dropout_rises_with_the_predictor_and_mcar_does_not() -> None:
    mar = DropoutSpec(mechanism="mar", probability_per_visit=0.1, mar_odds_ratio_per_point=1.2)
    p = dropout_probability(np.array([5.0, 10.0, 15.0, 20.0]), mar)
    assert (np.diff(p) > 0).all() and p[1] == pytest.approx(0.1)
    mcar = DropoutSpec(mechanism="mcar", probability_per_visit=0.1)
    assert dropout_probability(np.array([5.0, 20.0]), mcar).tolist() == [0.1, 0.1]


def test_dropout_is_monotone_and_the_baseline_always_attended() -> None:
    spec = DropoutSpec(mechanism="mcar", probability_per_visit=0.3, missed_visit_probability=0.1)
    seen = attendance(None, np.arange(5000), spec, seed=2, n_visits=5)
    assert seen[0].all()
    dropped = ~seen & ~np.roll(seen, -1, axis=0)  # missing at k and at k + 1
    assert dropped[:-1].any()
    # the share still in the trial falls by about 30 % per follow-up visit (missed visits aside)
    present = seen.mean(axis=1)
    assert present[1] == pytest.approx(0.7 * 0.9, abs=0.03)
    again = attendance(None, np.arange(5000)[::-1], spec, seed=2, n_visits=5)[:, ::-1]
    np.testing.assert_array_equal(again, seen)  # keyed by patient id, not by position
