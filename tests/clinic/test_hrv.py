"""HRV: agreement with NeuroKit2 (recorded and live), artefacts, minimum length, input checks."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.clinic.hrv import (
    HrvConfig,
    HrvError,
    RecordingTooShortError,
    TooManyArtefactsError,
    correct_artefacts,
    detect_artefacts,
    hrv_time_domain,
    time_domain_metrics,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "hrv_neurokit2_reference.json").read_text(encoding="utf-8")
)
FIELDS = (
    "mean_nn_ms",
    "median_nn_ms",
    "sdnn_ms",
    "rmssd_ms",
    "sdsd_ms",
    "pnn50_pct",
    "pnn20_pct",
    "cvnn",
)
TOL = 1e-6


def ours(rr: np.ndarray, deleted: list[int], denominator: str) -> dict[str, float]:
    flags = np.zeros(rr.size, dtype=bool)
    flags[deleted] = True
    nn, valid = correct_artefacts(rr, flags, "delete")
    return time_domain_metrics(nn, valid, denominator)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(REFERENCE["series"]))
def test_matches_recorded_neurokit2(name: str) -> None:
    case = REFERENCE["series"][name]
    rr = np.asarray(case["rr_ms"])
    mine = ours(rr, case["deleted"], "intervals")
    for field in FIELDS:
        assert abs(mine[field] - case["neurokit2"][field]) < TOL, field


@pytest.mark.parametrize("name", sorted(REFERENCE["series"]))
def test_pnn50_denominator_difference_is_exactly_n_over_n_minus_1(name: str) -> None:
    case = REFERENCE["series"][name]
    rr = np.asarray(case["rr_ms"])
    by_diffs = ours(rr, case["deleted"], "differences")
    n_diff = by_diffs["n_differences"]
    for field in ("pnn50_pct", "pnn20_pct"):
        expected = case["neurokit2"][field] * (n_diff + 1) / n_diff
        assert by_diffs[field] == pytest.approx(expected, abs=TOL)


def _nk_time(rr: np.ndarray) -> Any:
    nk = pytest.importorskip("neurokit2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nk.hrv_time({"RRI": rr, "RRI_Time": np.cumsum(rr) / 1000.0})


NK_COLUMNS = {
    "mean_nn_ms": "HRV_MeanNN",
    "median_nn_ms": "HRV_MedianNN",
    "sdnn_ms": "HRV_SDNN",
    "rmssd_ms": "HRV_RMSSD",
    "sdsd_ms": "HRV_SDSD",
    "pnn50_pct": "HRV_pNN50",
    "pnn20_pct": "HRV_pNN20",
    "cvnn": "HRV_CVNN",
}


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.floats(500, 1200),
    st.floats(1, 120),
    st.integers(10, 800),
)
def test_matches_live_neurokit2(seed: int, mean: float, sd: float, n: int) -> None:
    """Runs where NeuroKit2 is installed (``pip install -e .[oracle]``); skipped otherwise."""
    rr = np.random.default_rng(seed).normal(mean, sd, n).clip(200, 3000)
    out = _nk_time(rr)
    mine = time_domain_metrics(rr, pnn_denominator="intervals")
    worst = max(abs(mine[k] - float(out[c].iloc[0])) for k, c in NK_COLUMNS.items())
    assert worst < TOL


def test_hand_computed_small_series() -> None:
    m = time_domain_metrics([800, 860, 790, 850])
    # diffs 60, -70, 60
    assert m["mean_nn_ms"] == 825.0
    assert m["rmssd_ms"] == pytest.approx(math.sqrt((3600 + 4900 + 3600) / 3))
    assert m["sdnn_ms"] == pytest.approx(np.std([800, 860, 790, 850], ddof=1))
    assert m["pnn50_pct"] == pytest.approx(100.0)
    assert m["pnn20_pct"] == pytest.approx(100.0)
    assert m["mean_hr_bpm"] == pytest.approx(60000 / 825)


# ---------------------------------------------------------------- artefacts
def test_artefacts_detected_counted_and_interpolated() -> None:
    rng = np.random.default_rng(7)
    rr = rng.normal(800, 20, 450)
    rr[[100, 250, 251, 400]] = [1600.0, 380.0, 420.0, 2500.0]  # missed beat, extra beat split, gap
    r = hrv_time_domain(rr)
    assert r.n_artefacts == 4
    assert r.artefact_indices == (100, 250, 251, 400)
    assert r.n_nn == 450 and r.correction == "interpolate"
    clean = hrv_time_domain(np.delete(rr, [100, 250, 251, 400]))
    assert r.rmssd_ms == pytest.approx(clean.rmssd_ms, rel=0.05)
    assert r.alerts == ()  # 4/450 < 5 %


def test_delete_correction_excludes_differences_across_gaps() -> None:
    rr = np.array([800.0, 810, 2000, 790, 805] * 80)
    cfg = HrvConfig(correction="delete")
    r = hrv_time_domain(rr, cfg)
    assert r.n_artefacts == 80 and r.n_nn == 320
    # kept blocks of 2 and 2 separated by deletions or contiguous across block boundary
    _, valid = correct_artefacts(rr, detect_artefacts(rr, cfg), "delete")
    assert valid.sum() == r.n_differences
    assert r.alerts[0].code == "hrv_many_artefacts"


def test_no_correction_keeps_artefacts_but_reports_them() -> None:
    rr = np.full(400, 800.0)
    rr[10] = 1600.0
    r = hrv_time_domain(rr, HrvConfig(correction="none"))
    assert r.n_artefacts == 1 and r.sdnn_ms > 0


def test_relative_deviation_threshold_is_configurable() -> None:
    rr = np.full(400, 800.0)
    rr[200] = 900.0  # 12.5 % above local median
    assert hrv_time_domain(rr).n_artefacts == 0
    assert hrv_time_domain(rr, HrvConfig(max_relative_deviation=0.10)).n_artefacts == 1


def test_too_many_artefacts_refused() -> None:
    rr = np.tile([800.0, 250.0], 300)
    with pytest.raises(TooManyArtefactsError, match="300 of 600 intervals"):
        hrv_time_domain(rr)


# ---------------------------------------------------------------- length and input
def test_refuses_below_minimum_length() -> None:
    rr = np.full(374, 800.0)  # 299.2 s
    with pytest.raises(RecordingTooShortError, match="below the minimum of 300 s"):
        hrv_time_domain(rr)
    assert hrv_time_domain(np.full(375, 800.0)).duration_s == pytest.approx(300.0)


def test_ultra_short_allowed_when_configured_with_alert() -> None:
    r = hrv_time_domain(np.full(100, 800.0), HrvConfig(min_duration_s=60))
    assert [a.code for a in r.alerts] == ["hrv_ultra_short"]
    assert "Nunan" in r.alerts[0].source


@pytest.mark.parametrize(
    ("rr", "message"),
    [
        ([0.8] * 500, "looks like seconds"),
        ([800.0] * 200 + [math.nan] + [800.0] * 200, "interval 200: nan is not finite"),
        ([800.0] * 200 + [-5.0] + [800.0] * 200, "interval 200: -5.0 ms must be positive"),
        ([800.0] * 10 + ["x"] + [800.0] * 400, "interval 10: 'x' is not a number"),
        ([60000.0] * 10, "not a plausible RR interval"),
        ("800,810", "got text"),
        ([800.0, 810.0], "at least 3"),
    ],
)
def test_invalid_input(rr: object, message: str) -> None:
    with pytest.raises(HrvError, match=message):
        hrv_time_domain(rr)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_duration_s": 0}, "min_duration_s"),
        ({"min_rr_ms": 900, "max_rr_ms": 800}, "max_rr_ms must exceed"),
        ({"max_artefact_fraction": 1.5}, "outside the allowed range"),
        ({"correction": "spline"}, "correction"),
        ({"pnn_denominator": "beats"}, "pnn_denominator"),
        ({"min_intervals": 2}, "min_intervals"),
    ],
)
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(HrvError, match=message):
        HrvConfig(**kwargs)


def test_to_dict_json_ready() -> None:
    d = hrv_time_domain(np.full(400, 750.0)).to_dict()
    assert json.loads(json.dumps(d))["mean_hr_bpm"] == 80.0


def test_a_gap_does_not_count_towards_five_minutes() -> None:
    """Issue #17: 11 beats and one 300-s gap passed the 5-minute rule."""
    import pytest

    from hpatwin.clinic.hrv import RecordingTooShortError, hrv_time_domain

    rr = [800.0] * 5 + [300_000.0] + [800.0] * 5
    with pytest.raises(RecordingTooShortError, match="gaps over 2000 ms excluded"):
        hrv_time_domain(rr)
