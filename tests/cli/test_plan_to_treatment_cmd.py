"""``hpatwin plan-to-treatment`` and ``hpatwin plan --treatment-plan``: a treatment-plan YAML that
``load_plan`` reads back identically and ``hpatwin simulate --plan`` accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xarray as xr
from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.clinic.planner import load_assessment
from hpatwin.io.parameter_file import load_parameter_file
from hpatwin.treatments import load_plan
from hpatwin.treatments.from_protocol import assessment_to_treatment_plan

ROOT = Path(__file__).resolve().parents[2]
ASSESSMENTS = sorted((ROOT / "examples" / "assessments").glob("*.yaml"))
OLDER = ROOT / "examples/assessments/older_seven_drugs_crcl25_nsaid.yaml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("path", ASSESSMENTS, ids=lambda p: p.stem)
def test_written_plan_reads_back_identically(runner: CliRunner, tmp_path: Path, path: Path) -> None:
    out = tmp_path / "plan.yaml"
    result = runner.invoke(main, ["plan-to-treatment", str(path), str(out)])
    assert result.exit_code == 0, result.output
    assert "Converted:" in result.stdout
    assert load_plan(out) == assessment_to_treatment_plan(load_assessment(path)).plan
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"]  # no temporary left
    assert '"09:00"' in out.read_text(encoding="utf-8")


def test_parameter_file_carries_the_patients_clearance(runner: CliRunner, tmp_path: Path) -> None:
    out, params = tmp_path / "plan.yaml", tmp_path / "params.yaml"
    result = runner.invoke(
        main, ["plan-to-treatment", str(OLDER), str(out), "--params", str(params)]
    )
    assert result.exit_code == 0, result.output
    spec = load_parameter_file(params)
    assert spec.model == "twin"
    assert set(spec.parameters) == {"naproxen_clearance_factor", "duloxetine_clearance_factor"}
    assert all(0 < v < 1 for v in spec.parameters.values())


def test_options_reach_the_conversion(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    args = ["plan-to-treatment", str(OLDER), str(out), "--course-weeks", "12"]
    args += ["--session-clock", "14:00", "--session-min", "20", "--no-cbt", "--start-day", "1"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    plan = load_plan(out)
    assert len(plan.ea_sessions) == 32 and not plan.cbt_sessions
    assert (plan.ea_sessions[0].day, plan.ea_sessions[0].start) == (1, "14:00")
    assert plan.ea_sessions[0].duration_min == 20


def test_refuses_to_overwrite_and_reports_errors(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    out.write_text("keep", encoding="utf-8")
    result = runner.invoke(main, ["plan-to-treatment", str(OLDER), str(out)])
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert out.read_text(encoding="utf-8") == "keep"
    strict = runner.invoke(
        main, ["plan-to-treatment", str(OLDER), str(out), "--overwrite", "--strict-points"]
    )
    # every point the planner can choose is in the one catalogue, so strict mode converts
    assert strict.exit_code == 0, strict.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("age_years: 40\nsex: female\n", encoding="utf-8")
    result = runner.invoke(main, ["plan-to-treatment", str(bad), str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "pain_nrs: Field required" in result.output


def test_plan_command_writes_the_treatment_plan_too(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    result = runner.invoke(main, ["plan", str(OLDER), "--json", "--treatment-plan", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "hpatwin.plan"  # the report went to stderr
    assert "Converted:" in result.stderr
    assert load_plan(out) == assessment_to_treatment_plan(load_assessment(OLDER)).plan


@pytest.mark.slow
def test_simulate_accepts_the_written_plan(runner: CliRunner, tmp_path: Path) -> None:
    plan, params, nc = tmp_path / "plan.yaml", tmp_path / "params.yaml", tmp_path / "run.nc"
    result = runner.invoke(
        main, ["plan-to-treatment", str(OLDER), str(plan), "--params", str(params)]
    )
    assert result.exit_code == 0, result.output
    args = ["simulate", "--model", "twin", "--phenotype", "comorbid", "--plan", str(plan)]
    args += ["--params", str(params), "--days", "2", "--dt", "5", "--output", str(nc)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    with xr.open_dataset(nc, engine="h5netcdf") as ds:
        assert ds.sizes["time"] > 0
        assert float(ds["duloxetine_plasma_mg_l"].max()) > 0  # the plan's drug reached the twin
