"""Small made-up trial inputs for the examples in the trials package's docstrings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hpatwin.trials.runner import PreparedTrial, analyse, prepare_trial
from hpatwin.trials.spec import _example_spec

__all__ = ["example_report_inputs"]


def example_report_inputs() -> tuple[PreparedTrial, pd.DataFrame, Path, pd.DataFrame, pd.DataFrame]:
    """A prepared 4-patient trial with made-up results, for the examples in this module."""
    prepared = prepare_trial(_example_spec())
    patients = prepared.patients.copy()
    patients["completed"] = True
    patients["endpoint:cortisol_2300_change"] = [0.0, -1.0, -2.0, 0.5]
    patients["cortisol_evening@day0"] = 3.0
    daily = Path(tempfile.mkdtemp()) / "daily.parquet"
    evening = pa.FixedSizeListArray.from_arrays(pa.array([3.0, 2.5, 2.0] * 4), 3)
    pq.write_table(
        pa.table(
            {"patient_id": range(4), "arm": patients["arm"], "daily:cortisol_evening": evening}
        ),
        daily,
    )
    summaries, effects = analyse(prepared, patients)
    return prepared, patients, daily, summaries, effects
