"""Virtual populations and the calibration of the twin against epidemiology targets.

The calibration runs its trial specs (``examples/trials/calibration_epidemiology_*.yaml``)
through ``hpatwin trial``'s machinery (:mod:`hpatwin.cohorts.calibration`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from hpatwin.cohorts import InjuryRisk, generate_population, population_parameters
from hpatwin.cohorts.calibration import (
    EPIDEMIOLOGY_SPECS,
    calibration_spec,
    run_calibration,
)
from hpatwin.trials.population import generate_population as generate_trial_population
from hpatwin.trials.spec import TrialSpecError

SPECS = Path(__file__).resolve().parents[2] / "examples" / "trials"


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


def test_the_epidemiology_specs_parse_as_untreated_onset_cohorts() -> None:
    for name, file in EPIDEMIOLOGY_SPECS.items():
        spec = calibration_spec(name, SPECS / file, 3)
        assert spec.population.size == 3 * len(spec.population.phenotypes)
        assert [arm.name for arm in spec.arms] == ["usual_care"]
        assert spec.simulation.warmup == "onset"
        assert spec.natural_course is False and spec.observation.noise is False
        assert spec.duration_days == 365
    depression = calibration_spec(
        "depression_pain", SPECS / EPIDEMIOLOGY_SPECS["depression_pain"], 3
    )
    assert depression.population.injury == InjuryRisk()
    assert set(depression.population.phenotypes) == {"depression", "healthy"}


def test_a_trial_population_is_the_cohort_population() -> None:
    # patient i is the same whether the trial runner or the cohort layer draws it
    spec = calibration_spec("depression_pain", SPECS / EPIDEMIOLOGY_SPECS["depression_pain"], 30)
    trial = generate_trial_population(spec.population, "twin", seed=spec.derived_seed("population"))
    cohort = generate_population(
        60, {"depression": 0.5, "healthy": 0.5}, seed=2, injury=InjuryRisk()
    )
    pd.testing.assert_frame_equal(trial, cohort)
    assert 0.25 < (trial["param:injury_nociception"] > 0).mean() < 0.6


def _short_specs(folder: Path, days: int = 100, classify: int = 5) -> Path:
    """The calibration specs with a shorter year: the harness's mechanics on a tiny run."""
    folder.mkdir()
    for file in EPIDEMIOLOGY_SPECS.values():
        data = yaml.safe_load((SPECS / file).read_text(encoding="utf-8"))
        data["duration_days"] = days
        data["visits_days"] = [0, classify, days - 1] if "depression" in file else [0, days - 1]
        data["endpoints"] = [
            {"name": "plasma_cortisol_0800", "at_day": classify}
            if isinstance(e, dict) and e.get("name") == "plasma_cortisol_0800"
            else e
            for e in data["endpoints"]
        ]
        (folder / file).write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def test_the_harness_computes_the_figures_on_a_tiny_run(tmp_path: Path) -> None:
    specs = _short_specs(tmp_path / "specs")
    out = tmp_path / "out"
    figures = run_calibration(out, specs_dir=specs, patients=2, progress=False, log=lambda _: None)
    chronic, depression = figures["chronic_pain"], figures["depression_pain"]
    assert chronic["patients"] == 2
    assert 0.0 <= chronic["share_phq9_10_within_year"] <= 1.0
    assert depression["classification_day"] == 5
    assert depression["depressed"] + depression["non_depressed"] == 4
    assert sum(depression["patients_per_phenotype"].values()) == 4
    assert len(chronic["targets"]) == 1 and len(depression["targets"]) == 2
    written = json.loads((out / "epidemiology.json").read_text(encoding="utf-8"))
    assert written["patients_per_phenotype"] == 2
    assert set(written["calibrations"]) == {"chronic_pain", "depression_pain"}
    assert "| chronic_pain |" in (out / "epidemiology.md").read_text(encoding="utf-8")
    # a rerun reuses the finished trials (resume) and reads the same figures
    again = run_calibration(out, specs_dir=specs, patients=2, progress=False, log=lambda _: None)
    assert (
        again["chronic_pain"]["share_phq9_10_within_year"] == chronic["share_phq9_10_within_year"]
    )


def test_bad_calibration_specs_name_the_file_and_field(tmp_path: Path) -> None:
    specs = _short_specs(tmp_path / "specs", days=60, classify=5)
    with pytest.raises(TrialSpecError) as caught:
        run_calibration(tmp_path / "out", specs_dir=specs, patients=2, progress=False)
    assert "calibration_epidemiology_depression_pain.yaml" in str(caught.value)
    assert "duration_days: 60 leaves no 90-day window" in str(caught.value)
    path = specs / EPIDEMIOLOGY_SPECS["depression_pain"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["duration_days"] = 365
    data["endpoints"] = ["phq9_change"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(TrialSpecError) as caught:
        calibration_spec("depression_pain", path, 2)
    text = str(caught.value)
    assert "endpoints: give plasma_cortisol_0800" in text
    assert "reads the daily measure 'pain_nrs'" in text
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def figures_2000(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The epidemiology calibration on 2,000 patients per phenotype (computed once)."""
    out = tmp_path_factory.mktemp("epidemiology")
    return run_calibration(out, specs_dir=SPECS, patients=2000, progress=False)


@pytest.mark.slow
def test_chronic_pain_leads_to_depression_in_30_to_60_percent(figures_2000: Any) -> None:
    # among chronic-pain patients, 30-60 % reach PHQ-9 ≥ 10 within one year
    assert 0.30 <= figures_2000["chronic_pain"]["share_phq9_10_within_year"] <= 0.60


@pytest.mark.slow
def test_depression_raises_persistent_pain_2_to_4_fold(figures_2000: Any) -> None:
    # depressed people develop persistent pain 2-4 times as often as non-depressed ones
    assert 2.0 <= figures_2000["depression_pain"]["persistent_pain_relative_risk"] <= 4.0


@pytest.mark.slow
def test_morning_cortisol_is_raised_in_depression(figures_2000: Any) -> None:
    # morning cortisol, depressed vs non-depressed: d between 0.3 and 0.6
    assert 0.3 <= figures_2000["depression_pain"]["morning_cortisol_cohens_d"] <= 0.6
