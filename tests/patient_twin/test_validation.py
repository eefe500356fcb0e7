"""The virtual-patient validation, at a CI-sized scale with loose tolerances.

The figures of record (200 patients) are in docs/patient-twin.md; this run checks that the
harness works end to end, resumes, and that the twin is not worse than the population
average — failing if the fit, forecast or observation layer break.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpatwin.patient_twin.fit import FitSettings
from hpatwin.patient_twin.smc import SMCSettings
from hpatwin.patient_twin.validation import (
    ValidationSettings,
    comparison_protocols,
    run_validation,
    summarise,
)


def test_protocols_share_the_history_and_differ_after_week_4() -> None:
    protocols = {p.name: p for p in comparison_protocols(ValidationSettings())}
    assert min(protocols["continue_ea"].session_days()) == 31  # the next Thursday
    assert len(protocols["step_down_ea"].session_days()) < len(
        protocols["continue_ea"].session_days()
    )
    assert protocols["switch_to_snri"].treatment["drugs"][0]["start_day"] == 29


@pytest.mark.slow
def test_small_validation_runs_and_resumes(tmp_path: Path) -> None:
    settings = ValidationSettings(
        n_patients=12,
        batch=6,
        draws=48,
        reference_particles=128,
        fit=FitSettings(smc=SMCSettings(n_particles=192, n_islands=4)),
    )
    summary = run_validation(settings, tmp_path)
    assert summary["patients"] == 12
    assert 0.5 <= summary["coverage_80"] <= 1.0 and summary["coverage_95"] >= 0.7
    assert summary["mae_twin"] < summary["mae_population"]
    rows = [json.loads(line) for line in (tmp_path / "patients.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and summarise(rows)["patients"] == 12
    # a second run resumes: nothing is refitted
    again = run_validation(settings, tmp_path)
    assert again["coverage_80"] == summary["coverage_80"]
