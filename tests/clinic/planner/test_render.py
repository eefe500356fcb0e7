"""Text, JSON and HTML renderings; atomic HTML writes that refuse to overwrite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hpatwin.clinic.planner import DISCLAIMER, render_html, render_json, render_text, write_html

from .conftest import plan_for


def test_text_plan_is_readable_and_says_it_is_not_a_prescription() -> None:
    text = render_text(plan_for(medications=["duloxetine 60 mg"]))
    assert "NOT A PRESCRIPTION" in text.splitlines()[0]
    assert text.rstrip().endswith(DISCLAIMER.split()[-1])
    for heading in (
        "Assessment",
        "Safety screen",
        "Indication",
        "Points",
        "Schedule",
        "Pharmacotherapy notes",
    ):
        assert f"\n{heading}" in text
    assert "EA frequency: 2/100 Hz" in text
    assert "Review at session 6 (week 2)" in text
    assert "Evidence: source article" in text
    assert "[UNCONFIRMED]" in text  # the session-6 / early-signs claims are flagged
    assert max(len(line) for line in text.splitlines()) <= 110


def test_json_has_every_section_and_urgent_alerts() -> None:
    data = json.loads(render_json(plan_for(phq9_item9=1)))
    assert data["kind"] == "hpatwin.plan" and data["disclaimer"] == DISCLAIMER
    assert data["urgent_alerts"][0]["code"] == "phq9-item9-positive"
    assert data["alerts"][0]["level"] == "urgent"
    for key in (
        "summary",
        "dominance",
        "frequency",
        "role",
        "points",
        "schedule",
        "pharmacotherapy_notes",
        "unrecognised",
        "knowledge_base",
    ):
        assert key in data
    alert = data["alerts"][0]
    assert alert["provenance"]["evidence"] == "measured"
    assert alert["provenance"]["sources"][0]["citation"]


def test_html_is_self_contained_and_escaped() -> None:
    plan = plan_for(
        patient_label="<script>alert('x')</script>", medications=["<b>zorblax</b>"], phq9_item9=1
    )
    page = render_html(plan)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;zorblax&lt;/b&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@media print" in page
    assert page.index("URGENT") < page.index(DISCLAIMER[:40])
    assert DISCLAIMER[:40] in page


def test_write_html_is_atomic_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out" / "plan.html"
    write_html(plan_for(), target)
    first = target.read_text(encoding="utf-8")
    assert "<html" in first
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_html(plan_for(phq9_item9=1), target)
    assert target.read_text(encoding="utf-8") == first
    write_html(plan_for(phq9_item9=1), target, overwrite=True)
    assert "URGENT" in target.read_text(encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["plan.html"]  # no temp files left
