"""Issue #17: every command answers bad input with one line and exit code 2, never a traceback;
outputs are checked before work; stale temp files are cleaned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.io.atomic import atomic_write_text, clean_stale_temp_files

ASSESSMENT = "age_years: 40\nsex: female\nphq9_total: 12\nphq9_item9: 0\npain_nrs: 0\n"


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_missing_output_folder_is_refused_before_work(tmp_path: Path) -> None:
    """Reproduction: unwritable or missing output folders gave tracebacks (after the work)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    assessment = tmp_path / "a.yaml"
    assessment.write_text(ASSESSMENT, encoding="utf-8")
    code, out = run(["plan", str(assessment), "--html", str(blocker / "plan.html")])
    assert code == 2 and "cannot write here" in out and out.count("\n") == 1
    code, out = run(
        [
            "score",
            "phq9",
            *["1", "1", "1", "1", "1", "1", "1", "1", "0"],
            "--fhir-out",
            str(blocker / "b.json"),
        ]
    )
    assert code == 2 and "cannot write here" in out
    code, out = run(["export-sbml", "hpa_core", str(blocker / "m.xml")])
    assert code == 2 and "cannot write here" in out
    code, out = run(["simulate", "--days", "1", "--output", str(blocker / "x.nc")])
    assert code == 2 and "cannot write here" in out


def test_same_file_for_output_and_plot_is_refused(tmp_path: Path) -> None:
    """Reproduction: `--output x.png --plot x.png` silently replaced the NetCDF."""
    target = tmp_path / "x.png"
    code, out = run(["simulate", "--days", "1", "--output", str(target), "--plot", str(target)])
    assert code == 2 and "given for two outputs" in out
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "1e5"], "--days: 100000 is more than"),
        (["--days", "1", "--patients", "1000000"], "--patients: 1000000 must be"),
        (["--days", "100", "--patients", "50000"], "patient-days"),
        (["--days", "nan"], "must be a positive number"),
    ],
)
def test_run_size_is_checked_before_work(tmp_path: Path, args: list[str], message: str) -> None:
    """Reproduction: no size guard for `--days 1e5` or `--patients 1e6`."""
    code, out = run(["simulate", *args, "--output", str(tmp_path / "o.nc")])
    assert code == 2 and message in out


def test_pool_per_arm_zero_is_refused(tmp_path: Path) -> None:
    """Reproduction: `--pool-per-arm 0` was accepted silently."""
    code, out = run(["power", str(tmp_path / "s.yaml"), "--sizes", "4", "--pool-per-arm", "0"])
    assert code == 2 and "--pool-per-arm" in out


def test_errors_never_echo_file_contents(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\nsecond: line\n", encoding="utf-8")
    for args in (
        ["plan", str(secret)],
        ["trial", str(secret), "--out", str(tmp_path / "o")],
        ["simulate", "--params", str(secret), "--days", "1", "--output", str(tmp_path / "o.nc")],
    ):
        code, out = run(args)
        assert code == 2, out
        assert "root:x" not in out and "/bin/bash" not in out


def test_stale_temp_files_are_cleaned_on_the_next_write(tmp_path: Path) -> None:
    """Reproduction: kill -9 left hidden `.name.XXXX.tmp` files beside outputs, never cleaned."""
    target = tmp_path / "out.txt"
    dead = tmp_path / ".out.txt.999999999.zz.tmp"
    dead.write_text("partial", encoding="utf-8")
    old_style = tmp_path / ".out.txt.abcd.tmp"
    old_style.write_text("partial", encoding="utf-8")
    os.utime(old_style, (1, 1))
    live = tmp_path / f".out.txt.{os.getpid()}.yy.tmp"
    live.write_text("being written", encoding="utf-8")
    atomic_write_text(target, "done")
    assert target.read_text(encoding="utf-8") == "done"
    assert not dead.exists() and not old_style.exists() and live.exists()
    assert clean_stale_temp_files(target) == []


def test_trial_and_power_check_the_output_folder_first(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    spec = Path(__file__).resolve().parents[2] / "examples" / "trials" / "stress_reduction_hpa.yaml"
    code, out = run(["trial", str(spec), "--out", str(blocker / "t"), "--no-progress"])
    assert code == 2 and "cannot write here" in out
    code, out = run(["power", str(spec), "--sizes", "4", "--out", str(blocker / "p")])
    assert code == 2 and "cannot write here" in out


def test_huge_seed_is_a_usage_error_not_an_internal_error(tmp_path: Path) -> None:
    code, out = run(
        ["simulate", "--seed", "9" * 23, "--days", "1", "--output", str(tmp_path / "o.nc")]
    )
    assert code == 2 and "--seed" in out and "internal error" not in out


def test_trial_too_large_to_finish_is_refused_before_work(tmp_path: Path) -> None:
    """Size/duration estimate before work (issue #17)."""
    import yaml

    spec = Path(__file__).resolve().parents[2] / "examples" / "trials" / "stress_reduction_hpa.yaml"
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    data["population"]["size"] = 10_000_000
    data["duration_days"] = 3650
    big = tmp_path / "big.yaml"
    big.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out = run(["trial", str(big), "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2 and "patient-days" in out and "split the trial" in out
    assert not (tmp_path / "o").exists()
