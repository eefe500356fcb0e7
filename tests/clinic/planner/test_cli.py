"""``hpatwin plan``: terminal text, --json, --html with --overwrite, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.cli.plan_cmd import command

from .conftest import EXAMPLES

PACEMAKER = str(EXAMPLES / "pacemaker_neck_shoulder.yaml")


def test_text_plan() -> None:
    result = CliRunner().invoke(command, [PACEMAKER])
    assert result.exit_code == 0, result.output
    assert "NOT A PRESCRIPTION" in result.output
    assert "[CONTRAINDICATION] Implanted electrical device: no electroacupuncture" in result.output


def test_json_plan() -> None:
    result = CliRunner().invoke(command, [PACEMAKER, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["frequency"]["electrical_stimulation"] == "withheld"


def test_html_written_once_then_refused_then_overwritten(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "plan.html"
    first = runner.invoke(command, [PACEMAKER, "--html", str(target)])
    assert first.exit_code == 0, first.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    refused = runner.invoke(command, [PACEMAKER, "--html", str(target)])
    assert refused.exit_code == 1
    assert "exists; pass --overwrite" in refused.output
    replaced = runner.invoke(command, [PACEMAKER, "--html", str(target), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output


def test_malformed_assessment_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("age_years: -3\nsex: female\nphq9_total: 5\nphq9_item9: 0\npain_nrs: 0\n")
    result = CliRunner().invoke(command, [str(bad)])
    assert result.exit_code == 1
    assert "age_years: -3 is outside the allowed range 0-120" in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_bad_knowledge_base(tmp_path: Path) -> None:
    result = CliRunner().invoke(command, [str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "nope.yaml: cannot read" in result.output
    empty_kb = tmp_path / "kb"
    empty_kb.mkdir()
    result = CliRunner().invoke(command, [PACEMAKER, "--knowledge-base", str(empty_kb)])
    assert result.exit_code == 1 and "vocabulary.yaml: cannot read" in result.output


def test_registered_in_the_hpatwin_group() -> None:
    result = CliRunner().invoke(main, ["plan", PACEMAKER, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kind"] == "hpatwin.plan"
