"""Property tests: valid responses score in range; invalid ones raise, naming the item."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.clinic.instruments import (
    INSTRUMENTS,
    InstrumentError,
    ItemValueError,
    MissingItemError,
    ResponseCountError,
    get_spec,
    score,
)

NAMES = sorted(INSTRUMENTS)
SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def valid_responses(draw: st.DrawFn) -> tuple[str, list[int]]:
    name = draw(st.sampled_from(NAMES))
    spec = get_spec(name)
    items = draw(
        st.lists(
            st.integers(spec.item_min, spec.item_max), min_size=spec.n_items, max_size=spec.n_items
        )
    )
    return name, items


def item_label(name: str, index: int) -> str:
    spec = get_spec(name)
    return spec.item_keys[index] if name == "bpi" else str(index + 1)


@SETTINGS
@given(valid_responses())
def test_valid_responses_score_within_range(case: tuple[str, list[int]]) -> None:
    name, items = case
    spec = get_spec(name)
    r = score(name, items)
    assert 0 <= r.total <= spec.max_total
    assert r.items == tuple(items)
    if name == "bpi":
        assert r.total == pytest.approx(sum(items[:4]) / 4)
        assert r.subscales["interference"] == pytest.approx(sum(items[4:]) / 7)
    else:
        assert r.total == sum(items)
        assert sum(r.subscales.values()) in (0, r.total)  # PCS subscales partition the items
    if spec.bands:
        labels = {b.label for b in spec.bands}
        assert r.severity in labels
    else:
        assert r.severity is None
    if name == "phq9":
        assert r.urgent == (items[8] >= 1)
    # the mapping form scores identically
    assert score(name, dict(zip(spec.item_keys, items, strict=True))).total == r.total


bad_values = st.one_of(
    st.integers().filter(lambda v: v < 0 or v > 10),  # out of range for every instrument
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: not float(v).is_integer()),
    st.sampled_from([math.inf, -math.inf]),
    st.text(max_size=5),
    st.booleans(),
    st.sampled_from([[1], {"a": 1}, b"1", object()]),
)


@SETTINGS
@given(valid_responses(), st.data(), bad_values)
def test_one_invalid_item_raises_naming_it(
    case: tuple[str, list[int]], data: st.DataObject, bad: object
) -> None:
    name, items = case
    index = data.draw(st.integers(0, len(items) - 1))
    responses: list[object] = list(items)
    responses[index] = bad
    with pytest.raises(ItemValueError) as info:
        score(name, responses)
    assert re.match(rf"{name} item {re.escape(item_label(name, index))}: ", str(info.value))


@SETTINGS
@given(valid_responses(), st.data())
def test_out_of_range_integer_message(case: tuple[str, list[int]], data: st.DataObject) -> None:
    name, items = case
    spec = get_spec(name)
    index = data.draw(st.integers(0, len(items) - 1))
    bad = data.draw(
        st.one_of(
            st.integers(max_value=spec.item_min - 1), st.integers(min_value=spec.item_max + 1)
        )
    )
    items[index] = bad
    with pytest.raises(ItemValueError) as info:
        score(name, items)
    assert str(info.value) == (
        f"{name} item {item_label(name, index)}: {bad} is outside the allowed range "
        f"{spec.item_min}-{spec.item_max}"
    )


@SETTINGS
@given(valid_responses(), st.data(), st.sampled_from([None, math.nan]))
def test_missing_item_without_rule_raises(
    case: tuple[str, list[int]], data: st.DataObject, missing: object
) -> None:
    name, items = case
    index = data.draw(st.integers(0, len(items) - 1))
    responses: list[object] = list(items)
    responses[index] = missing
    with pytest.raises(MissingItemError) as info:
        score(name, responses)
    assert str(info.value).startswith(f"{name} item {item_label(name, index)}: missing")


@SETTINGS
@given(st.sampled_from(NAMES), st.data())
def test_wrong_count_raises(name: str, data: st.DataObject) -> None:
    spec = get_spec(name)
    n = data.draw(st.integers(0, 20).filter(lambda k: k != spec.n_items))
    items = [spec.item_min] * n
    if name == "nrs" and n == 1:
        return
    with pytest.raises(
        ResponseCountError, match=f"expected {spec.n_items} item responses, got {n}"
    ):
        score(name, items)


@SETTINGS
@given(valid_responses(), st.data())
def test_dropped_mapping_key_raises_naming_item(
    case: tuple[str, list[int]], data: st.DataObject
) -> None:
    name, items = case
    spec = get_spec(name)
    mapping = dict(zip(spec.item_keys, items, strict=True))
    index = data.draw(st.integers(0, len(items) - 1))
    del mapping[spec.item_keys[index]]
    with pytest.raises(InstrumentError, match=f"{name} item {re.escape(item_label(name, index))}:"):
        score(name, mapping)
