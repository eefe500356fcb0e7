"""The public trial entry point: run (or resume) a trial, then write its report.

The runner (:mod:`hpatwin.trials.runner`) simulates, checkpoints and analyses; the report
(:mod:`hpatwin.trials.report`) sits above it and reads its results. This module joins the
two, so neither imports the other in both directions.

Example
-------
>>> import pathlib, tempfile
>>> from hpatwin.trials.spec import _example_spec
>>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
>>> result = run_trial(_example_spec(), out, progress=False)
>>> result.report_path.exists(), "ancova_estimate" in result.effects.columns
(True, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpatwin.trials.report import write_report
from hpatwin.trials.runner import TrialResult
from hpatwin.trials.runner import run_trial as run_trial_without_report
from hpatwin.trials.spec import TrialSpec

__all__ = ["run_trial"]


def run_trial(spec: TrialSpec | str | Path, out_dir: str | Path, **options: Any) -> TrialResult:
    """:func:`hpatwin.trials.runner.run_trial` with the HTML report written when asked for.

    ``options`` are those of the runner (``scheduler``, ``overwrite``, ``progress``,
    ``workers``, ``chunk_size``, ``reuse_complete``, ``connect_timeout_s``).
    """
    return run_trial_without_report(spec, out_dir, report_writer=write_report, **options)
