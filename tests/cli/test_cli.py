"""The CLI: simulate writes NetCDF and a plot atomically; params lists the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr
from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.model import default_registry
from hpatwin.parameters import Evidence


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_simulate_writes_netcdf_and_plot(runner: CliRunner, tmp_path: Path) -> None:
    out, fig = tmp_path / "run.nc", tmp_path / "run.png"
    result = runner.invoke(
        main,
        [
            "simulate",
            "--phenotype",
            "healthy",
            "--days",
            "2",
            "--seed",
            "3",
            "--output",
            str(out),
            "--plot",
            str(fig),
        ],
    )
    assert result.exit_code == 0, result.output
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds["salivary_cortisol_nmol_l"].attrs["units"] == "nmol/L"
    assert ds.attrs["phenotype"] == "healthy"
    ds.close()
    assert fig.stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc", "run.png"]  # no temp files left


def test_simulate_with_parameter_file(runner: CliRunner, tmp_path: Path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("model: karin2020\nparameters:\n  k_gr: 5\ninputs:\n  stress_input: 1.5\n")
    out = tmp_path / "k.nc"
    result = runner.invoke(
        main, ["simulate", "--params", str(params), "--days", "1", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.attrs["model"] == "karin2020"
        assert float(ds["crh"].isel(time=-1, patient=0)) > 1.0  # stress raised CRH


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["--days", "0"], None, "days"),
        (["--days", "1", "--phenotype", "zombie"], None, "unknown phenotype"),
        (["--days", "1"], "parameters:\n  acth_half_life_min: -5\n", "acth_half_life_min"),
        (["--days", "1"], "parameters:\n  nonsense_k: 1\n", "nonsense_k"),
        (["--days", "1"], "parameters:\n  acth_half_life_min: .nan\n", "acth_half_life_min"),
        (["--days", "1"], "parameters: [1, 2\n", "not valid YAML"),
        (["--days", "1"], "paramters: {}\n", "paramters"),
    ],
)
def test_bad_input_is_named_and_leaves_no_file(
    runner: CliRunner, tmp_path: Path, args: list[str], content: str | None, message: str
) -> None:
    out = tmp_path / "x.nc"
    extra: list[str] = []
    if content is not None:
        params = tmp_path / "p.yaml"
        params.write_text(content)
        extra = ["--params", str(params)]
    result = runner.invoke(main, ["simulate", *args, *extra, "--output", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".yaml"] == []


def test_existing_output_is_not_overwritten(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "keep.nc"
    out.write_text("precious")
    result = runner.invoke(main, ["simulate", "--days", "1", "--output", str(out)])
    assert result.exit_code != 0 and "--overwrite" in result.output
    assert out.read_text() == "precious"


def test_params_filters_and_csv(runner: CliRunner) -> None:
    result = runner.invoke(main, ["params", "--model", "gupta2007", "--format", "csv"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("model,name,value,unit,evidence,source")
    assert len(lines) == 1 + 7 and all(line.startswith("gupta2007,") for line in lines[1:])
    assumed = runner.invoke(main, ["params", "--evidence", "assumption"])
    assert "assumption" in assumed.output and "published model" not in assumed.output
    bad = runner.invoke(main, ["params", "--model", "nope"])
    assert bad.exit_code != 0 and "unknown model" in bad.output


def test_every_assumption_states_a_rationale() -> None:
    for p in default_registry().select(evidence=Evidence.ASSUMPTION):
        assert p.rationale.strip(), p.name


def test_export_sbml_runs_in_roadrunner(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "hpa_core.xml"
    result = runner.invoke(main, ["export-sbml", "hpa_core", str(out)])
    assert result.exit_code == 0, result.output
    import roadrunner

    rr = roadrunner.RoadRunner(out.read_text())
    values = rr.simulate(0, 60, 7)
    assert values.shape[0] == 7
    again = runner.invoke(main, ["export-sbml", "hpa_core", str(out)])
    assert again.exit_code != 0 and "--overwrite" in again.output
