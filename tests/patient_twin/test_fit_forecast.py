"""Fitting and forecasting a patient (small particle counts; behaviours, not figures)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from hpatwin.errors import InputError
from hpatwin.patient_twin.data import PatientData
from hpatwin.patient_twin.fit import FitSettings, TwinFit, data_flags, fit_patient, summary_lines
from hpatwin.patient_twin.forecast import _recorded_session6, compare_with_forecast, forecast
from hpatwin.patient_twin.protocols import candidate_protocols, ea_sessions
from hpatwin.patient_twin.smc import SMCSettings
from hpatwin.patient_twin.store import load_fit, save_fit, save_forecast
from hpatwin.patient_twin.summary import plain_language

SMALL = FitSettings(smc=SMCSettings(n_particles=96, n_islands=4, seed=1, max_evaluations=7))
HISTORY = {"start_weekday": "mon", "ea_sessions": ea_sessions([0, 3, 7, 10, 14], "2/100")}


def _patient(phq9: list[float], nrs: list[float], **extra: object) -> PatientData:
    days = [0, 3, 7, 10, 14][: len(phq9)]
    return PatientData.from_arrays(
        phq9=list(zip(days, phq9, strict=True)),
        nrs=list(zip(days, nrs, strict=True)),
        cortisol=[(0, 14.0, 480.0), (0, 2.0, 1380.0)],
        treatment=HISTORY,
        session_days=(0, 3, 7, 10, 14),
        age_years=48.0,
        sex="female",
        **extra,
    )


@pytest.fixture(scope="module")
def severe() -> TwinFit:
    return fit_patient(_patient([23, 22, 23, 21, 22], [8, 8, 7, 8, 8]), SMALL)


@pytest.fixture(scope="module")
def mild() -> TwinFit:
    return fit_patient(_patient([9, 8, 8, 7, 8], [4, 4, 3, 4, 3]), SMALL)


def test_fit_reports_diagnostics_and_identifiability(severe: TwinFit) -> None:
    d = severe.diagnostics
    assert d["temperatures"][-1] == 1.0 and d["evaluations"] <= 7
    assert set(d["rhat"]) == set(severe.prior.names)
    table = severe.identifiability()
    assert set(table["quantity"]) == set(severe.prior.names)
    # the scores inform severity
    informed = dict(zip(table["quantity"], table["informed"], strict=True))
    assert informed["depression_vulnerability"] or informed["tissue_nociception"]
    # nothing informs blood pressure without vitals: its width stays near the prior's (Monte
    # Carlo noise at 96 particles allows some shrinkage)
    ratios = dict(zip(table["quantity"], table["width_ratio"], strict=True))
    assert ratios["resting_systolic_bp_mmhg"] > 0.6
    assert summary_lines(severe)[0].startswith("fit: 96 particles")
    corr = severe.correlations()
    assert np.allclose(np.diag(corr.values), 1.0)


def test_posterior_follows_the_data(severe: TwinFit, mild: TwinFit) -> None:
    def median(fit: TwinFit, name: str) -> float:
        return float(np.median(fit.values()[name]))

    assert median(severe, "depression_vulnerability") > median(mild, "depression_vulnerability")
    assert median(severe, "tissue_nociception") > median(mild, "tissue_nociception")


def test_one_visit_is_a_prior_based_fit() -> None:
    fit = fit_patient(PatientData.from_arrays(phq9=[(0, 17)]), SMALL)
    assert fit.prior_based
    assert any("prior-based" in flag for flag in fit.flags)


def test_implausible_and_contradictory_data_are_flagged() -> None:
    data = PatientData.from_arrays(
        phq9=[(0, 22), (1, 5), (7, 20)], cortisol=[(0, 450.0, 480.0), (0, 3.0, 1380.0)]
    )
    cleaned, flags = data_flags(data)
    assert cleaned.cortisol.values.tolist() == [3.0]
    assert any("implausible cortisol" in f for f in flags)
    assert any("contradictory phq9" in f for f in flags)


def test_fit_without_scores_is_refused() -> None:
    with pytest.raises(ValueError, match="no PHQ-9 or pain NRS"):
        fit_patient(PatientData.from_arrays(cortisol=[(0, 12.0, 480.0)]), SMALL)


def test_forecast_intervals_probabilities_and_pairing(severe: TwinFit) -> None:
    protocols = candidate_protocols(start_day=15, horizon_days=84)
    chosen = [p for p in protocols if p.name in ("ea_2_100hz_twice_weekly", "usual_care")]
    result = forecast(severe, chosen, draws=32, replicates=2, seed=3)
    ds = result.dataset
    assert ds["phq9"].dims == ("protocol", "day", "draw") and ds.sizes["draw"] == 64
    assert ds["day"].values[-1] == 84 and 14 in ds["day"].values
    values = ds["phq9"].values
    assert ((values >= 0) & (values <= 27) & (values == np.round(values))).all()
    summary = result.summary.set_index("protocol")
    assert (summary["phq9_end_p10"] <= summary["phq9_end_median"]).all()
    assert (summary["phq9_end_median"] <= summary["phq9_end_p90"]).all()
    assert (
        summary.loc["ea_2_100hz_twice_weekly", "phq9_end_median"]
        <= summary.loc["usual_care", "phq9_end_median"]
    )
    assert summary["p_response"].between(0, 1).all()
    # the session-6 review: the sixth session is the protocol's first one after the history
    assert summary.loc["ea_2_100hz_twice_weekly", "session6_day"] == 15
    intervals = result.intervals("phq9")
    assert {0.1, 0.5, 0.9} <= set(intervals.columns)
    comparison = compare_with_forecast(result, "usual_care", 84, 30.0)
    assert not comparison.within_band and "above" in comparison.message()


def test_plain_language_explains_and_never_prescribes(severe: TwinFit) -> None:
    result = forecast(severe, candidate_protocols(start_day=15, horizon_days=84)[:2], draws=16)
    lines = plain_language(result.summary, prior_based=True, horizon_days=84, flags=["x"])
    text = " ".join(lines).lower()
    assert "not a recommendation" in text and "discuss" in text
    assert "you should" not in text and "we recommend" not in text
    assert "people like you in general" in text


def test_fit_and_forecast_files_round_trip(severe: TwinFit, tmp_path: Path) -> None:
    path = save_fit(severe, tmp_path / "fit.nc")
    back = load_fit(path)
    assert np.array_equal(back.z, severe.z)
    assert back.data.phq9.values.tolist() == severe.data.phq9.values.tolist()
    assert back.diagnostics["evaluations"] == severe.diagnostics["evaluations"]
    assert set(back.baseline_states) == set(severe.baseline_states)
    with pytest.raises(FileExistsError):
        save_fit(severe, path, overwrite=False)
    result = forecast(back, candidate_protocols(start_day=15, horizon_days=84)[-1:], draws=16)
    paths = save_forecast(result, tmp_path / "fc")
    assert paths["summary"].read_text().startswith("protocol,")
    not_a_fit = tmp_path / "other.nc"
    result.dataset.to_netcdf(not_a_fit, engine="h5netcdf")
    with pytest.raises(InputError, match="not an hpatwin fit file"):
        load_fit(not_a_fit)
    with pytest.raises(InputError, match="no such fit file"):
        load_fit(tmp_path / "missing.nc")


def test_session6_already_recorded_is_read_from_the_record() -> None:
    data = PatientData.from_arrays(phq9=[(0, 20), (17, 14), (21, 9)], nrs=[(0, 8), (17, 3)])
    fit = SimpleNamespace(data=data)
    flagged = _recorded_session6(fit, 17)  # type: ignore[arg-type]
    assert flagged is not None and flagged["p_session6_flag"] == 1.0  # PHQ-9 20 → 14
    assert flagged["session6_from_record"] and flagged["session6_visit_day"] == 17
    assert _recorded_session6(fit, 30) is None  # type: ignore[arg-type]
