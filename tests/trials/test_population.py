"""The population generator and randomisation: per-patient seeding, mixes, variability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hpatwin.trials import allocate_arms, generate_population
from hpatwin.trials.spec import PopulationSpec, RandomisationSpec, TrialSpecError


def _spec(size: int, **kw: object) -> PopulationSpec:
    base: dict[str, object] = {
        "size": size,
        "seed": 11,
        "phenotypes": {"healthy": 0.2, "chronic_stress": 0.5, "gr_resistant": 0.3},
        "variability": {"cortisol_half_life_min": 0.2},
        "female_fraction": 0.6,
        "factors": {
            "pregnancy_fraction": 0.5,
            "hepatic_impairment": {"none": 0.8, "mild": 0.2},
            "comedication": {"ssri": 0.25, "opioid": 0.1},
        },
    }
    base.update(kw)
    return PopulationSpec.model_validate(base)


def test_patient_i_does_not_depend_on_population_size() -> None:
    small = generate_population(_spec(10), "hpa_core")
    large = generate_population(_spec(3000), "hpa_core")
    pd.testing.assert_frame_equal(small, large.iloc[:10])


def test_mix_variability_and_covariates() -> None:
    table = generate_population(_spec(3000), "hpa_core")
    shares = table["phenotype"].value_counts(normalize=True)
    assert shares["chronic_stress"] == pytest.approx(0.5, abs=0.04)
    assert shares["healthy"] == pytest.approx(0.2, abs=0.04)
    half_life = table["param:cortisol_half_life_min"]
    assert half_life.std() / half_life.mean() == pytest.approx(0.2, abs=0.03)
    resistant = table.loc[table["phenotype"] == "gr_resistant", "param:gr_expression_capacity"]
    assert (resistant == 0.25).all()
    assert (
        table.loc[table["phenotype"] != "gr_resistant", "param:gr_expression_capacity"] == 1.0
    ).all()
    assert (table["sex"] == "female").mean() == pytest.approx(0.6, abs=0.04)
    assert table["age_years"].between(18, 80).all()
    pregnant = table[table["pregnant"]]
    assert len(pregnant) > 0
    assert (pregnant["sex"] == "female").all() and pregnant["age_years"].between(18, 45).all()
    assert set(pregnant["pregnancy_trimester"]) == {1, 2, 3}
    assert (table.loc[~table["pregnant"], "pregnancy_trimester"] == 0).all()
    assert table["comedication_ssri"].mean() == pytest.approx(0.25, abs=0.04)
    assert (
        table["n_comedications"]
        == table["comedication_ssri"].astype(int) + table["comedication_opioid"].astype(int)
    ).all()
    assert set(table["hepatic_impairment"]) == {"none", "mild"}


def test_exact_assignment_and_seed_change() -> None:
    table = generate_population(_spec(10, assignment="exact"), "hpa_core")
    assert table["phenotype"].value_counts().to_dict() == {
        "chronic_stress": 5,
        "gr_resistant": 3,
        "healthy": 2,
    }
    other = generate_population(_spec(10, seed=12), "hpa_core")
    assert not np.allclose(
        other["age_years"], generate_population(_spec(10), "hpa_core")["age_years"]
    )


def test_bad_population_names() -> None:
    with pytest.raises(TrialSpecError, match="unknown phenotype 'zombie'"):
        generate_population(_spec(5, phenotypes={"zombie": 1.0}), "hpa_core")
    with pytest.raises(TrialSpecError, match="'no_param' is not a parameter of model hpa_core"):
        generate_population(_spec(5, variability={"no_param": 0.1}), "hpa_core")


def test_block_randomisation_is_balanced_stratified_and_prefix_stable() -> None:
    patients = generate_population(_spec(400), "hpa_core")
    rule = RandomisationSpec(block_size=6, stratify_by=("phenotype",))
    arms = allocate_arms(patients, [("a", 1), ("b", 2)], rule, seed=4)
    for _, group in pd.Series(arms).groupby(patients["phenotype"].to_numpy()):
        counts = group.value_counts()
        # within a stratum, counts stay within one block of the 1:2 ratio
        assert abs(counts.get("b", 0) - 2 * counts.get("a", 0)) <= 6
    prefix = allocate_arms(patients.iloc[:37], [("a", 1), ("b", 2)], rule, seed=4)
    assert list(prefix) == list(arms[:37])


def test_simple_randomisation() -> None:
    patients = pd.DataFrame({"patient_id": range(4000)})
    arms = allocate_arms(patients, [("a", 1), ("b", 3)], RandomisationSpec(method="simple"), seed=1)
    assert (arms == "b").mean() == pytest.approx(0.75, abs=0.03)


def test_twin_gets_its_default_variability_keyed_by_patient() -> None:
    spec = PopulationSpec(size=2000, phenotypes={"comorbid": 1.0}, seed=2)
    table = generate_population(spec, "twin")
    pd.testing.assert_frame_equal(
        generate_population(PopulationSpec(size=5, phenotypes={"comorbid": 1.0}, seed=2), "twin"),
        table.iloc[:5],
    )
    # the cohorts' spreads: lognormal σ 0.6 on tissue nociception, normal SD 0.6 on
    # vulnerability (1.0 before issue #13's realistic severity)
    assert np.log(table["param:tissue_nociception"]).std() == pytest.approx(0.6, abs=0.05)
    assert table["param:depression_vulnerability"].std() == pytest.approx(0.6, abs=0.05)
    assert table["param:resting_rmssd_ms"].corr(table["age_years"]) < 0
    # a spec's own variability replaces the defaults
    own = generate_population(
        PopulationSpec(size=50, phenotypes={"comorbid": 1.0}, variability={"wake_time_h": 0.05}),
        "twin",
    )
    assert "param:resting_rmssd_ms" not in own and own["param:wake_time_h"].nunique() == 50
    assert set(table["pregnancy_trimester"]) == {0}
