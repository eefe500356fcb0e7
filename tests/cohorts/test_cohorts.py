"""Virtual populations and the calibration of the twin against epidemiology targets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hpatwin.cohorts import InjuryRisk, generate_population, population_parameters
from hpatwin.cohorts.calibration import calibrate


def test_patients_do_not_depend_on_population_size() -> None:
    whole = generate_population(40, {"chronic_pain": 0.5, "depression": 0.5}, seed=11)
    tail = generate_population(
        15, {"chronic_pain": 0.5, "depression": 0.5}, seed=11, first_patient=25
    )
    assert whole.iloc[25:].reset_index(drop=True).equals(tail)
    assert not whole.equals(
        generate_population(40, {"chronic_pain": 0.5, "depression": 0.5}, seed=12)
    )


def test_mix_covariates_and_variability() -> None:
    pop = generate_population(
        2000,
        {"chronic_pain": 0.25, "healthy": 0.75},
        seed=3,
        injury=InjuryRisk(yearly_probability=0.4),
    )
    assert abs((pop["phenotype"] == "chronic_pain").mean() - 0.25) < 0.04
    assert pop["age_years"].between(18, 90).all()
    assert set(pop["sex"]) == {"female", "male"}
    pain = pop.loc[pop["phenotype"] == "chronic_pain", "param:tissue_nociception"]
    healthy = pop.loc[pop["phenotype"] == "healthy", "param:tissue_nociception"]
    assert np.median(pain) > 2 * np.median(healthy)
    assert 0.3 < (pop["param:injury_nociception"] > 0).mean() < 0.5
    params = population_parameters(pop)
    assert params["tissue_nociception"].shape == (2000,)
    assert "age_years" not in params


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0, "phenotype_mix": "healthy"}, "n: "),
        ({"n": 5, "phenotype_mix": {"zombie": 1.0}}, "unknown phenotype"),
        ({"n": 5, "phenotype_mix": {"healthy": -1.0}}, r"phenotype_mix\[healthy\]"),
        ({"n": 5, "phenotype_mix": {}}, "phenotype_mix"),
    ],
)
def test_bad_population_requests(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_population(**kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def figures_2000() -> Any:
    """The epidemiology calibration on 2,000 patients per phenotype (computed once)."""
    return calibrate(2000, chunk=1000)


@pytest.mark.slow
def test_chronic_pain_leads_to_depression_in_30_to_60_percent(figures_2000: Any) -> None:
    # among chronic-pain patients, 30-60 % reach PHQ-9 ≥ 10 within one year
    assert 0.30 <= figures_2000.chronic_pain_share_phq9_10_within_year <= 0.60


@pytest.mark.slow
def test_depression_raises_persistent_pain_2_to_4_fold(figures_2000: Any) -> None:
    # depressed people develop persistent pain 2-4 times as often as non-depressed ones
    assert 2.0 <= figures_2000.persistent_pain_relative_risk <= 4.0


@pytest.mark.slow
def test_morning_cortisol_is_raised_in_depression(figures_2000: Any) -> None:
    # morning cortisol, depressed vs non-depressed: d between 0.3 and 0.6
    assert 0.3 <= figures_2000.morning_cortisol_cohens_d <= 0.6
