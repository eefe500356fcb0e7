"""Salivary cortisol: units, assessments, slope, AUC, CAR, trend and input rejection."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.clinic.cortisol import (
    LATE_NIGHT_CUTOFFS,
    UNITS,
    CortisolError,
    CortisolSample,
    LateNightCutoff,
    assess_late_night,
    assess_morning,
    auc_pruessner,
    awakening_response,
    convert_cortisol,
    cortisol_trend,
    diurnal_profile,
    parse_collection_time,
)

DAY = datetime(2024, 5, 2)


def at(hour: int, minute: int = 0, value: float = 10.0, unit: str = "nmol/L") -> CortisolSample:
    return CortisolSample(DAY.replace(hour=hour, minute=minute), value, unit)


# ---------------------------------------------------------------- units
@pytest.mark.parametrize(
    ("value", "unit", "nmol_l"),
    [
        (1.0, "µg/dL", 27.59),  # clinical-facts 2.1
        (1.0, "ng/mL", 2.759),
        (100.0, "ng/dL", 2.76),  # PMID 20631023
        (750.0, "ng/dL", 20.7),  # Mayo morning upper limit as quoted
        (0.1, "ug/dL", 2.76),
        (5.0, "nmol/L", 5.0),
    ],
)
def test_known_conversions(value: float, unit: str, nmol_l: float) -> None:
    assert convert_cortisol(value, unit, "nmol/L") == pytest.approx(nmol_l, abs=0.01)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=0, max_value=1e4, allow_nan=False),
    st.sampled_from(sorted(UNITS)),
    st.sampled_from(sorted(UNITS)),
)
def test_unit_round_trip(value: float, a: str, b: str) -> None:
    there = convert_cortisol(value, a, b)
    assert convert_cortisol(there, b, a) == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_unit_aliases_and_rejection() -> None:
    for alias in ("nmol/l", "ug/dL", "mcg/dl", "μg/dL", "ng/ml", "NG/DL"):
        CortisolSample(DAY.replace(hour=8), 1.0, alias)
    with pytest.raises(CortisolError, match="cortisol unit 'mmol/L' is not accepted"):
        CortisolSample(DAY.replace(hour=8), 1.0, "mmol/L")


def test_sample_value_in_other_units() -> None:
    s = CortisolSample(DAY.replace(hour=23), 120.0, "ng/dL")
    assert s.value_in("ng/mL") == pytest.approx(1.2)
    assert s.value_in("µg/dL") == pytest.approx(0.12)


# ---------------------------------------------------------------- rejected input
@pytest.mark.parametrize(
    ("when", "message"),
    [
        (None, "collection time is missing"),
        (date(2024, 5, 2), "a date without a clock time"),
        ("2024-05-02", "has a date but no clock time"),
        ("2024-05-02T25:00", "not a possible date and time"),
        ("2024-05-02T08:61", "not a possible date and time"),
        ("2024-02-30T08:00", "not a possible date and time"),
        ("", "missing or not text"),
        (8.0, "must be a date and clock time"),
    ],
)
def test_sample_without_or_with_impossible_time_rejected(when: object, message: str) -> None:
    with pytest.raises(CortisolError, match=message):
        CortisolSample(when, 10.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1.0, "is negative"),
        (math.nan, "not a finite"),
        ("10", "is not a number"),
        (True, "not a number"),
    ],
)
def test_sample_bad_values(value: object, message: str) -> None:
    with pytest.raises(CortisolError, match=message):
        CortisolSample(DAY.replace(hour=8), value)  # type: ignore[arg-type]


def test_parse_clock_time_with_date() -> None:
    assert parse_collection_time("23:15", on=date(2024, 5, 2)) == datetime(2024, 5, 2, 23, 15)
    with pytest.raises(CortisolError):
        parse_collection_time("24:30", on=date(2024, 5, 2))


def test_series_rejects_duplicates_and_long_span() -> None:
    with pytest.raises(CortisolError, match="share the collection time"):
        diurnal_profile([at(8), at(8)])
    with pytest.raises(CortisolError, match=r"span 25\.0 h"):
        diurnal_profile([at(8), CortisolSample(DAY + timedelta(days=1, hours=9), 3.0)])
    aware = CortisolSample(datetime(2024, 5, 2, 9, tzinfo=UTC), 3.0)
    with pytest.raises(CortisolError, match="mix time-zone-aware and naive"):
        diurnal_profile([at(8), aware])


# ---------------------------------------------------------------- assessments
def test_late_night_assay_specific_and_worded_as_elevated() -> None:
    s = at(23, 15, 5.0)
    lcms = assess_late_night(s)  # default LC-MS/MS, 100 ng/dL = 2.76 nmol/L
    eclia = assess_late_night(s, cutoff="eclia_2012")  # 6.1 nmol/L
    clia = assess_late_night(s, cutoff="clia_2021")  # 10.1 nmol/L
    assert (lcms.status, eclia.status, clia.status) == ("elevated", "not elevated", "not elevated")
    for a in (lcms, eclia, clia):
        text = a.message.lower()
        assert "cushing" not in text
        assert "diagnos" not in text or "not a diagnosis" in text
    assert "not a diagnosis" in lcms.message


@pytest.mark.parametrize(
    ("key", "cutoff_nmol_l"),
    [
        ("lcms_mayo_reference", 2.759),
        ("lcms_2010", 2.952),
        ("lcms_mayo_2012", 2.8),
        ("eclia_2012", 6.1),
        ("eclia_portugal", 2.759),
        ("clia_2021", 10.1),
        ("ria_cardoso", 3.8),
    ],
)
def test_cutoff_table_values(key: str, cutoff_nmol_l: float) -> None:
    c = LATE_NIGHT_CUTOFFS[key]
    assert c.cutoff_nmol_l == pytest.approx(cutoff_nmol_l, abs=0.001)
    assert c.source
    just_above = assess_late_night(at(23, 30, c.cutoff_nmol_l + 0.01), cutoff=c)
    at_cutoff = assess_late_night(at(23, 30, c.cutoff_nmol_l), cutoff=c)
    assert (just_above.status, at_cutoff.status) == ("elevated", "not elevated")


def test_unconfirmed_endocrine_society_cutoff_not_built_in_but_configurable() -> None:
    assert not any(math.isclose(c.cutoff_nmol_l, 4.0) for c in LATE_NIGHT_CUTOFFS.values())
    mine = LateNightCutoff("lab_x", 4.0, "lab X immunoassay", "lab X validation report")
    assert assess_late_night(at(23, 0, 4.1), cutoff=mine).status == "elevated"
    with pytest.raises(CortisolError, match="unknown"):
        assess_late_night(at(23), cutoff="endocrine_society")


def test_windows() -> None:
    assert assess_late_night(at(22, 30, 9.0)).status == "outside collection window"
    assert (
        assess_late_night(CortisolSample(DAY + timedelta(days=1), 9.0)).status == "elevated"
    )  # 00:00
    assert assess_morning(at(9, 30)).status == "outside collection window"
    assert assess_morning(at(7, 0, 2.7)).status == "below reference range"
    assert assess_morning(at(9, 0, 20.8)).status == "above reference range"
    assert assess_morning(at(8, 0, 2.8)).status == "within reference range"


# ---------------------------------------------------------------- slope, ratio, AUC
def test_slope_ratio_and_auc_hand_computed() -> None:
    # times 07:00, 08:00, 12:00, 17:00, 23:00 -> 0, 1, 5, 10, 16 h
    samples = [at(7, 0, 12.0), at(8, 0, 16.0), at(12, 0, 8.0), at(17, 0, 4.0), at(23, 0, 2.0)]
    p = diurnal_profile(samples)
    # wake-to-bed: (2 - 12) / 16 h
    assert p.slope_nmol_l_per_h == pytest.approx(-0.625)
    # peak-to-bed: (2 - 16) / 15 h
    assert p.slope_from_peak_nmol_l_per_h == pytest.approx(-14 / 15)
    # 08:00 sample is nearest to 08:00 in the morning window
    assert p.morning is not None and p.morning.sample.cortisol_nmol_l == 16.0
    assert p.morning_to_late_night_ratio == pytest.approx(8.0)
    # trapezoids: (12+16)/2*1 + (16+8)/2*4 + (8+4)/2*5 + (4+2)/2*6 = 14 + 48 + 30 + 18 = 110
    assert p.auc_ground_nmol_h_per_l == pytest.approx(110.0)
    # AUC_I = AUC_G - 12 * 16 = -82
    assert p.auc_increase_nmol_h_per_l == pytest.approx(-82.0)
    # least squares by hand: t = [0,1,5,10,16], y = [12,16,8,4,2]
    t = [0, 1, 5, 10, 16]
    y = [12, 16, 8, 4, 2]
    tm, ym = sum(t) / 5, sum(y) / 5
    slope = sum((a - tm) * (b - ym) for a, b in zip(t, y, strict=True)) / sum(
        (a - tm) ** 2 for a in t
    )
    assert p.regression_slope_nmol_l_per_h == pytest.approx(slope)


def test_auc_needs_enough_samples() -> None:
    p = diurnal_profile([at(8, 0, 14.0), at(23, 0, 2.0)])
    assert p.auc_ground_nmol_h_per_l is None and p.regression_slope_nmol_l_per_h is None
    assert p.slope_nmol_l_per_h == pytest.approx(-12 / 15)
    single = diurnal_profile([at(8, 0, 14.0)])
    assert single.slope_nmol_l_per_h is None and single.morning_to_late_night_ratio is None


def test_auc_pruessner_formula_and_errors() -> None:
    assert auc_pruessner([0, 2], [4, 6]) == (10.0, 2.0)
    with pytest.raises(CortisolError, match="strictly increasing"):
        auc_pruessner([0, 0], [1, 2])
    with pytest.raises(CortisolError, match="two or more"):
        auc_pruessner([0], [1])


def test_profile_alerts() -> None:
    p = diurnal_profile([at(8, 0, 14.0), at(23, 0, 3.5)])
    codes = [a.code for a in p.alerts]
    assert codes == ["cortisol_late_night_elevated", "cortisol_late_night_repeat"]
    assert p.alerts[0].level == "warning"
    assert "Cushing" not in p.alerts[0].message


# ---------------------------------------------------------------- CAR
def test_awakening_response_hand_computed() -> None:
    wake = DAY.replace(hour=6, minute=30)
    samples = [
        CortisolSample(wake + timedelta(minutes=m), v)
        for m, v in [(2, 8.0), (30, 13.0), (45, 12.0), (60, 9.0)]
    ]
    car = awakening_response(samples, wake)
    assert car.increase_nmol_l == 5.0
    assert car.percent_rise == pytest.approx(62.5)
    # (8+13)/2*28 + (13+12)/2*15 + (12+9)/2*15 = 294 + 187.5 + 157.5 = 639
    assert car.auc_ground_nmol_min_per_l == pytest.approx(639.0)
    assert car.auc_increase_nmol_min_per_l == pytest.approx(639.0 - 8.0 * 58)
    assert car.alerts == ()


def test_awakening_delayed_first_sample() -> None:
    wake = DAY.replace(hour=6)
    late = [CortisolSample(wake + timedelta(minutes=m), v) for m, v in [(10, 8.0), (32, 12.0)]]
    car = awakening_response(late, wake)
    assert [a.code for a in car.alerts] == ["car_first_sample_delayed"]
    too_late = [CortisolSample(wake + timedelta(minutes=m), 8.0) for m in (20, 40)]
    with pytest.raises(CortisolError, match="20 min after waking"):
        awakening_response(too_late, wake)
    no30 = [CortisolSample(wake + timedelta(minutes=m), 8.0) for m in (0, 60)]
    with pytest.raises(CortisolError, match="no sample at 30"):
        awakening_response(no30, wake)


def test_profile_with_awakening() -> None:
    wake = DAY.replace(hour=7)
    samples = [
        CortisolSample(wake, 10.0),
        CortisolSample(wake + timedelta(minutes=30), 15.0),
        at(23, 0, 1.0),
    ]
    p = diurnal_profile(samples, awakening_time=wake)
    assert p.awakening is not None and p.awakening.increase_nmol_l == 5.0
    # slope from waking to bedtime: (1 - 10) / 16 h
    assert p.slope_nmol_l_per_h == pytest.approx(-9 / 16)


# ---------------------------------------------------------------- trend
def visit(day: int, morning: float, night: float) -> list[CortisolSample]:
    d = datetime(2024, 5, day)
    return [CortisolSample(d.replace(hour=8), morning), CortisolSample(d.replace(hour=23), night)]


def test_trend_towards_normalisation() -> None:
    tr = cortisol_trend([visit(1, 9.0, 5.0), visit(8, 10.0, 4.0), visit(15, 11.0, 2.0)])
    late = tr.metrics["late_night_nmol_l"]
    assert late.direction == "towards normal"
    assert late.distance_from_normal[-1] == 0.0
    # least squares over weeks 0, 1, 2 of 5, 4, 2 -> -1.5 per week
    assert late.change_per_week == pytest.approx(-1.5)
    assert tr.metrics["morning_nmol_l"].direction == "normal throughout"
    assert tr.metrics["slope_nmol_l_per_h"].direction == "towards normal"
    assert tr.metrics["morning_to_late_night_ratio"].direction == "reported only"
    assert tr.normalising


def test_trend_away_and_low_morning() -> None:
    tr = cortisol_trend([visit(15, 2.0, 2.0), visit(1, 5.0, 2.0)])  # given out of order
    assert [p.day.day for p in tr.profiles] == [1, 15]
    assert tr.metrics["morning_nmol_l"].direction == "away from normal"  # 5 -> 2 (below 2.76)
    assert not tr.normalising


def test_trend_errors() -> None:
    with pytest.raises(CortisolError, match="at least 2 visits"):
        cortisol_trend([visit(1, 9.0, 5.0)])
    with pytest.raises(CortisolError, match="same day"):
        cortisol_trend([visit(1, 9.0, 5.0), visit(1, 9.0, 4.0)])


def test_salivary_value_in_serum_range_gets_a_unit_warning() -> None:
    """Issue #17: 15 µg/dL salivary cortisol passed with no unit warning."""
    from hpatwin.clinic.cortisol import CortisolSample, assess_late_night, assess_morning

    sample = CortisolSample("2024-05-02T08:00", 15, "µg/dL")
    assert sample.unit_warning() is not None
    morning = assess_morning(sample)
    assert morning.status == "unit to check" and not morning.assessable
    late = assess_late_night(CortisolSample("2024-05-02T23:10", 15, "µg/dL"))
    assert late.status == "unit to check"
    assert assess_morning(CortisolSample("2024-05-02T08:00", 0.4, "µg/dL")).status == (
        "within reference range"
    )


def test_absurd_cortisol_is_refused_not_reported_elevated() -> None:
    """Issue #17: 1e308 cortisol was reported as 'elevated'."""
    import pytest

    from hpatwin.clinic.cortisol import CortisolError, CortisolSample

    with pytest.raises(CortisolError, match="far above any salivary value"):
        CortisolSample("2024-05-02T23:10", 1e308)
    CortisolSample("2024-05-02T23:10", 900.0)  # implausible-looking but below the refusal bound
