"""Statistics against hand-computed values, and endpoint definitions on hand-made visits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpatwin.trials.endpoints import CATALOGUE, configure_endpoint
from hpatwin.trials.spec import EndpointSpec
from hpatwin.trials.statistics import (
    EndpointColumn,
    bootstrap_distribution,
    cohens_d,
    compare,
    effect_table,
    endpoint_table,
    hedges_g,
    mean_difference,
    p_value,
    percentile_interval,
    pooled_sd,
    risk_difference,
    seeded_generator,
    wilson_interval,
)

TREATED = np.array([3.0, 5.0, 7.0])
CONTROL = np.array([1.0, 2.0, 3.0])


def test_continuous_effect_sizes_match_hand_computation() -> None:
    # means 5 and 2; sample variances 4 and 1; pooled variance (2·4 + 2·1) / 4 = 2.5
    assert mean_difference(TREATED, CONTROL) == 3.0
    assert float(pooled_sd(TREATED, CONTROL)) == pytest.approx(math.sqrt(2.5), rel=1e-15)
    assert float(cohens_d(TREATED, CONTROL)) == pytest.approx(3 / math.sqrt(2.5), rel=1e-14)
    # J = 1 − 3 / (4·6 − 9) = 0.8
    assert float(hedges_g(TREATED, CONTROL)) == pytest.approx(0.8 * 3 / math.sqrt(2.5), rel=1e-14)
    # Welch: t = 3 / sqrt(4/3 + 1/3), df = (5/3)² / ((4/3)²/2 + (1/3)²/2) = 50/17
    t = 3 / math.sqrt(5 / 3)
    expected_p = 2 * stats.t.sf(t, 50 / 17)
    assert p_value(TREATED, CONTROL, "continuous") == pytest.approx(expected_p, rel=1e-12)


def test_binary_effect_matches_hand_computation() -> None:
    treated = np.array([1.0, 1.0, 0.0, 1.0])
    control = np.array([0.0, 1.0, 0.0, 0.0])
    assert float(risk_difference(treated, control)) == 0.5
    # Fisher: hypergeometric weights C(4,k)C(4,4-k)/70 = 1,16,36,16,1; observed k=3 → (1+16+16+1)/70
    assert p_value(treated, control, "binary") == pytest.approx(34 / 70, rel=1e-12)
    low, high = wilson_interval(3, 4, 0.95)
    z = stats.norm.ppf(0.975)
    centre = (0.75 + z * z / 8) / (1 + z * z / 4)
    half = z * math.sqrt(0.75 * 0.25 / 4 + z * z / 64) / (1 + z * z / 4)
    assert (low, high) == pytest.approx((centre - half, centre + half), rel=1e-12)


def test_bootstrap_follows_the_documented_scheme() -> None:
    rng = seeded_generator(7, "x", "arm", "control")
    values = bootstrap_distribution(TREATED, CONTROL, mean_difference, n_bootstrap=50, rng=rng)
    replay = seeded_generator(7, "x", "arm", "control")
    index_t = replay.integers(0, 3, size=(50, 3))
    index_c = replay.integers(0, 3, size=(50, 3))
    expected = TREATED[index_t].mean(axis=1) - CONTROL[index_c].mean(axis=1)
    np.testing.assert_array_equal(values, expected)
    assert percentile_interval(values, 0.9) == tuple(np.quantile(expected, [0.05, 0.95]))


def test_compare_degenerate_and_seeded() -> None:
    same = compare(
        np.full(4, 2.0),
        np.full(5, 1.0),
        "continuous",
        n_bootstrap=100,
        confidence=0.95,
        rng=np.random.default_rng(0),
    )
    assert (same.estimate, same.ci_low, same.ci_high) == (1.0, 1.0, 1.0)
    assert math.isnan(same.hedges_g)  # zero spread: no standardised effect
    first = compare(
        TREATED,
        CONTROL,
        "continuous",
        n_bootstrap=300,
        confidence=0.95,
        rng=seeded_generator(1, "a"),
    )
    again = compare(
        TREATED,
        CONTROL,
        "continuous",
        n_bootstrap=300,
        confidence=0.95,
        rng=seeded_generator(1, "a"),
    )
    other = compare(
        TREATED,
        CONTROL,
        "continuous",
        n_bootstrap=300,
        confidence=0.95,
        rng=seeded_generator(2, "a"),
    )
    assert first == again
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.ci_low <= 3.0 <= first.ci_high
    nan_dropped = compare(
        np.r_[TREATED, np.nan],
        CONTROL,
        "continuous",
        n_bootstrap=10,
        confidence=0.95,
        rng=np.random.default_rng(0),
    )
    assert nan_dropped.n_treated == 3 and nan_dropped.estimate == 3.0


def test_tables_per_arm_and_effects() -> None:
    patients = pd.DataFrame(
        {
            "arm": ["c", "c", "c", "t", "t", "t", "t"],
            "endpoint:x": [1.0, 2.0, 3.0, 3.0, 5.0, 7.0, np.nan],
            "endpoint:r": [0.0, 1.0, 0.0, 1.0, 1.0, np.nan, 0.0],
        }
    )
    columns = [EndpointColumn("x", "continuous"), EndpointColumn("r", "binary")]
    summary = endpoint_table(patients, columns, ["c", "t"]).set_index(["endpoint", "arm"])
    assert summary.loc[("x", "t"), "n"] == 3
    assert summary.loc[("x", "t"), "mean"] == 5.0
    assert summary.loc[("x", "t"), "sd"] == 2.0
    assert summary.loc[("r", "t"), "rate"] == pytest.approx(2 / 3)
    assert summary.loc[("r", "c"), "events"] == 1
    effects = effect_table(patients, columns, ["c", "t"], "c", n_bootstrap=100, primary="x")
    x = effects[effects["endpoint"] == "x"].iloc[0]
    assert x["estimate"] == 3.0 and bool(x["primary"])
    assert x["hedges_g"] == pytest.approx(0.8 * 3 / math.sqrt(2.5))
    r = effects[effects["endpoint"] == "r"].iloc[0]
    assert r["estimate"] == pytest.approx(2 / 3 - 1 / 3)
    assert r["test"] == "Fisher exact"


def _evaluate(
    name: str, base: dict[str, list[float]], final: dict[str, list[float]], **kw: object
) -> list[float]:
    endpoint = configure_endpoint(EndpointSpec.model_validate({"name": name, **kw}), (0, 28))
    visits = {(m, 0): np.array(v) for m, v in base.items()}
    visits |= {(m, 28): np.array(v) for m, v in final.items()}
    return [float(v) for v in endpoint.evaluate(visits)]


def test_depression_and_pain_endpoints() -> None:
    base = {"phq9": [20.0, 20.0, 0.0, 10.0]}
    final = {"phq9": [10.0, 10.5, 0.0, 4.0]}
    response = _evaluate("phq9_response", base, final)
    assert response[:2] == [1.0, 0.0] and math.isnan(response[2]) and response[3] == 1.0
    assert _evaluate("phq9_remission", {"phq9": [9, 9]}, {"phq9": [4.9, 5.0]}) == [1.0, 0.0]
    assert _evaluate("phq9_response", base, final, threshold=0.55)[:2] == [0.0, 0.0]
    assert _evaluate("phq9_change", base, final) == [-10.0, -9.5, 0.0, -6.0]
    pain = {"pain_nrs": [10.0, 10.0]}
    assert _evaluate("pain_reduction_30", pain, {"pain_nrs": [7.0, 7.1]}) == [1.0, 0.0]
    assert _evaluate("pain_reduction_50", pain, {"pain_nrs": [5.0, 5.01]}) == [1.0, 0.0]
    assert _evaluate("pain_nrs_percent_change", pain, {"pain_nrs": [7.0, 12.0]}) == pytest.approx(
        [-30.0, 20.0]
    )
    assert "Dworkin" in CATALOGUE["pain_reduction_30"].source


def test_slope_normalisation_definitions() -> None:
    # A abnormal (evening 4) → normal; B normal at baseline (not applicable); C abnormal → abnormal
    base = {
        "cortisol_morning": [12.0, 12.0, 30.0],
        "cortisol_evening": [4.0, 1.0, 5.0],
        "cortisol_slope": [(4 - 12) / 15, (1 - 12) / 15, (5 - 30) / 15],
    }
    final = {
        "cortisol_morning": [10.0, 12.0, 25.0],
        "cortisol_evening": [2.0, 1.0, 3.0],
        "cortisol_slope": [(2 - 10) / 15, (1 - 12) / 15, (3 - 25) / 15],
    }
    values = _evaluate("slope_normalisation", base, final)
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == 0.0
    # with an immunoassay-type late-night cut-off of 6.1 nmol/L, A and C are normal at baseline only if
    # their mornings are in range: A is (not applicable), C is not (morning 30 > 20.7) and stays abnormal
    assumed = _evaluate("slope_normalisation", base, final, threshold=6.1)
    assert math.isnan(assumed[0]) and assumed[2] == 0.0
    by_slope = _evaluate(
        "slope_normalisation", base, final, definition="slope_threshold", threshold=-0.6
    )
    # slopes: A −0.533 → −0.533 (abnormal, stays), B −0.733 (normal), C −1.667 (normal)
    assert by_slope[0] == 0.0 and math.isnan(by_slope[1]) and math.isnan(by_slope[2])
