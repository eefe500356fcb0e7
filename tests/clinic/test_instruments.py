"""Instrument scoring: every severity boundary, the PHQ-9 item-9 alert, subscales, inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpatwin.clinic.instruments import (
    INSTRUMENTS,
    Alert,
    InstrumentError,
    ItemValueError,
    MissingItemError,
    MissingRule,
    ResponseCountError,
    UnknownInstrumentError,
    get_spec,
    instrument_names,
    score,
    score_bpi,
    score_gad7,
    score_isi,
    score_nrs,
    score_pcs,
    score_phq9,
)


def responses_with_total(n_items: int, item_max: int, total: int) -> list[int]:
    """Fill items left to right so that they sum to ``total``."""
    out = []
    left = total
    for _ in range(n_items):
        v = min(item_max, left)
        out.append(v)
        left -= v
    assert left == 0
    return out


# Expected bands typed from the sources (not derived from the code's tables).
PHQ9_BOUNDARIES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately severe"),
    (19, "moderately severe"),
    (20, "severe"),
    (27, "severe"),
]
GAD7_BOUNDARIES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]
ISI_BOUNDARIES = [
    (0, "no clinically significant insomnia"),
    (7, "no clinically significant insomnia"),
    (8, "subthreshold insomnia"),
    (14, "subthreshold insomnia"),
    (15, "moderate clinical insomnia"),
    (21, "moderate clinical insomnia"),
    (22, "severe clinical insomnia"),
    (28, "severe clinical insomnia"),
]
PCS_BOUNDARIES = [
    (0, "below clinical threshold"),
    (29, "below clinical threshold"),
    (30, "clinically relevant"),
    (52, "clinically relevant"),
]
BPI_WORST_BOUNDARIES = [
    (0, "no pain"),
    (1, "mild"),
    (4, "mild"),
    (5, "moderate"),
    (6, "moderate"),
    (7, "severe"),
    (10, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_BOUNDARIES)
def test_phq9_boundaries(total: int, band: str) -> None:
    # keep item 9 at 0 where possible so the boundary test is not mixed with the alert
    items = [*responses_with_total(8, 3, min(total, 24)), max(0, total - 24)]
    r = score_phq9(items)
    assert r.total == total
    assert r.severity == band
    assert r.max_total == 27


@pytest.mark.parametrize(("total", "band"), GAD7_BOUNDARIES)
def test_gad7_boundaries(total: int, band: str) -> None:
    r = score_gad7(responses_with_total(7, 3, total))
    assert (r.total, r.severity) == (total, band)


@pytest.mark.parametrize(("total", "band"), ISI_BOUNDARIES)
def test_isi_boundaries(total: int, band: str) -> None:
    r = score_isi(responses_with_total(7, 4, total))
    assert (r.total, r.severity) == (total, band)


@pytest.mark.parametrize(("total", "band"), PCS_BOUNDARIES)
def test_pcs_boundaries(total: int, band: str) -> None:
    r = score_pcs(responses_with_total(13, 4, total))
    assert (r.total, r.severity) == (total, band)


@pytest.mark.parametrize(("worst", "band"), BPI_WORST_BOUNDARIES)
def test_bpi_worst_pain_bands(worst: int, band: str) -> None:
    r = score_bpi([worst, 0, 0, 0] + [0] * 7)
    assert r.severity == band
    assert r.subscales["worst_pain"] == worst


@pytest.mark.parametrize("value", range(11))
def test_nrs_is_banded_like_bpi_worst_pain(value: int) -> None:
    r = score_nrs(value)
    assert r.total == value
    expected = (
        "no pain"
        if value == 0
        else "mild"
        if value <= 4
        else "moderate"
        if value <= 6
        else "severe"
    )
    assert r.severity == expected


def test_every_band_table_is_contiguous_and_covers_range() -> None:
    for name, spec in INSTRUMENTS.items():
        if not spec.bands:
            continue
        assert spec.bands[0].low == 0, name
        for a, b in zip(spec.bands, spec.bands[1:], strict=False):
            assert b.low == a.high + 1, name
        top = spec.bands[-1].high
        assert top == (spec.item_max if name == "bpi" else spec.max_total), name
        assert all(b.source for b in spec.bands)


# ---------------------------------------------------------------- PHQ-9 item 9
@pytest.mark.parametrize("item9", [1, 2, 3])
@pytest.mark.parametrize("rest_total", range(0, 25))
def test_item9_alert_at_every_total(item9: int, rest_total: int) -> None:
    r = score_phq9([*responses_with_total(8, 3, rest_total), item9])
    urgent = [a for a in r.alerts if a.level == "urgent"]
    assert [a.code for a in urgent] == ["phq9_item9_positive"]
    assert r.urgent
    assert r.total == rest_total + item9
    assert "Simon" in urgent[0].source
    assert "whatever the total" in urgent[0].message


@pytest.mark.parametrize("rest_total", range(0, 25))
def test_item9_zero_never_urgent_but_not_called_safe(rest_total: int) -> None:
    r = score_phq9([*responses_with_total(8, 3, rest_total), 0])
    assert not r.urgent
    info = [a for a in r.alerts if a.code == "phq9_item9_negative_not_safe"]
    assert len(info) == 1 and info[0].level == "info"
    assert "does not rule out" in info[0].message


def test_item9_alert_via_generic_score_and_mapping() -> None:
    r = score("PHQ-9", {f"phq9_{i}": 0 for i in range(1, 9)} | {"phq9_9": 2})
    assert r.urgent and r.total == 2 and r.severity == "minimal"


def test_item9_cannot_be_prorated() -> None:
    rule = MissingRule(max_missing=2, source="test protocol")
    with pytest.raises(MissingItemError, match=r"phq9 item 9: .*cannot be imputed"):
        score_phq9([1] * 8 + [None], missing=rule)


# ---------------------------------------------------------------- difficulty
def test_difficulty_kept_apart_from_total() -> None:
    a = score_phq9([1] * 9)
    b = score_phq9([1] * 9, difficulty=3)
    assert a.total == b.total == 9
    assert a.difficulty is None and b.difficulty == 3


def test_difficulty_in_mapping_and_validated() -> None:
    r = score("phq9", {str(i): 1 for i in range(1, 10)} | {"difficulty": 2})
    assert r.difficulty == 2 and r.total == 9
    with pytest.raises(
        ItemValueError, match="phq9 item difficulty: 4 is outside the allowed range 0-3"
    ):
        score_phq9([0] * 9, difficulty=4)


def test_ten_phq9_items_hint_at_difficulty() -> None:
    with pytest.raises(ResponseCountError, match="difficulty"):
        score("phq9", [0] * 10)


# ---------------------------------------------------------------- subscales
def test_pcs_subscales_sum_specific_items() -> None:
    # give each item a distinct value pattern so a wrong item mapping is detected
    items = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2]  # items 1..13
    r = score_pcs(items)
    # rumination 8,9,10,11 -> 2+3+4+0 ; magnification 6,7,13 -> 0+1+2 ;
    # helplessness 1,2,3,4,5,12 -> 0+1+2+3+4+1
    assert r.subscales == {"rumination": 9.0, "magnification": 3.0, "helplessness": 11.0}
    assert r.total == 23.0 == sum(r.subscales.values())


@pytest.mark.parametrize("item", range(1, 14))
def test_pcs_each_item_belongs_to_exactly_one_subscale(item: int) -> None:
    items = [0] * 13
    items[item - 1] = 4
    r = score_pcs(items)
    expected = (
        "rumination"
        if item in (8, 9, 10, 11)
        else "magnification"
        if item in (6, 7, 13)
        else "helplessness"
    )
    assert r.subscales[expected] == 4
    assert sum(r.subscales.values()) == 4


def test_pcs_subscale_maxima() -> None:
    r = score_pcs([4] * 13)
    assert r.subscales == {"rumination": 16.0, "magnification": 12.0, "helplessness": 24.0}
    assert r.total == 52


def test_bpi_severity_and_interference_means() -> None:
    r = score_bpi(
        {
            "worst": 9,
            "least": 3,
            "average": 6,
            "now": 4,
            "general_activity": 7,
            "mood": 8,
            "walking": 5,
            "normal_work": 6,
            "relations": 2,
            "sleep": 9,
            "enjoyment": 5,
        }
    )
    assert r.subscales["severity"] == pytest.approx(22 / 4)
    assert r.subscales["interference"] == pytest.approx(42 / 7)
    assert r.total == r.subscales["severity"]
    assert r.severity == "severe"


# ---------------------------------------------------------------- inputs and errors
def test_mapping_aliases_and_order_independence() -> None:
    seq = [3, 0, 1, 2, 0, 1, 3, 2]
    seq7 = seq[:7]
    expected = score_gad7(seq7)
    for keyfmt in ("gad7_{}", "{}", "item{}", "item_{}", "q{}", "GAD7_{}"):
        mapping = {keyfmt.format(i): v for i, v in reversed(list(enumerate(seq7, start=1)))}
        assert score("gad7", mapping).items == expected.items


def test_numpy_and_integral_float_values_accepted() -> None:
    r = score("isi", np.array([1, 2, 3, 4, 0, 1, 2]))
    assert r.total == 13
    assert score("isi", [1.0, 2.0, 3.0, 4.0, 0.0, 1.0, 2.0]).total == 13


@pytest.mark.parametrize(
    ("responses", "error", "message"),
    [
        (
            [0, 0, 4, 0, 0, 0, 0, 0, 0],
            ItemValueError,
            "phq9 item 3: 4 is outside the allowed range 0-3",
        ),
        (
            [0, 0, 0, 0, 0, 0, 0, 0, -1],
            ItemValueError,
            "phq9 item 9: -1 is outside the allowed range 0-3",
        ),
        ([0, 1.5, 0, 0, 0, 0, 0, 0, 0], ItemValueError, "phq9 item 2: 1.5 is not a whole number"),
        (
            [0, "2", 0, 0, 0, 0, 0, 0, 0],
            ItemValueError,
            "phq9 item 2: '2' \\(str\\) is not a number",
        ),
        ([True, 0, 0, 0, 0, 0, 0, 0, 0], ItemValueError, "phq9 item 1: True is a boolean"),
        ([0, 0, 0, math.inf, 0, 0, 0, 0, 0], ItemValueError, "phq9 item 4: inf is not finite"),
        ([0, 0, 0, 0, math.nan, 0, 0, 0, 0], MissingItemError, "phq9 item 5: missing response"),
        ([0, 0, 0, 0, 0, None, 0, 0, 0], MissingItemError, "phq9 item 6: missing response"),
        ([0] * 8, ResponseCountError, "phq9: expected 9 item responses, got 8"),
        ("000000000", ResponseCountError, "got text"),
    ],
)
def test_invalid_phq9_inputs(responses: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        score("phq9", responses)  # type: ignore[arg-type]


def test_bpi_errors_name_the_item() -> None:
    items = {k: 0 for k in get_spec("bpi").item_keys}
    items["sleep"] = 11
    with pytest.raises(
        ItemValueError, match="bpi item sleep: 11 is outside the allowed range 0-10"
    ):
        score_bpi(items)
    del items["sleep"]
    with pytest.raises(MissingItemError, match="bpi item sleep: missing"):
        score_bpi(items)


def test_unknown_keys_and_duplicates() -> None:
    with pytest.raises(ResponseCountError, match="unknown response key 'phq9_10'"):
        score("phq9", {f"phq9_{i}": 0 for i in range(1, 11)})
    with pytest.raises(ResponseCountError, match="item 1 given twice"):
        score("gad7", {"1": 0, "gad7_1": 0, **{str(i): 0 for i in range(2, 8)}})


def test_unknown_instrument() -> None:
    with pytest.raises(UnknownInstrumentError, match="unknown instrument 'hads'"):
        score("hads", [0])
    assert issubclass(UnknownInstrumentError, InstrumentError)
    assert instrument_names() == ("phq9", "gad7", "nrs", "bpi", "pcs", "isi")


# ---------------------------------------------------------------- missing-data rule
def test_missing_rule_prorates_and_records_source() -> None:
    rule = MissingRule(max_missing=1, source="trial SAP 4.3")
    r = score_gad7([2, 2, 2, None, 2, 2, 2], missing=rule)
    assert r.total == pytest.approx(14.0)
    assert r.missing_items == (4,)
    assert r.missing_rule_source == "trial SAP 4.3"
    assert math.isnan(r.items[3])
    with pytest.raises(
        MissingItemError, match="2 missing responses; the missing-data rule allows at most 1"
    ):
        score_gad7([2, None, 2, None, 2, 2, 2], missing=rule)


def test_missing_rule_protected_items_and_subscale() -> None:
    rule = MissingRule(max_missing=3, source="s", protected_items=(1,))
    with pytest.raises(MissingItemError, match="pcs item 1"):
        score_pcs([None] + [1] * 12, missing=rule)
    # magnification (6, 7, 13) entirely missing cannot be prorated
    items: list[int | None] = [1] * 13
    for i in (6, 7, 13):
        items[i - 1] = None
    with pytest.raises(MissingItemError, match="every item of subscale 'magnification'"):
        score_pcs(items, missing=rule)


def test_missing_rule_bpi_per_subscale_mean() -> None:
    rule = MissingRule(max_missing=3, source="BPI user guide (caller's citation)")
    r = score_bpi([6, 2, 4, 4, 5, None, 5, None, 5, None, 5], missing=rule)
    assert r.subscales["interference"] == 5.0
    assert r.missing_items == (6, 8, 10)
    with pytest.raises(MissingItemError, match="4 missing responses in interference"):
        score_bpi([6, 2, 4, 4, None, None, 5, None, 5, None, 5], missing=rule)


def test_missing_rule_validation() -> None:
    with pytest.raises(ValueError, match="source is required"):
        MissingRule(1, " ")
    with pytest.raises(ValueError, match="max_missing"):
        MissingRule(-1, "s")


def test_alert_level_validated() -> None:
    with pytest.raises(ValueError, match="alert level"):
        Alert("critical", "c", "m", "s")


def test_result_to_dict_is_json_ready() -> None:
    import json

    r = score_phq9([3] * 9, difficulty=3)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["total"] == 27 and d["severity"] == "severe" and d["difficulty"] == 3
    assert d["alerts"][0]["code"] == "phq9_item9_positive"
