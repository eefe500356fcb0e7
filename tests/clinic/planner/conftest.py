"""Shared helpers for the planner tests: a baseline assessment and overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpatwin.clinic.planner import KnowledgeBase, Plan, build_plan, load_knowledge_base

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples" / "assessments"

DROP = object()
"""Override value that removes a key from the baseline assessment."""

BASE: dict[str, Any] = {
    "age_years": 45,
    "sex": "female",
    "phq9_total": 12,
    "phq9_item9": 0,
    "pain_nrs": 6,
    "pain_duration_months": 12,
    "pain_regions": ["neck"],
    "creatinine_clearance_ml_min": 90,
    "liver_status": "normal",
}


def make(**overrides: Any) -> dict[str, Any]:
    """The baseline assessment with ``overrides`` applied (``DROP`` removes a key)."""
    data = dict(BASE)
    for key, value in overrides.items():
        if value is DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def plan_for(**overrides: Any) -> Plan:
    """Build the plan of ``make(**overrides)``."""
    return build_plan(make(**overrides))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()
