"""The loopback load script stays runnable: 3 clinicians for 3 s, no errors, no lost writes.

No timing is asserted (the machine is shared); the figures are in BENCHMARKS.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_web_load.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_web_load", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module
    spec.loader.exec_module(module)
    return module


def test_short_load_run_has_no_errors_and_no_lost_writes() -> None:
    result = _load().run(clinicians=3, seconds=3.0)
    assert result["errors"] == 0, result["error_kinds"]
    assert result["server_error_lines"] == 0
    assert result["page_requests"] > 0
    assert result["acknowledged_phq9"] + result["acknowledged_sessions"] > 0
    assert result["lost_phq9"] == result["lost_sessions"] == 0
    assert result["unexpected_rows"] == 0
    assert set(result["per_page"]) >= {"login", "warm_up", "patient_list"}
    assert result["patients"] == 3 * 3 + 4  # each clinician's own caseload plus the demo
