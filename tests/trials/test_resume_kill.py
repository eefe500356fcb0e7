"""Resume after a real crash: ``kill -9`` a running ``hpatwin trial``, rerun, compare."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.trials import run_trial
from tests.trials.conftest import REPO_ROOT, SYNTHETIC_SPEC, make_spec, write_spec

N_PATIENTS = 16
SETTINGS = {
    "duration_days": 120,
    "visits_days": [0, 56, 112],
    "chunk_size": 1,
    "simulation": {"time_step_min": 1},
    "population": {**SYNTHETIC_SPEC["population"], "size": N_PATIENTS},
    "output": {"traces_per_arm": 1, "report": False},
}


def _command(spec: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hpatwin",
        "trial",
        str(spec),
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT / "src"), str(REPO_ROOT), env.get("PYTHONPATH", "")]
    )
    return env


def test_resume_after_kill_9(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "trial.yaml", SYNTHETIC_SPEC, **SETTINGS)
    out = tmp_path / "out"
    chunks = out / "chunks"
    log = tmp_path / "first-run.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(
            _command(spec, out),
            cwd=REPO_ROOT,
            env=_environment(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        ) as process,
    ):
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                if chunks.is_dir() and any(chunks.glob("chunk_*.parquet")):
                    os.kill(process.pid, signal.SIGKILL)
                    break
                assert process.poll() is None, f"trial ended before the kill: {log.read_text()}"
                time.sleep(0.01)
            else:
                raise AssertionError("no chunk was written within 120 s")
        finally:
            process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    finished = sorted(chunks.glob("chunk_*.parquet"))
    assert 1 <= len(finished) < N_PATIENTS
    assert not (out / "patients.parquet").exists()

    # the rerun resumes (and, without --overwrite, refuses nothing: the run was unfinished)
    rerun = subprocess.run(
        _command(spec, out),
        cwd=REPO_ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    resumed = int(rerun.stdout.split(" resumed")[0].rsplit(", ", 1)[1])
    assert resumed >= len(finished)

    reference = run_trial(
        make_spec(SYNTHETIC_SPEC, **{**SETTINGS, "chunk_size": 5}),
        tmp_path / "reference",
        progress=False,
    )
    crashed = pd.read_parquet(out / "patients.parquet")
    assert crashed["patient_id"].tolist() == list(range(N_PATIENTS))  # none lost, none duplicated
    pd.testing.assert_frame_equal(crashed, reference.patients(), check_exact=True)

    # finished results are protected; --overwrite replaces them
    runner = CliRunner()
    refused = runner.invoke(main, ["trial", str(spec), "--out", str(out), "--no-progress"])
    assert refused.exit_code != 0 and "--overwrite" in refused.output
    before = (out / "patients.parquet").stat().st_mtime_ns
    replaced = runner.invoke(
        main,
        [
            "trial",
            str(spec),
            "--out",
            str(out),
            "--no-progress",
            "--overwrite",
            "--chunk-size",
            "8",
        ],
    )
    assert replaced.exit_code == 0, replaced.output
    assert "2 chunk(s) simulated, 0 resumed" in replaced.output
    assert (out / "patients.parquet").stat().st_mtime_ns != before
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "patients.parquet"), reference.patients(), check_exact=True
    )
