"""The trial report as a reader meets it: bands within each instrument's range, tables that fit a
printed A4 page, arms summarised without paths or change-point dumps, no internal citations, a
forest plot grouped by endpoint, and a progress bar that moves within a chunk."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tqdm.auto

from hpatwin.trials.arms import ResolvedArm
from hpatwin.trials.chunk import BLOCK_PROGRESS
from hpatwin.trials.report import (
    A4_TABLE_COLUMNS,
    effect_table,
    forest_rows,
    primary_table,
)
from hpatwin.trials.report_summary import MEASURE_RANGE, clip_band, describe_arm, summarise_plan
from hpatwin.trials.runner import TrialResult
from hpatwin.trials.study import run_trial
from tests.trials.conftest import REPO_ROOT, SYNTHETIC_SPEC, make_spec

EXAMPLE_TRIALS = REPO_ROOT / "examples" / "trials"


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[TrialResult, str]:
    out = tmp_path_factory.mktemp("report") / "syn"
    result = run_trial(make_spec(SYNTHETIC_SPEC), out, progress=False)
    return result, (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("measure", "bounds"), [("phq9", (0, 27)), ("pain_nrs", (0, 10))])
def test_bands_are_clipped_to_the_instrument_range(
    measure: str, bounds: tuple[float, float]
) -> None:
    low, high = clip_band(measure, np.array([-3.0, 5.0]), np.array([4.0, 40.0]))
    assert float(np.min(low)) >= bounds[0] and float(np.max(high)) <= bounds[1]
    assert MEASURE_RANGE[measure] == bounds


def test_effect_tables_fit_an_a4_page(synthetic_report: tuple[TrialResult, str]) -> None:
    result, html = synthetic_report
    assert len(effect_table(result.effects).columns) <= A4_TABLE_COLUMNS
    primary = result.effects[result.effects["ancova_estimate"].notna()]
    assert len(primary_table(primary).columns) <= A4_TABLE_COLUMNS
    assert "@page{size:A4" in html and "@media print" in html
    section = html[html.index("<section id='effects'>") :]
    section = section[: section.index("</section>")]
    for head in re.findall(r"<thead>(.*?)</thead>", section):
        assert head.count("<th>") <= A4_TABLE_COLUMNS


@pytest.mark.parametrize("plan", sorted(p.name for p in (EXAMPLE_TRIALS / "plans").glob("*.yaml")))
def test_plan_arms_are_summarised_without_paths_or_change_points(plan: str) -> None:
    path = EXAMPLE_TRIALS / "plans" / plan
    text = describe_arm(ResolvedArm("arm", 1, "", plan=str(path)))
    assert str(path.parent) not in text and ".yaml" not in text and "plans" not in text
    assert not re.search(r"day \d+(\.\d+)?: ", text)  # no input change-point dump
    assert "24 sessions, 2/week for 12 weeks" in text or "10 sessions" in text
    # EA arms name their frequency; sham and manual acupuncture have none
    assert "Hz" in text or text.startswith(("Sham", "Manual acupuncture"))


def test_summary_names_sessions_frequency_weeks_and_drugs() -> None:
    text = summarise_plan(
        {
            "name": "combined",
            "ea_schedules": [{"weekdays": ["tue", "fri"], "count": 24, "frequency": "2"}],
            "drugs": [{"name": "duloxetine", "dose_mg": 30, "titration": [{"dose_mg": 60}]}],
        }
    )
    assert (
        text == "combined: ea 24 sessions, 2/week for 12 weeks, 2 Hz; duloxetine 30 → 60 mg × 1/day"
    )


def test_report_has_no_internal_citations(synthetic_report: tuple[TrialResult, str]) -> None:
    _, html = synthetic_report
    for internal in ("docs/", "SPEC", "§", "clinical-facts", "source-article", "issue #"):
        assert internal not in html


def test_forest_plot_groups_arms_under_each_endpoint() -> None:
    effects = pd.DataFrame(
        {
            "kind": ["continuous", "binary", "continuous", "continuous"],
            "endpoint": ["phq9_change", "phq9_response", "pain_nrs_change", "phq9_change"],
            "arm": ["a", "a", "a", "b"],
            "hedges_g": [-0.5, np.nan, -0.3, -0.1],
            "hedges_g_ci_low": [-0.8, np.nan, -0.6, -0.4],
            "hedges_g_ci_high": [-0.2, np.nan, 0.0, 0.2],
        }
    )
    rows = forest_rows(effects)
    assert [(r[0], r[1]) for r in rows] == [
        ("phq9_change", "a"),
        ("phq9_change", "b"),
        ("pain_nrs_change", "a"),
    ]


def test_progress_bar_moves_within_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    updates: list[int] = []
    original = tqdm.auto.tqdm

    class Recording(original):  # type: ignore[misc, valid-type]
        def update(self, n: float | None = 1) -> bool | None:
            updates.append(int(n or 0))
            return super().update(n)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    spec = make_spec(SYNTHETIC_SPEC, chunk_size=12, output={"report": False, "traces_per_arm": 0})
    run_trial(spec, tmp_path / "out", progress=True)
    assert sum(updates) == 12
    assert len([u for u in updates if u > 0]) >= 2  # one chunk, two arm blocks: the bar moved twice
    assert BLOCK_PROGRESS.get() is None  # the hook is removed after the run
