"""Example plans load and compile as described; the generated docs tables are current."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from hpatwin.treatments import PatientFactors, compile_plan, load_plan, load_point_catalogue
from hpatwin.treatments.docs import render

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "plans").glob("*.yaml"))


def test_the_issue_examples_exist() -> None:
    names = {path.stem for path in EXAMPLES}
    assert names == {
        "ea_2_100hz_low_back_12w",
        "ea_2hz",
        "ea_100hz",
        "sham",
        "duloxetine_30_to_60",
        "ea_plus_duloxetine",
        "cbt_weekly_plus_ea",
        "dry_needling_upper_trapezius",
        "opioid_taper",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_loads_and_compiles(path: Path) -> None:
    plan = load_plan(path)
    assert plan.name
    compiled = compile_plan(plan, days=84, patient=PatientFactors(age_years=55, sex="female"))
    active = [name for name, s in compiled.inputs.items() if len(s.changes) > 1]
    assert active, f"{path.name} compiles to no treatment at all"
    assert not [n for n in compiled.notes if "cut at the horizon" in n]


def test_twelve_week_dense_disperse_plan() -> None:
    plan = load_plan(ROOT / "examples/plans/ea_2_100hz_low_back_12w.yaml")
    blocks = plan.session_blocks()
    assert len(blocks) == 24
    assert blocks[-1].start_min // 1440 < 84
    points = set(plan.ea_schedules[0].points)
    assert {"GV20", "EX-HN3", "PC6", "ST36", "LI4", "LR3"} <= points
    catalogue = load_point_catalogue()
    assert any("low_back" in [r.value for r in catalogue.get(code).serves()] for code in points), (
        "needs a lumbar segmental point"
    )
    inputs = compile_plan(plan, days=84).inputs
    on = blocks[5].start_min + 10
    assert inputs["ea_alternating"].value_at(on) == 1.0
    assert inputs["ea_low_frequency_drive"].value_at(on) == pytest.approx(2.0 / 3.0 * 0.5)


def test_sham_example_has_no_specific_drive() -> None:
    inputs = compile_plan(load_plan(ROOT / "examples/plans/sham.yaml"), days=84).inputs
    assert len(inputs["sham_needling"].changes) == 49
    assert inputs["ea_low_frequency_drive"].changes == ((0.0, 0.0),)
    assert inputs["ea_high_frequency_drive"].changes == ((0.0, 0.0),)


def test_opioid_taper_example_only_goes_down() -> None:
    compiled = compile_plan(load_plan(ROOT / "examples/plans/opioid_taper.yaml"), days=120)
    daily = [compiled.daily_doses_mg["oxycodone"].get(day, 0.0) for day in range(120)]
    assert daily[0] == 60.0 and daily[13] == 60.0 and daily[14] < 60.0
    assert all(b <= a for a, b in itertools.pairwise(daily))
    # 10 % of the original dose per 30 days: about 54 mg/day during the first month of the taper
    assert daily[20] == pytest.approx(55.0)  # 27 mg rounded to the 2.5-mg tablet grid, twice daily


def test_dry_needling_example_targets_the_upper_trapezius() -> None:
    plan = load_plan(ROOT / "examples/plans/dry_needling_upper_trapezius.yaml")
    assert plan.dry_needling_schedules[0].muscle == "upper_trapezius"
    inputs = compile_plan(plan, days=28).inputs
    assert len(inputs["trigger_point_region_cervical"].changes) == 9  # 4 sessions
    assert len(inputs["trigger_point_region_periscapular"].changes) == 3  # 1 session


def test_generated_docs_are_current() -> None:
    page = ROOT / "docs" / "treatments.md"
    text = page.read_text(encoding="utf-8")
    assert render(text) == text, (
        "docs/treatments.md is stale: run PYTHONPATH=src python -m hpatwin.treatments.docs "
        "docs/treatments.md"
    )
    # the PK table carries every drug's sources
    assert "Sharma et al., J Clin Pharmacol 2000" in text
    assert "| oxycodone | opioid | 400 mg/day (plausibility ceiling, no label maximum)" in text
