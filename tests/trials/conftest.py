"""Shared trial specs: a tiny HPA-core trial and a synthetic PHQ-9/pain trial."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpatwin.trials.arms import clear_plan_resolver
from hpatwin.trials.spec import TrialSpec, parse_spec
from tests.trials.synthetic_model import REFERENCE

REPO_ROOT = Path(__file__).resolve().parents[2]

# the synthetic trials use a plug-in model (module:function), which needs the explicit opt-in;
# set before any Dask worker process starts so the workers inherit it
os.environ["HPATWIN_ALLOW_PLUGINS"] = "1"

HPA_SPEC: dict[str, Any] = {
    "name": "hpa-mini",
    "model": "hpa_core",
    "seed": 3,
    "population": {
        "size": 6,
        "phenotypes": {"chronic_stress": 0.5, "healthy": 0.5},
        "variability": {"cortisol_half_life_min": 0.1, "adrenal_turnover_days": 0.2},
        "factors": {"comedication": {"ssri": 0.3}},
    },
    "arms": [
        "usual_care",
        {"name": "relief", "inputs": {"stress_input": {"mode": "scale", "schedule": [[1, 0.6]]}}},
    ],
    "randomisation": {"method": "block", "block_size": 2},
    "duration_days": 2,
    "visits_days": [0, 1],
    "endpoints": [
        "cortisol_2300_change",
        "cortisol_0800",
        "diurnal_slope_change",
        "slope_normalisation",
    ],
    "statistics": {"bootstrap_samples": 200},
    "output": {"traces_per_arm": 1, "report": False},
}

SYNTHETIC_SPEC: dict[str, Any] = {
    "name": "synthetic",
    "model": REFERENCE,
    "seed": 5,
    "population": {
        "size": 12,
        "phenotypes": {"synthetic_depressed": 0.5, "synthetic_comorbid": 0.5},
        "variability": {"efficacy_mood": 0.3, "response_rate_per_day": 0.3, "phq9_untreated": 0.15},
    },
    "arms": ["usual_care", {"name": "therapy", "inputs": {"therapy": [[1, 1.0]]}}],
    "duration_days": 15,
    "visits_days": [0, 7, 14],
    "endpoints": [
        "phq9_change",
        "phq9_response",
        "phq9_remission",
        "pain_nrs_change",
        "pain_reduction_30",
        "pain_reduction_50",
        "rmssd_change",
        "cortisol_0800_change",
    ],
    "simulation": {"time_step_min": 10},
    "statistics": {"bootstrap_samples": 200},
    "chunk_size": 5,
    "output": {"traces_per_arm": 1},
}


def make_spec(base: dict[str, Any], **changes: Any) -> TrialSpec:
    """A validated spec: ``base`` with top-level fields replaced."""
    data = copy.deepcopy(base)
    data.update(changes)
    return parse_spec(data)


def write_spec(path: Path, base: dict[str, Any], **changes: Any) -> Path:
    """Write a spec YAML and return its path."""
    data = copy.deepcopy(base)
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def treatments_plan_resolver() -> None:
    """Every test starts with the treatments package's plan resolver (tests that need
    another one register it themselves)."""
    clear_plan_resolver()
