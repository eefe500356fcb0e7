"""The engine-accuracy harness: every trial configuration within its stated tolerance of the
dt = 1 min float64 reference on 128 varied patients (slow), and the harness's own pieces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpatwin.cohorts.engine_accuracy import (
    CONFIGURATIONS,
    DEFAULT_SPEC,
    configured_spec,
    differences,
    main,
    measure_accuracy,
    within_tolerance,
)
from hpatwin.trials.spec import load_trial_spec
from tests.trials.conftest import REPO_ROOT

SPEC = REPO_ROOT / DEFAULT_SPEC


@pytest.mark.slow
def test_every_configuration_stays_within_its_tolerance_on_128_patients() -> None:
    results = measure_accuracy(load_trial_spec(SPEC), list(CONFIGURATIONS))
    assert results["patients"] == 128
    for name, row in results["configurations"].items():
        assert not row["outside_tolerance"], (name, row["differences"])
    # the default is the target: 0.3 PHQ-9 points and 0.3 nmol/L at week 12
    default = results["configurations"]["cohort"]
    assert default["tolerance"] == {"phq9": 0.3, "cortisol_morning": 0.3}
    # and the comparison sees real differences (a float32 10-min run is not the reference)
    assert default["differences"]["cortisol_morning"]["last_max"] > 1e-4


def test_configured_spec_applies_and_validates_settings() -> None:
    spec = load_trial_spec(SPEC)
    changed = configured_spec(spec, {"integrator": "exponential_rk4"}, 16)
    assert changed.population.size == 16 and changed.chunk_size == 16
    assert changed.simulation.integrator == "exponential_rk4"
    assert changed.simulation.output_every_min == spec.simulation.output_every_min
    with pytest.raises(ValueError, match="integrator"):
        configured_spec(spec, {"integrator": "euler"}, 16)


def test_differences_compare_patient_by_patient_and_refuse_mismatches() -> None:
    reference = pd.DataFrame(
        {"phq9@day0": [10.0, 12.0], "phq9@day83": [8.0, 9.0], "pain_nrs@day83": [5.0, 6.0]}
    )
    run = reference + np.array([[0.0, 0.2, 0.0], [0.1, -0.6, 0.05]])
    measured = differences(reference, run)
    assert measured["phq9"]["last_max"] == pytest.approx(0.6)
    assert measured["phq9"]["last_median"] == pytest.approx(0.4)
    assert measured["phq9"]["all_visits_max"] == pytest.approx(0.6)
    assert measured["pain_nrs"]["last_max"] == pytest.approx(0.05)
    assert within_tolerance(measured, {"phq9": 0.5}) == ["phq9: 0.6 > 0.5"]
    assert within_tolerance(measured, {"phq9": 0.7}) == []
    with pytest.raises(ValueError, match="differ from the reference"):
        differences(reference, run.iloc[:1])
    broken = run.copy()
    broken.loc[0, "phq9@day83"] = float("nan")
    with pytest.raises(ValueError, match="non-finite phq9"):
        differences(reference, broken)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--patients", "3"], "--patients: 3 is outside 8..100000"),
        (["--spec", "no/such/spec.yaml"], "no/such/spec.yaml"),
        (["--only", "warp_drive", "--patients", "8"], "configuration: unknown warp_drive"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "accuracy.json").exists()
