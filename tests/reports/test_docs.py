"""Docs generated from the model definition are committed and current."""

from __future__ import annotations

from pathlib import Path

from hpatwin.reports.model_docs import expected_pages

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_generated_docs_are_current() -> None:
    for relative, content in expected_pages().items():
        path = DOCS / relative
        assert path.exists(), f"{relative} missing: run python -m hpatwin.reports.model_docs docs"
        assert path.read_text(encoding="utf-8") == content, (
            f"{relative} is stale: run python -m hpatwin.reports.model_docs docs"
        )


def test_equations_mention_every_state() -> None:
    page = expected_pages()["models/hpa_core.md"]
    for state in ("crh", "acth", "cortisol", "gr\\_sensitivity", "adrenal\\_mass"):
        assert f"\\mathrm{{{state}}}" in page
