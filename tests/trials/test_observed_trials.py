"""Trials as trials are run: observed endpoints, screening, dropout, the primary analysis.

Uses the synthetic model (tests/trials/synthetic_model.py): fast enough for 2,000 patients.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

from hpatwin.trials import run_trial
from hpatwin.trials.runner import TrialResult, daily_summary, prepare_trial
from hpatwin.trials.spec import TrialSpecError, parse_spec
from tests.trials.conftest import SYNTHETIC_SPEC, make_spec
from tests.trials.synthetic_course_model import REFERENCE as COURSE_MODEL

CONDUCT: dict[str, Any] = {
    "screening": {"phq9_min": 10, "nrs_min": 4},
    "dropout": {
        "mechanism": "mar",
        "probability_per_visit": 0.15,
        "missed_visit_probability": 0.1,
    },
    "output": {"traces_per_arm": 0, "report": False},
}


def _patients(result: TrialResult) -> pd.DataFrame:
    return result.patients().sort_values("patient_id").reset_index(drop=True)


def test_observed_trial_is_identical_across_chunk_sizes_and_workers(tmp_path: Path) -> None:
    reference = run_trial(
        make_spec(SYNTHETIC_SPEC, chunk_size=12, **CONDUCT), tmp_path / "one", progress=False
    )
    small = run_trial(
        make_spec(SYNTHETIC_SPEC, chunk_size=5, **CONDUCT), tmp_path / "five", progress=False
    )
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        workers = run_trial(
            make_spec(SYNTHETIC_SPEC, chunk_size=1, **CONDUCT),
            tmp_path / "dask",
            scheduler=cluster.scheduler_address,
            workers=2,
            progress=False,
        )
    expected = _patients(reference)
    for other in (small, workers):
        pd.testing.assert_frame_equal(_patients(other), expected, check_exact=True)
        pd.testing.assert_frame_equal(other.effects, reference.effects, check_exact=True)
    # observed PHQ-9 and NRS are integers in range; latent values are kept beside them
    phq9 = expected.filter(regex=r"^phq9@day").to_numpy()
    finite = phq9[np.isfinite(phq9)]
    assert ((finite == np.round(finite)) & (finite >= 0) & (finite <= 27)).all()
    assert "latent:phq9@day0" in expected


def test_screening_enrols_on_observed_scores_and_analysis_uses_the_enrolled(
    tmp_path: Path,
) -> None:
    data = copy.deepcopy(SYNTHETIC_SPEC)
    data["population"]["size"] = 60
    spec = make_spec(data, **CONDUCT)
    result = run_trial(spec, tmp_path / "s", progress=False)
    patients = _patients(result)
    enrolled = patients["enrolled"].to_numpy(dtype=bool)
    meets = (patients["screening:phq9"] >= 10) & (patients["screening:pain_nrs"] >= 4)
    np.testing.assert_array_equal(enrolled, meets.to_numpy())
    assert 0 < enrolled.sum() < len(patients)
    # screening is a noisy measurement: some patients with a latent PHQ-9 ≥ 10 fail it
    effects = result.effects.set_index("endpoint")
    analysed = int(effects.loc["phq9_change", "n_arm"] + effects.loc["phq9_change", "n_control"])
    observed = np.isfinite(patients.loc[enrolled, "endpoint:phq9_change"]).sum()
    assert analysed == observed
    assert effects.loc["phq9_change", "missing_data"].startswith("available-case ANCOVA")
    summary = daily_summary(result.out_dir / "daily.parquet", ["usual_care", "therapy"], ["phq9"])
    assert int(summary["phq9_n"].sum(dim="arm")[0]) == int(enrolled.sum())  # trajectories too


DROPOUT_TRIAL: dict[str, Any] = {
    "duration_days": 43,
    "visits_days": [0, 14, 28, 42],
    "endpoints": ["phq9_change"],
    "chunk_size": 2000,
    "simulation": {"time_step_min": 30, "pulses": False},
    "output": {"traces_per_arm": 0, "report": False},
}


def _dropout_run(tmp_path: Path, name: str, dropout: dict[str, Any]) -> pd.Series:
    data = copy.deepcopy(SYNTHETIC_SPEC)
    data["population"]["size"] = 2000
    data["population"]["variability"]["efficacy_mood"] = 0.6
    spec = make_spec(data, dropout=dropout, **DROPOUT_TRIAL)
    return run_trial(spec, tmp_path / name, progress=False).effects.iloc[0]


def test_mar_dropout_biases_completers_towards_the_null_and_mcar_does_not(
    tmp_path: Path,
) -> None:
    """Dropout for lack of improvement removes non-improvers, most of them from usual care.

    Expected direction: usual-care completers look better than usual care as a whole, so
    the completers-only difference shrinks towards zero (is less negative) than the same
    patients' full-data estimate. Tolerances: MCAR keeps the estimate within 0.4 points
    (random half of 2,000 patients: SE of the shift about 0.2); MAR shifts it by > 0.4.
    """
    full = _dropout_run(tmp_path, "full", {})
    mcar = _dropout_run(tmp_path, "mcar", {"mechanism": "mcar", "probability_per_visit": 0.2})
    mar = _dropout_run(
        tmp_path,
        "mar",
        {
            "mechanism": "mar",
            "probability_per_visit": 0.2,
            "mar_predictor": "phq9_change",
            "mar_odds_ratio_per_point": 1.5,
            "mar_reference_phq9": 0,
        },
    )
    assert full["ancova_estimate"] < -3  # the therapy works
    assert full["completers_n"] == 2000
    assert abs(mcar["completers_estimate"] - full["ancova_estimate"]) < 0.4
    assert mar["completers_estimate"] - full["ancova_estimate"] > 0.4
    assert mar["completers_n"] < 1500 and mar["locf_n"] == 2000
    for row in (full, mcar, mar):
        assert row["ancova_ci_low"] < row["ancova_estimate"] < row["ancova_ci_high"]
        assert row["missing_data"].startswith("available-case ANCOVA at the endpoint visit")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"screening": {"phq9_min": 30}},
            "screening.phq9_min: 30 is outside the allowed range 0-27",
        ),
        ({"screening": {"nrs_min": -1}}, "screening.nrs_min: -1 is outside the allowed range 0-10"),
        (
            {"screening": {"phq9_min": 15, "phq9_max": 10}},
            "screening.phq9_min (15) must not exceed screening.phq9_max (10)",
        ),
        (
            {"dropout": {"mechanism": "mcar", "probability_per_visit": 0.8}},
            "dropout.probability_per_visit: 0.8 is outside the allowed range 0-0.5",
        ),
        ({"dropout": {"mechanism": "sometimes"}}, "dropout.mechanism"),
        (
            {"dropout": {"missed_visit_probability": 2}},
            "dropout.missed_visit_probability: 2 is outside the allowed range 0-0.5",
        ),
        (
            {"dropout": {"mar_odds_ratio_per_point": 0.5}},
            "dropout.mar_odds_ratio_per_point: 0.5 is outside the allowed range 1-3",
        ),
        ({"observation": {"noise": "maybe"}}, "observation.noise"),
        ({"observation": {"jitter": True}}, "observation.jitter"),
        ({"natural_course": "sometimes"}, "natural_course"),
    ],
)
def test_bad_conduct_fields_are_refused_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(TrialSpecError) as caught:
        make_spec(SYNTHETIC_SPEC, **changes)
    assert message in str(caught.value)


def test_options_the_model_cannot_support_are_refused_before_running() -> None:
    spec = parse_spec(
        {
            "name": "t",
            "population": {"size": 2},
            "arms": ["usual_care"],
            "duration_days": 2,
            "visits_days": [0, 1],
            "endpoints": ["cortisol_0800"],
            "natural_course": True,
            "screening": {"phq9_min": 10},
            "dropout": {"mechanism": "mar", "probability_per_visit": 0.1},
        }
    )
    with pytest.raises(TrialSpecError) as caught:
        prepare_trial(spec)
    text = str(caught.value)
    assert "screening.phq9_min: needs readout 'phq9_expected'" in text
    assert "dropout.mechanism: needs readout 'phq9_expected'" in text
    assert "natural_course: model hpa_core has no symptom_exacerbation state" in text


def test_observation_parameters_can_be_overridden_within_their_ranges() -> None:
    spec = make_spec(SYNTHETIC_SPEC, observation={"parameters": {"phq9_item_noise_sd": 0.5}})
    assert spec.observation.settings().value("phq9_item_noise_sd") == 0.5
    with pytest.raises(TrialSpecError, match="unknown observation parameter 'phq9_noise'"):
        make_spec(SYNTHETIC_SPEC, observation={"parameters": {"phq9_noise": 0.5}})
    with pytest.raises(TrialSpecError, match=r"phq9_item9_offset: 2 is outside the allowed range"):
        make_spec(SYNTHETIC_SPEC, observation={"parameters": {"phq9_item9_offset": 2}})


def _course_trial(tmp_path: Path, name: str, natural_course: bool | str) -> pd.DataFrame:
    spec = parse_spec(
        {
            "name": name,
            "model": COURSE_MODEL,
            "seed": 2,
            "population": {"size": 40, "phenotypes": {"synthetic_course": 1.0}},
            "arms": ["usual_care"],
            "duration_days": 29,
            "visits_days": [0, 14, 28],
            "endpoints": ["phq9_change"],
            "natural_course": natural_course,
            "observation": {"noise": False},
            "simulation": {"time_step_min": 30, "pulses": False},
            "output": {"traces_per_arm": 0, "report": False},
        }
    )
    return _patients(run_trial(spec, tmp_path / name, progress=False))


def test_natural_course_is_on_for_models_with_an_exacerbation_and_resolves(
    tmp_path: Path,
) -> None:
    on = _course_trial(tmp_path, "auto", "auto")
    off = _course_trial(tmp_path, "off", False)
    # day 0 is the mean of the first day: 14 + 4 · (mean of exp(−t/7 d) over a day) ≈ 17.7
    assert on["phq9@day0"].mean() == pytest.approx(14 + 4 * 7 * (1 - np.exp(-1 / 7)), abs=0.05)
    assert (on["endpoint:phq9_change"] < -3).all()  # resolves by itself in usual care
    np.testing.assert_allclose(off["phq9@day0"], 14.0)
    np.testing.assert_allclose(off["endpoint:phq9_change"], 0.0, atol=1e-9)
