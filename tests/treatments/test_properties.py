"""Property tests: compiled schedules are non-negative, on the 10-minute grid, EA shares sum to
the relative intensity, and dose-rate integrals equal the planned milligrams."""

from __future__ import annotations

import itertools
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.treatments import (
    DRUG_KEYS,
    TREATMENT_INPUTS,
    TreatmentPlan,
    compile_plan,
    frequency_shares,
    load_drug_catalogue,
    low_frequency_share,
)
from hpatwin.treatments.plan import EASession, parse_frequency

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)

frequencies = st.one_of(
    st.sampled_from(["2", "100", "2/100", "2 Hz", "4/20"]),
    st.floats(min_value=0.5, max_value=200.0, allow_nan=False),
)
currents = st.floats(min_value=0.05, max_value=20.0, allow_nan=False)


def _intensity_and_tolerance(draw: st.DrawFn) -> dict[str, float]:
    tolerance = draw(currents)
    relative = draw(st.floats(min_value=0.01, max_value=1.5))
    return {"intensity_ma": max(0.05, min(20.0, tolerance * relative)), "tolerance_ma": tolerance}


@st.composite
def session(draw: st.DrawFn, day: int, hour: int) -> tuple[str, dict[str, Any]]:
    """A session of a random kind inside the hour ``hour`` of ``day`` (≤ 50 min, start ≤ :09)."""
    start = f"{hour:02d}:{draw(st.integers(0, 4)):02d}"
    duration = draw(st.sampled_from([10, 20, 30, 40, 50]))
    kind = draw(st.sampled_from(["ea", "sham", "manual", "dry", "cbt"]))
    common = {"day": day, "start": start, "duration_min": duration}
    if kind == "ea":
        return "ea_sessions", {
            **common,
            "frequency": draw(frequencies),
            **_intensity_and_tolerance(draw),
            "points": draw(st.sampled_from([["GV20", "EX-HN3"], ["BL23", "BL25", "PC6", "LI4"]])),
        }
    if kind == "sham":
        return "sham_sessions", common
    if kind == "manual":
        return "manual_acupuncture_sessions", {**common, "points": ["ST36"]}
    if kind == "dry":
        region = draw(st.sampled_from(["cervical", "periscapular", "lumbar"]))
        muscle = {
            "cervical": "upper_trapezius",
            "periscapular": "rhomboids",
            "lumbar": "quadratus_lumborum",
        }[region]
        return "dry_needling_sessions", {**common, "region": region, "muscle": muscle}
    return "cbt_sessions", common


@st.composite
def drug_entry(draw: st.DrawFn, key: str) -> dict[str, Any]:
    hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True))
    times = [f"{h:02d}:{draw(st.integers(0, 54)):02d}" for h in hours]
    maximum = load_drug_catalogue()[key].max_daily_dose.mg_per_day
    dose = draw(st.floats(min_value=0.5, max_value=maximum / len(times), allow_nan=False))
    start_day = draw(st.integers(0, 10))
    end_day = draw(st.one_of(st.none(), st.integers(start_day + 1, start_day + 25)))
    return {
        "name": key,
        "dose_mg": dose,
        "times": times,
        "start_day": start_day,
        "end_day": end_day,
    }


@st.composite
def plans(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    slots = draw(
        st.lists(st.tuples(st.integers(0, 20), st.integers(0, 23)), max_size=12, unique=True)
    )
    data: dict[str, list[dict[str, Any]]] = {}
    for day, hour in slots:
        field, entry = draw(session(day, hour))
        data.setdefault(field, []).append(entry)
    keys = draw(st.lists(st.sampled_from(DRUG_KEYS), max_size=3, unique=True))
    data["drugs"] = [draw(drug_entry(key)) for key in keys]
    return data, draw(st.integers(1, 30))


@PROPERTY_SETTINGS
@given(plans())
def test_schedules_are_nonnegative_piecewise_constant_on_the_grid(
    case: tuple[dict[str, Any], int],
) -> None:
    data, days = case
    compiled = compile_plan(TreatmentPlan.parse(data), days=days)
    assert set(compiled.inputs) == set(TREATMENT_INPUTS)
    for name, schedule in compiled.inputs.items():
        times = [t for t, _ in schedule.changes]
        values = [v for _, v in schedule.changes]
        assert times[0] == 0.0, name
        assert all(t == int(t) and int(t) % 10 == 0 for t in times), name
        assert all(0 <= t < compiled.horizon_min for t in times), name
        assert all(a < b for a, b in itertools.pairwise(times)), name
        assert all(math.isfinite(v) and v >= 0 for v in values), name
        assert all(a != b for a, b in itertools.pairwise(values)), name


@PROPERTY_SETTINGS
@given(plans())
def test_ea_shares_sum_to_the_relative_intensity(case: tuple[dict[str, Any], int]) -> None:
    data, days = case
    plan = TreatmentPlan.parse(data)
    compiled = compile_plan(plan, days=days)
    low = compiled.inputs["ea_low_frequency_drive"]
    high = compiled.inputs["ea_high_frequency_drive"]
    alternating = compiled.inputs["ea_alternating"]
    ea_blocks = [b for b in plan.session_blocks() if isinstance(b.session, EASession)]
    probe_times = {t for t, _ in low.changes} | {t for t, _ in high.changes}
    probe_times |= {b.start_min + 5 for b in plan.session_blocks()}
    for time in sorted(t for t in probe_times if t < compiled.horizon_min):
        active = [b for b in ea_blocks if b.start_min <= time < b.end_min]
        total = low.value_at(time) + high.value_at(time)
        if not active:
            assert total == 0.0 and alternating.value_at(time) == 0.0
            continue
        (block,) = active  # sessions never overlap
        session = block.session
        assert isinstance(session, EASession)
        relative = min(session.intensity_ma / session.tolerance_ma, 1.5)
        low_share, _, is_alternating = frequency_shares(parse_frequency(session.frequency))
        assert math.isclose(total, relative, rel_tol=1e-12)
        assert math.isclose(low.value_at(time), relative * low_share, rel_tol=1e-12, abs_tol=1e-15)
        assert alternating.value_at(time) == (1.0 if is_alternating else 0.0)


@PROPERTY_SETTINGS
@given(plans())
def test_dose_rate_integrals_equal_the_planned_milligrams(case: tuple[dict[str, Any], int]) -> None:
    data, days = case
    compiled = compile_plan(TreatmentPlan.parse(data), days=days)
    for entry in data["drugs"]:
        stop = days if entry["end_day"] is None else min(days, entry["end_day"])
        dosing_days = max(0, stop - entry["start_day"])
        expected = entry["dose_mg"] * len(entry["times"]) * dosing_days
        schedule = compiled.inputs[f"{entry['name']}_dose_rate_mg_per_min"]
        changes = [*list(schedule.changes), (float(compiled.horizon_min), 0.0)]
        integral = sum(v * (t1 - t0) for (t0, v), (t1, _) in itertools.pairwise(changes))
        assert math.isclose(integral, expected, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(
            compiled.planned_total_mg.get(entry["name"], 0.0), expected, rel_tol=1e-9, abs_tol=1e-9
        )
        # every dose is a 10-minute block at dose/10 mg/min
        rates = {v for _, v in schedule.changes if v > 0}
        assert rates <= {entry["dose_mg"] / 10}


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.5, max_value=200.0), st.floats(min_value=0.5, max_value=200.0))
def test_low_frequency_share_is_a_monotone_fraction(f1: float, f2: float) -> None:
    lo, hi = sorted((f1, f2))
    assert 0.0 <= low_frequency_share(hi) <= low_frequency_share(lo) <= 1.0
