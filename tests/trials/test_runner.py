"""Determinism across chunk sizes and Dask workers, resume, overwrite protection, report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from distributed import LocalCluster

import hpatwin
from hpatwin.trials import run_trial
from hpatwin.trials.runner import TrialResult
from tests.trials.conftest import HPA_SPEC, SYNTHETIC_SPEC, make_spec


def _patients(result: TrialResult) -> pd.DataFrame:
    return result.patients().sort_values("patient_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def hpa_reference(tmp_path_factory: pytest.TempPathFactory) -> TrialResult:
    """The tiny HPA trial, in-process, all patients in one chunk."""
    out = tmp_path_factory.mktemp("hpa") / "one-chunk"
    return run_trial(make_spec(HPA_SPEC, chunk_size=6), out, progress=False)


@pytest.fixture(scope="module")
def hpa_noiseless(tmp_path_factory: pytest.TempPathFactory) -> TrialResult:
    """The tiny HPA trial with observation noise off (the model's values, as before)."""
    out = tmp_path_factory.mktemp("hpa") / "noiseless"
    spec = make_spec(HPA_SPEC, chunk_size=6, observation={"noise": False})
    return run_trial(spec, out, progress=False)


@pytest.fixture(scope="module")
def threads_cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster


def test_same_results_for_any_chunk_size_and_worker_count(
    hpa_reference: TrialResult, threads_cluster: LocalCluster, tmp_path: Path
) -> None:
    reference = _patients(hpa_reference)
    assert len(reference) == 6 and reference["patient_id"].tolist() == list(range(6))
    assert set(reference["arm"]) == {"usual_care", "relief"}
    small_chunks = run_trial(make_spec(HPA_SPEC, chunk_size=2), tmp_path / "c2", progress=False)
    assert small_chunks.executed_chunks == 3
    pd.testing.assert_frame_equal(_patients(small_chunks), reference, check_exact=True)
    two_workers = run_trial(
        make_spec(HPA_SPEC, chunk_size=1),
        tmp_path / "dask2",
        scheduler=threads_cluster.scheduler_address,
        workers=2,
        progress=False,
    )
    assert two_workers.executed_chunks == 6
    pd.testing.assert_frame_equal(_patients(two_workers), reference, check_exact=True)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "dask2" / "daily.parquet")
        .sort_values("patient_id")
        .reset_index(drop=True),
        pd.read_parquet(hpa_reference.out_dir / "daily.parquet"),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(two_workers.effects, hpa_reference.effects, check_exact=True)


def test_one_worker_cluster_matches(hpa_reference: TrialResult, tmp_path: Path) -> None:
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        result = run_trial(
            make_spec(HPA_SPEC, chunk_size=4),
            tmp_path / "dask1",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    pd.testing.assert_frame_equal(_patients(result), _patients(hpa_reference), check_exact=True)


def test_trial_patient_equals_a_single_simulation(hpa_noiseless: TrialResult) -> None:
    """A usual-care patient is exactly ``simulate(patient_offset=id)`` with its own parameters."""
    patients = _patients(hpa_noiseless)
    with xr.open_dataset(hpa_noiseless.out_dir / "traces.nc", engine="h5netcdf") as traces:
        traces = traces.load()
    assert sorted(set(traces["arm"].values)) == ["relief", "usual_care"]
    row = patients[patients["arm"] == "usual_care"].iloc[0]
    patient_id = int(row["patient_id"])
    alone = hpatwin.simulate(
        "hpa_core",
        days=2,
        phenotype=str(row["phenotype"]),
        parameters={
            "cortisol_half_life_min": float(row["param:cortisol_half_life_min"]),
            "adrenal_turnover_days": float(row["param:adrenal_turnover_days"]),
        },
        seed=HPA_SPEC["seed"],
        n_patients=1,
        patient_offset=patient_id,
        output_every=60,
    )
    trace = traces["salivary_cortisol_nmol_l"].sel(patient=patient_id).values
    np.testing.assert_allclose(trace, alone["salivary_cortisol_nmol_l"].values[:, 0], rtol=1e-12)
    assert row["cortisol_morning@day1"] == pytest.approx(trace[24 + 8], rel=1e-12)
    assert row["endpoint:cortisol_2300_change"] == pytest.approx(
        trace[24 + 23] - trace[23], rel=1e-12
    )


def test_noise_off_reproduces_the_noiseless_figures(
    hpa_reference: TrialResult, hpa_noiseless: TrialResult
) -> None:
    """Noise off: visit values are the model's values, equal to a noisy run's latent columns."""
    noisy, noiseless = _patients(hpa_reference), _patients(hpa_noiseless)
    latent = [c for c in noisy.columns if c.startswith("latent:")]
    assert latent and not any(c.startswith("latent:") for c in noiseless.columns)
    for column in latent:
        visit = column.removeprefix("latent:")
        np.testing.assert_array_equal(noiseless[visit].to_numpy(), noisy[column].to_numpy())
        assert not np.array_equal(noisy[visit].to_numpy(), noisy[column].to_numpy())


def test_stress_relief_lowers_late_night_cortisol(hpa_reference: TrialResult) -> None:
    effects = hpa_reference.effects.set_index("endpoint")
    assert effects.loc["cortisol_2300_change", "estimate"] < 0
    assert bool(effects.loc["cortisol_2300_change", "primary"])


def test_synthetic_trial_endpoints_report_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    spec = make_spec(SYNTHETIC_SPEC, observation={"noise": False})  # mechanistic checks
    full = run_trial(spec, out, progress=False)
    patients = _patients(full)
    assert patients["completed"].all()
    therapy = patients[patients["arm"] == "therapy"]
    usual = patients[patients["arm"] == "usual_care"]
    assert (usual["endpoint:phq9_change"].abs() < 1e-9).all()  # untreated: no change
    assert (therapy["endpoint:phq9_change"] < 0).all()
    assert (therapy["endpoint:rmssd_change"] > 0).all()
    effects = full.effects.set_index("endpoint")
    assert effects.loc["phq9_change", "ci_high"] < 0 < effects.loc["rmssd_change", "ci_low"]
    # binary endpoints agree with their visit values
    relative = (patients["phq9@day0"] - patients["phq9@day14"]) / patients["phq9@day0"]
    np.testing.assert_array_equal(
        patients["endpoint:phq9_response"], (relative >= 0.5).astype(float)
    )
    report = (out / "report.html").read_text(encoding="utf-8")
    for section in (
        "overview",
        "consort",
        "baseline",
        "endpoints",
        "effects",
        "trajectories",
        "definitions",
    ):
        assert f"<section id='{section}'>" in report
    assert report.count("data:image/png;base64,") >= 5  # trajectories of 5 measures + forest plot
    assert "Dworkin" in report and "allocated" in report
    endpoints = pd.read_csv(out / "endpoints.csv")
    assert set(endpoints["arm"]) == {"usual_care", "therapy"}

    # existing results are never overwritten without overwrite=True
    with pytest.raises(FileExistsError, match="finished run"):
        run_trial(spec, out, progress=False)
    with pytest.raises(FileExistsError, match="different trial"):
        run_trial(
            make_spec(SYNTHETIC_SPEC, seed=6, observation={"noise": False}), out, progress=False
        )

    # simulate a crash: drop the merged results and some chunks; a rerun (other chunk size) resumes
    chunks = sorted((out / "chunks").glob("chunk_*.parquet"))
    assert len(chunks) == 3
    chunks[1].unlink()
    for name in ("patients.parquet", "daily.parquet", "report.html"):
        (out / name).unlink()
    manifest = (out / "manifest.json").read_text()
    (out / "manifest.json").write_text(
        manifest.replace('"status": "complete"', '"status": "running"')
    )
    (out / "chunks" / ".chunk_000000005_000000010.parquet.x.tmp").write_text("half-written")
    resumed = run_trial(spec, out, progress=False, chunk_size=2)
    assert (resumed.executed_chunks, resumed.resumed_chunks) == (3, 2)
    assert not list((out / "chunks").glob(".*.tmp"))
    pd.testing.assert_frame_equal(_patients(resumed), patients, check_exact=True)

    again = run_trial(spec, out, progress=False, overwrite=True)
    assert again.resumed_chunks == 0
    pd.testing.assert_frame_equal(_patients(again), patients, check_exact=True)


def test_local_process_cluster_matches(tmp_path: Path) -> None:
    """``workers=2`` without an address starts a LocalCluster of worker processes."""
    spec = make_spec(SYNTHETIC_SPEC, output={"traces_per_arm": 1, "report": False})
    in_process = run_trial(spec, tmp_path / "here", progress=False)
    on_processes = run_trial(
        make_spec(SYNTHETIC_SPEC, chunk_size=3, output={"traces_per_arm": 1, "report": False}),
        tmp_path / "procs",
        workers=2,
        progress=False,
    )
    assert on_processes.executed_chunks == 4
    manifest = (tmp_path / "procs" / "manifest.json").read_text()
    assert "LocalCluster (2 worker processes)" in manifest
    pd.testing.assert_frame_equal(_patients(on_processes), _patients(in_process), check_exact=True)
    with (
        xr.open_dataset(tmp_path / "here" / "traces.nc", engine="h5netcdf") as here,
        xr.open_dataset(tmp_path / "procs" / "traces.nc", engine="h5netcdf") as there,
    ):
        xr.testing.assert_identical(here.load(), there.load())
