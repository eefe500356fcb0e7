"""ANCOVA and baseline-SD Hedges' g against closed forms (property tests)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.trials.primary_analysis import ancova, hedges_g_baseline_sd
from hpatwin.trials.statistics import hedges_correction

values = st.lists(st.floats(-30, 30, allow_nan=False), min_size=3, max_size=12)


def _closed_form(y_t: np.ndarray, x_t: np.ndarray, y_c: np.ndarray, x_c: np.ndarray) -> float:
    """Two-group ANCOVA: mean difference minus the pooled within-group slope × baseline gap."""
    sxy = ((x_t - x_t.mean()) * (y_t - y_t.mean())).sum() + (
        (x_c - x_c.mean()) * (y_c - y_c.mean())
    ).sum()
    sxx = ((x_t - x_t.mean()) ** 2).sum() + ((x_c - x_c.mean()) ** 2).sum()
    slope = sxy / sxx
    return float((y_t.mean() - y_c.mean()) - slope * (x_t.mean() - x_c.mean()))


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_ancova_equals_the_two_group_closed_form(data: st.DataObject) -> None:
    y_t, x_t = np.array(data.draw(values)), np.array(data.draw(values))
    y_c, x_c = np.array(data.draw(values)), np.array(data.draw(values))
    n_t, n_c = min(len(y_t), len(x_t)), min(len(y_c), len(x_c))
    y_t, x_t, y_c, x_c = y_t[:n_t], x_t[:n_t], y_c[:n_c], x_c[:n_c]
    sxx = ((x_t - x_t.mean()) ** 2).sum() + ((x_c - x_c.mean()) ** 2).sum()
    if sxx < 1e-3:
        return  # no baseline spread within groups: the slope is not identified
    result = ancova(
        np.r_[y_t, y_c],
        np.r_[np.ones(n_t, bool), np.zeros(n_c, bool)],
        np.r_[x_t, x_c],
        confidence=0.95,
    )
    assert result.estimate == pytest.approx(_closed_form(y_t, x_t, y_c, x_c), abs=1e-6)
    assert result.n == n_t + n_c
    if np.isfinite(result.ci_low):
        assert result.ci_low <= result.estimate <= result.ci_high


def test_ancova_drops_rows_with_missing_values_and_reports_n() -> None:
    outcome = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 7.0])
    baseline = np.array([1.0, 2.0, 3.0, np.nan, 2.0, 3.0])
    treated = np.array([False, False, False, True, True, True])
    assert ancova(outcome, treated, baseline, confidence=0.9).n == 4


@given(values, values)
@settings(max_examples=60, deadline=None)
def test_baseline_sd_g_is_the_change_difference_over_the_pooled_baseline_sd(
    change: list[float], baseline: list[float]
) -> None:
    n = min(len(change), len(baseline))
    pairs = np.column_stack([change[:n], baseline[:n]])
    treated, control = pairs, pairs[::-1] + np.array([1.0, 0.0])
    pooled = np.sqrt(
        ((n - 1) * pairs[:, 1].var(ddof=1) + (n - 1) * control[:, 1].var(ddof=1)) / (2 * n - 2)
    )
    if pooled < 1e-6:
        return
    expected = hedges_correction(n, n) * (treated[:, 0].mean() - control[:, 0].mean()) / pooled
    assert float(hedges_g_baseline_sd(treated, control)) == pytest.approx(expected, rel=1e-9)
