"""Response, remission, partial response and MIC definitions; course comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hpatwin.clinic.instruments import InstrumentResult, score, score_bpi, score_nrs, score_phq9
from hpatwin.clinic.outcomes import (
    DEFAULT_CRITERIA,
    PHQ9_RESPONSE_BELOW_10,
    OutcomeCriterion,
    OutcomeError,
    compare_course,
    criteria_for,
    criteria_table,
)


def phq9(total: int) -> InstrumentResult:
    items = []
    left = total
    for _ in range(8):
        v = min(3, left)
        items.append(v)
        left -= v
    return score_phq9([*items, left])


@pytest.mark.parametrize(
    ("baseline", "follow_up", "response", "partial", "remission", "mic"),
    [
        (20, 10, True, False, False, True),  # exactly 50 %
        (20, 11, False, True, False, True),  # 45 %
        (20, 15, False, True, False, True),  # exactly 25 %, 5 points
        (20, 16, False, False, False, False),  # 20 %
        (8, 4, True, False, True, False),  # 50 %, remission, only 4 points
        (10, 5, True, False, False, True),  # remission needs < 5
        (12, 12, False, False, False, False),
    ],
)
def test_phq9_definitions(
    baseline: int, follow_up: int, response: bool, partial: bool, remission: bool, mic: bool
) -> None:
    course = compare_course([phq9(baseline), phq9(follow_up)])
    met = course.points[1].met
    assert met["response"] is response
    assert met["partial_response"] is partial
    assert met["remission"] is remission
    assert met["mic"] is mic
    assert met["deterioration"] is False


def test_deterioration() -> None:
    assert compare_course([phq9(6), phq9(11)]).points[1].met["deterioration"] is True
    assert compare_course([phq9(6), phq9(10)]).points[1].met["deterioration"] is False


def test_relative_criteria_undefined_from_zero_baseline() -> None:
    p = compare_course([phq9(0), phq9(3)]).points[1]
    assert p.met["response"] is None and p.met["partial_response"] is None
    assert p.percent_change is None
    assert p.met["remission"] is True


def test_alternative_response_definition_is_configurable() -> None:
    course = compare_course([phq9(14), phq9(9)], criteria=[PHQ9_RESPONSE_BELOW_10])
    assert course.points[1].met == {"response_below_10": True}
    assert "62:929" in PHQ9_RESPONSE_BELOW_10.source


def test_nrs_immpact_benchmarks() -> None:
    c = compare_course([score_nrs(10), score_nrs(9), score_nrs(7), score_nrs(5), score_nrs(8)])
    met = [p.met for p in c.points[1:]]
    assert [m["mic"] for m in met] == [True, True, True, True]  # >= 10 %
    assert [m["response"] for m in met] == [False, True, True, False]  # >= 30 %
    assert [m["substantial_response"] for m in met] == [False, False, True, False]
    assert [m["moderate_points"] for m in met] == [False, True, True, True]
    assert c.first_met["substantial_response"] == 3
    assert [p.change_from_previous for p in c.points] == [None, -1, -2, -2, 3]


def test_bpi_interference_mic_uses_subscale() -> None:
    base = score_bpi([8, 4, 6, 6] + [6] * 7)
    follow = score_bpi([8, 4, 6, 6] + [5] * 7)
    c = compare_course([base, follow])
    assert c.points[1].met["mic_interference"] is True
    assert c.points[1].change == 0  # the total (severity composite) did not move


def test_isi_definitions() -> None:
    c = compare_course([score("isi", [3] * 7), score("isi", [2] * 6 + [1]), score("isi", [1] * 7)])
    assert c.points[1].met["mic"] is True  # 21 -> 13: 8 points
    assert c.points[1].met["moderate_improvement"] is False  # 8 < 8.4
    assert c.points[2].met["remission"] is True  # 7 < 8


def test_course_ordered_by_time_and_tz_handling() -> None:
    t0 = datetime(2024, 1, 1, 9, tzinfo=UTC)
    c = compare_course([(t0 + timedelta(days=28), phq9(8)), (t0, phq9(16))])
    assert [p.value for p in c.points] == [16, 8]
    # aware times in different zones are ordered by instant
    tz = timezone(timedelta(hours=5))
    c2 = compare_course(
        [
            (datetime(2024, 1, 1, 12, tzinfo=tz), phq9(5)),
            (datetime(2024, 1, 1, 8, tzinfo=UTC), phq9(9)),
        ]
    )
    assert [p.value for p in c2.points] == [5, 9]
    c3 = compare_course([(date(2024, 2, 1), phq9(4)), (date(2024, 1, 1), phq9(12))])
    assert c3.baseline.value == 12


@pytest.mark.parametrize(
    ("course", "message"),
    [
        ([], "at least 2 administrations"),
        ([None, None], "expected an InstrumentResult"),
        ("ab", "must be a sequence"),
    ],
)
def test_invalid_courses(course: object, message: str) -> None:
    with pytest.raises(OutcomeError, match=message):
        compare_course(course)  # type: ignore[arg-type]


def test_course_rejects_mixed_instruments_and_partial_times() -> None:
    with pytest.raises(OutcomeError, match="mix instruments"):
        compare_course([phq9(5), score_nrs(3)])
    with pytest.raises(OutcomeError, match="either every administration has a time"):
        compare_course([(date(2024, 1, 1), phq9(5)), (None, phq9(3))])
    with pytest.raises(OutcomeError, match="is for nrs, not phq9"):
        compare_course([phq9(5), phq9(3)], criteria=criteria_for("nrs"))
    bad = OutcomeCriterion("x", "phq9", "s", measure="rumination", below=3)
    with pytest.raises(OutcomeError, match="uses measure 'rumination'"):
        compare_course([phq9(5), phq9(3)], criteria=[bad])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one condition"),
        ({"min_reduction_fraction": 1.5}, "outside the allowed range"),
        ({"min_reduction_points": -2}, "must be a positive number"),
        ({"min_reduction_fraction": 0.5, "max_reduction_fraction": 0.25}, "must exceed"),
    ],
)
def test_criterion_validation(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(OutcomeError, match=message):
        OutcomeCriterion("c", "phq9", "source", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(OutcomeError, match="source is required"):
        OutcomeCriterion("c", "phq9", "", below=1)


def test_every_default_criterion_is_sourced_and_pcs_has_none() -> None:
    assert all(c.source.strip() for c in DEFAULT_CRITERIA)
    assert criteria_for("pcs") == ()  # PCS MCID is UNCONFIRMED in the reference
    assert len(criteria_table()) == len(DEFAULT_CRITERIA)
    with pytest.raises(OutcomeError, match="unknown outcome criteria"):
        criteria_for("phq9", ["cure"])


def test_to_dict_round_numbers() -> None:
    d = compare_course([phq9(20), phq9(10)]).to_dict()
    assert d["points"][1]["percent_change"] == -50.0
    assert d["first_met"]["response"] == 1
