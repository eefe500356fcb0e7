"""Concurrency with real processes: writers in parallel, every acknowledged write is present afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpatwin.records.concurrency import race_stale_edits, run_writers


@pytest.mark.slow  # 8 process start-ups plus 5 s of writing: 30-45 s on a busy 2-core machine
def test_eight_writer_processes_lose_no_acknowledged_write(store_url: str) -> None:
    result = run_writers(store_url, processes=8, seconds=5.0)
    assert result.missing == 0
    assert result.acknowledged_assessments > 0 and result.acknowledged_sessions > 0
    assert result.refused == 0  # writers wait for the lock instead of failing


def test_three_writer_processes_quick_check(tmp_path: Path) -> None:
    result = run_writers(f"sqlite:///{tmp_path}/r.db", processes=3, seconds=1.0)
    assert result.missing == 0 and result.refused == 0 and result.acknowledged > 0


def test_two_processes_editing_from_the_same_version_one_gets_conflict(store_url: str) -> None:
    assert race_stale_edits(store_url, editors=2) == ["ConflictError", "saved"]
