"""Power by simulation: a pool simulated once, resampled per size; the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.trials import power_analysis
from hpatwin.trials.power import power_from_pool
from tests.trials.conftest import SYNTHETIC_SPEC, make_spec, write_spec

# a weaker, noisier therapy so that power visibly grows with size
WEAK = {
    "arms": ["usual_care", {"name": "therapy", "inputs": {"therapy": [[1, 0.15]]}}],
    "population": {
        **SYNTHETIC_SPEC["population"],
        "variability": {"efficacy_mood": 0.8, "response_rate_per_day": 0.5, "phq9_untreated": 0.25},
    },
    "endpoints": ["phq9_change", "phq9_response"],
    "output": {"traces_per_arm": 0, "report": False},
    # the power machinery on the model's values: with observation noise (realistic
    # PHQ-9 measurement error) this weak effect needs far more than 12 patients per arm
    "observation": {"noise": False},
}


def test_power_grows_with_size_and_reuses_the_pool(tmp_path: Path) -> None:
    spec = make_spec(SYNTHETIC_SPEC, **WEAK)
    result = power_analysis(
        spec, tmp_path / "power", sizes=[2, 12], replicates=40, pool_per_arm=30, progress=False
    )
    table = result.table.set_index("size_per_arm")
    assert table.loc[2, "power"] < table.loc[12, "power"]
    assert table.loc[12, "power"] >= 0.8
    assert (table["replicates"] == 40).all() and result.endpoint == "phq9_change"
    assert (tmp_path / "power" / "power.csv").exists() and (
        tmp_path / "power" / "power.png"
    ).exists()
    pool = result.pool
    assert pool is not None and pool.executed_chunks > 0
    with pytest.raises(FileExistsError, match="--overwrite"):
        power_analysis(spec, tmp_path / "power", sizes=[4], replicates=5, progress=False)
    (tmp_path / "power" / "power.csv").unlink()
    reused = power_analysis(
        spec, tmp_path / "power", sizes=[12, 2], replicates=40, pool_per_arm=30, progress=False
    )
    assert (
        reused.pool is not None and reused.pool.executed_chunks == 0
    )  # the finished pool is reused
    pd.testing.assert_frame_equal(reused.table, result.table)
    again = power_analysis(
        spec,
        tmp_path / "power",
        sizes=[2, 12],
        replicates=40,
        pool_per_arm=30,
        progress=False,
        overwrite=True,
    )
    # --overwrite re-simulates the pool; results are identical (seeded throughout)
    assert again.pool is not None and again.pool.executed_chunks > 0
    pd.testing.assert_frame_equal(again.table, result.table)
    with pytest.raises(ValueError, match="fewer than 2 × 40"):
        power_from_pool(
            pool.patients(),
            "phq9_change",
            "continuous",
            ["usual_care", "therapy"],
            {"usual_care": 1, "therapy": 1},
            "usual_care",
            sizes=[40],
            replicates=2,
        )


def test_power_criteria_agree_on_a_clear_effect() -> None:
    values = np.r_[np.zeros(100), np.full(100, 3.0)] + np.tile(np.linspace(-1, 1, 100), 2)
    pool = pd.DataFrame({"arm": ["c"] * 100 + ["t"] * 100, "endpoint:x": values})
    common = {"sizes": [10], "replicates": 20, "alpha": 0.05}
    by_p = power_from_pool(pool, "x", "continuous", ["c", "t"], {"c": 1, "t": 1}, "c", **common)
    by_ci = power_from_pool(
        pool,
        "x",
        "continuous",
        ["c", "t"],
        {"c": 1, "t": 1},
        "c",
        criterion="ci",
        n_bootstrap=200,
        **common,
    )
    assert by_p["power"].iloc[0] == 1.0 and by_ci["power"].iloc[0] == 1.0
    null = pool.assign(arm=["c", "t"] * 100)
    no_effect = power_from_pool(
        null, "x", "continuous", ["c", "t"], {"c": 1, "t": 1}, "c", sizes=[10], replicates=60
    )
    assert no_effect["power"].iloc[0] <= 0.2  # about alpha under the null


def test_power_cli(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "weak.yaml", SYNTHETIC_SPEC, **WEAK)
    out = tmp_path / "p"
    result = CliRunner().invoke(
        main,
        [
            "power",
            str(spec),
            "--sizes",
            "3,6",
            "--replicates",
            "10",
            "--out",
            str(out),
            "--pool-per-arm",
            "15",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "therapy vs usual_care, 6 per arm: power" in result.output
    assert len(pd.read_csv(out / "power.csv")) == 2
    bad = CliRunner().invoke(main, ["power", str(spec), "--sizes", "3,x", "--out", str(out)])
    assert bad.exit_code != 0 and "comma-separated whole numbers" in bad.output
