"""Table-driven tests of the article's indication rows and the monotherapy/adjunct rule."""

from __future__ import annotations

from typing import Any

import pytest

from hpatwin.clinic.planner import build_plan

from .conftest import DROP, make

# (PHQ-9 total, pain NRS, pain months) -> dominance, frequency, rule id, evidence
ROWS: list[tuple[int, float, float | None, str, str | None, str, str]] = [
    # the article's table: "Main indication" row
    (
        18,
        2,
        24,
        "depressive predominance",
        "2 Hz",
        "frequency-depressive-predominance",
        "source article",
    ),
    (
        12,
        0,
        None,
        "depressive predominance",
        "2 Hz",
        "frequency-depressive-predominance",
        "source article",
    ),
    (
        2,
        8,
        0.5,
        "acute pain predominance",
        "100 Hz",
        "frequency-acute-pain-predominance",
        "source article",
    ),
    (
        7,
        8,
        1,
        "acute pain predominance",
        "100 Hz",
        "frequency-acute-pain-predominance",
        "source article",
    ),
    (
        12,
        7,
        6,
        "chronic pain + depression",
        "2/100 Hz",
        "frequency-chronic-pain-with-depression",
        "source article",
    ),
    (
        7,
        5,
        3,
        "chronic pain + depression",
        "2/100 Hz",
        "frequency-chronic-pain-with-depression",
        "source article",
    ),  # 3 months is the chronic threshold (inclusive)
    (
        22,
        9,
        12,
        "chronic pain + depression",
        "2/100 Hz",
        "frequency-chronic-pain-with-depression",
        "source article",
    ),  # both severe: pain not outranked
    # pictures the table does not cover: flagged assumptions
    (
        2,
        6,
        12,
        "chronic pain without depression",
        "2/100 Hz",
        "frequency-chronic-pain-without-depression",
        "assumption",
    ),
    (
        12,
        6,
        2.9,
        "acute pain with equal depression",
        "2/100 Hz",
        "frequency-acute-pain-equal-depression",
        "assumption",
    ),
    (3, 0, None, "no pain or depression", None, "frequency-no-indication", "assumption"),
]


@pytest.mark.parametrize(
    ("phq9", "nrs", "months", "category", "frequency", "rule_id", "evidence"), ROWS
)
def test_indication_rows(
    phq9: int,
    nrs: float,
    months: float | None,
    category: str,
    frequency: str | None,
    rule_id: str,
    evidence: str,
) -> None:
    overrides: dict[str, Any] = {
        "phq9_total": phq9,
        "pain_nrs": nrs,
        "pain_duration_months": DROP if months is None else months,
    }
    plan = build_plan(make(**overrides))
    assert plan.dominance.category == category
    assert plan.frequency.frequency == frequency
    assert plan.frequency.provenance.rule_id == rule_id
    assert plan.frequency.provenance.evidence == evidence
    if evidence == "assumption":
        assert plan.frequency.provenance.rationale
    assert category in plan.dominance.explanation


def test_article_rows_carry_the_table_profile() -> None:
    plan = build_plan(make(phq9_total=12, pain_nrs=7, pain_duration_months=6))
    profile = plan.frequency.profile
    assert profile["neuropeptides"].startswith("all three")
    assert profile["analgesic effect"] == "strong and long-lasting"
    assert plan.frequency.table_row == "Main indication: chronic pain + depression"
    depressive = build_plan(make(phq9_total=18, pain_nrs=0, pain_duration_months=DROP))
    assert depressive.frequency.profile["antidepressant effect"] == "strong (via serotonin)"


ROLES: list[tuple[int, str, str, str]] = [
    (0, "minimal", "not determined", "role-minimal-not-determined"),
    (4, "minimal", "not determined", "role-minimal-not-determined"),
    (5, "mild", "monotherapy", "role-monotherapy-mild"),
    (9, "mild", "monotherapy", "role-monotherapy-mild"),
    (10, "moderate", "adjunct", "role-adjunct-moderate-severe"),
    (14, "moderate", "adjunct", "role-adjunct-moderate-severe"),
    (15, "moderately severe", "adjunct", "role-adjunct-moderate-severe"),
    (19, "moderately severe", "adjunct", "role-adjunct-moderate-severe"),
    (20, "severe", "adjunct", "role-adjunct-moderate-severe"),
    (27, "severe", "adjunct", "role-adjunct-moderate-severe"),
]


@pytest.mark.parametrize(("phq9", "severity", "role", "rule_id"), ROLES)
def test_monotherapy_for_mild_adjunct_for_moderate_to_severe(
    phq9: int, severity: str, role: str, rule_id: str
) -> None:
    plan = build_plan(make(phq9_total=phq9))
    assert (plan.role.phq9_severity, plan.role.role) == (severity, role)
    assert plan.role.provenance.rule_id == rule_id
    if role != "not determined":
        assert plan.role.provenance.evidence == "source article"


def test_role_from_items_matches_the_instrument_severity() -> None:
    plan = build_plan(
        make(phq9_total=DROP, phq9_item9=DROP, phq9_items=[1, 1, 1, 1, 1, 0, 0, 0, 0])
    )
    assert (plan.summary.phq9_total, plan.role.role) == (5, "monotherapy")


def test_schedule_runs_8_to_12_weeks_with_a_review_at_session_6() -> None:
    schedule = build_plan(make()).schedule
    assert schedule.course.weeks == (8, 12)
    assert schedule.review_session == 6
    assert schedule.review_week == 2  # 3 sessions a week
    assert schedule.sessions_range == (24, 32)
    checks = {c.check for c in schedule.review_checks}
    assert {
        "PHQ-9 change from baseline",
        "Pain NRS change from baseline",
        "PHQ-9 item 9",
        "Adverse events",
    } <= checks
    assert schedule.review_provenance.confirmation == "unconfirmed"


def test_points_by_role_and_region() -> None:
    plan = build_plan(make(pain_regions=["low back", "knee"]))
    roles = {p.code: p.roles for p in plan.points}
    assert roles["LI4"] == ("HPA/systemic",)
    assert roles["GV20"] == ("limbic",)
    assert roles["BL23"] == ("segmental (low_back)",)
    assert roles["GB34"] == ("segmental (knee)",)
    assert plan.electrode_pairs[0].points == ("GV20", "EX-HN3")
    widespread = build_plan(make(pain_regions=["widespread"]))
    assert not any(r.startswith("segmental") for p in widespread.points for r in p.roles)
    assert widespread.region_notes[0].region == "widespread"


def test_no_segmental_points_without_pain() -> None:
    plan = build_plan(
        make(phq9_total=16, pain_nrs=0, pain_duration_months=DROP, pain_regions=["low back"])
    )
    assert plan.dominance.category == "depressive predominance"
    assert not any(r.startswith("segmental") for p in plan.points for r in p.roles)
    assert plan.region_notes == ()
