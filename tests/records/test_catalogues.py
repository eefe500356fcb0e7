"""Catalogue look-ups go through one module (rewired later to hpatwin.data in one place)."""

from __future__ import annotations

import ast
from pathlib import Path

from hpatwin.records.catalogues import catalogue_version, known_drug, known_point

RECORDS = Path(__file__).resolve().parents[2] / "src" / "hpatwin" / "records"


def test_points_and_drugs_resolve_to_canonical_names() -> None:
    assert known_point("li 4") == "LI4"
    assert known_point("ex-hn3") == "EX-HN3"
    assert known_point("ST99") is None
    assert known_drug("Cymbalta") == "duloxetine"
    assert known_drug("  Duloxetine ") == "duloxetine"
    assert known_drug("aspirin-like") is None
    version, sha = catalogue_version()
    assert version and len(sha) == 64


def test_only_the_catalogues_module_reads_the_planner_knowledge_base() -> None:
    readers = []
    for path in RECORDS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "hpatwin.clinic.planner":
                names = {a.name for a in node.names}
                if names & {"load_knowledge_base", "KnowledgeBase"}:
                    readers.append(path.name)
    assert readers == ["catalogues.py"]
