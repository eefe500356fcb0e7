"""No citation in the package, the knowledge base, the examples or the docs points outside the
repository: sources are primary references (author, journal, year, DOI/PMID where one exists),
never the project's working notes, specification sections or issue numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCANNED = [
    *sorted((REPO / "src").rglob("*.py")),
    *sorted((REPO / "src").rglob("*.yaml")),
    *sorted((REPO / "examples").rglob("*.yaml")),
    *sorted((REPO / "docs").rglob("*.md")),
    REPO / "README.md",
    REPO / "BENCHMARKS.md",
]
#: references to files and notes that are not part of the repository
OUTSIDE = re.compile(
    r"clinical-facts|hpa-models(\.md)?\b|libraries\.md|source-article\.txt|shared/reference"
    r"|project reference|SPEC(\.md)? ?§|\bissue #\d+",
    re.IGNORECASE,
)


def _offenders(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        f"{path.relative_to(REPO)}:{number}: {OUTSIDE.search(line).group(0)}"  # type: ignore[union-attr]
        for number, line in enumerate(lines, start=1)
        if OUTSIDE.search(line)
    ]


def test_no_citation_points_outside_the_repository() -> None:
    offenders = [hit for path in SCANNED if path.is_file() for hit in _offenders(path)]
    assert offenders == [], "\n".join(offenders[:40])


@pytest.mark.parametrize(
    "line",
    ["source: clinical-facts.md §5.1", "see hpa-models.md §4.3", "(SPEC §2)", "as in issue #7"],
)
def test_the_scan_finds_an_outside_citation(tmp_path: Path, line: str) -> None:
    assert OUTSIDE.search(line)
    assert not OUTSIDE.search("Kroenke K et al. J Gen Intern Med 2001;16:606 (doi:10.1046/j.1525-1497.2001.016009606.x)")
