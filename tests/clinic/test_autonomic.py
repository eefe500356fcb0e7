"""Heart rate and blood pressure around a session."""

from __future__ import annotations

import math

import pytest

from hpatwin.clinic.autonomic import (
    AutonomicError,
    AutonomicThresholds,
    VitalSigns,
    autonomic_response,
    mean_arterial_pressure_mmhg,
)


def test_changes_from_mean_baseline_at_each_interval() -> None:
    r = autonomic_response(
        [
            VitalSigns("before", 10, 74, 128, 82),
            VitalSigns("before", 1, 70, 124, 80),
            VitalSigns("after", 30, 71, 125, 80),
            VitalSigns("after", 0, 64, 116, 74),
            VitalSigns("after", 5, 66, 118, 76),
            VitalSigns("after", 15, 69, 122, 79),
        ]
    )
    assert r.baseline.heart_rate_bpm == 72 and r.baseline.systolic_mmhg == 126
    assert r.baseline.diastolic_mmhg == 81
    assert [p.minutes_after for p in r.points] == [0, 5, 15, 30]
    assert [p.delta_heart_rate_bpm for p in r.points] == [-8, -6, -3, -1]
    assert [p.delta_systolic_mmhg for p in r.points] == [-10, -8, -4, -1]
    assert r.points[0].delta_map_mmhg == pytest.approx(
        mean_arterial_pressure_mmhg(116, 74) - (81 + (126 - 81) / 3)
    )
    assert r.max_fall["heart_rate_bpm"] == 8 and r.time_of_max_fall["heart_rate_bpm"] == 0
    assert r.max_rise["heart_rate_bpm"] == 0
    assert r.recovered == {
        "heart_rate_bpm": True,
        "systolic_mmhg": True,
        "diastolic_mmhg": True,
        "map_mmhg": True,
    }
    assert r.alerts == ()


def test_marked_fall_and_slow_heart_rate_flagged_with_design_choice_source() -> None:
    r = autonomic_response(
        [
            VitalSigns("before", 0, 68, 130, 85),
            VitalSigns("after", 2, 46, 104, 70),
            VitalSigns("after", 20, 60, 112, 76),
        ]
    )
    assert [a.code for a in r.alerts] == ["bp_fall_marked", "heart_rate_low"]
    assert all("design choice" in a.source for a in r.alerts)
    assert r.recovered["systolic_mmhg"] is False
    relaxed = autonomic_response(
        [VitalSigns("before", 0, 68, 130, 85), VitalSigns("after", 2, 55, 104, 80)],
        AutonomicThresholds(sbp_fall_mmhg=30, dbp_fall_mmhg=20),
    )
    assert relaxed.alerts == ()


def test_partial_measurements() -> None:
    r = autonomic_response([VitalSigns("before", 0, 70), VitalSigns("after", 5, None, 120, 80)])
    assert r.points[0].delta_systolic_mmhg is None
    assert r.max_fall["systolic_mmhg"] is None and r.recovered["heart_rate_bpm"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("after", 31, 70), "outside the allowed range 0-30 min after the session"),
        (("after", -1, 70), "minutes must be a finite number >= 0"),
        (("during", 1, 70), "allowed before, after"),
        (("after", 5, 300), "heart_rate_bpm 300 is outside the allowed range 20-250"),
        (("after", 5, 70, 80, 90), "diastolic_mmhg 90 must be below systolic_mmhg 80"),
        (("after", 5, 70, 120, None), "given together"),
        (("after", 5), "neither heart rate nor blood pressure"),
        (("after", 5, "70"), "heart_rate_bpm '70' is not a number"),
        (("after", math.nan, 70), "finite"),
    ],
)
def test_invalid_readings(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(AutonomicError, match=message):
        VitalSigns(*args)  # type: ignore[arg-type]


def test_invalid_sets() -> None:
    with pytest.raises(AutonomicError, match="before-session"):
        autonomic_response([VitalSigns("after", 5, 70)])
    with pytest.raises(AutonomicError, match="after-session"):
        autonomic_response([VitalSigns("before", 5, 70)])
    with pytest.raises(AutonomicError, match="same minute"):
        autonomic_response(
            [VitalSigns("before", 0, 70), VitalSigns("after", 5, 70), VitalSigns("after", 5, 71)]
        )
    with pytest.raises(AutonomicError, match="threshold"):
        AutonomicThresholds(sbp_fall_mmhg=0)
