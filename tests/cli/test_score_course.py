"""``hpatwin score --course`` never merges patients and never silently reorders administrations."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hpatwin.cli import main

HEADER = "administered_at,1,2,3,4,5,6,7,8,9"


def _score(tmp_path: Path, text: str, *extra: str) -> tuple[int, str]:
    path = tmp_path / "phq9.csv"
    path.write_text(text)
    result = CliRunner().invoke(main, ["score", "phq9", "--csv", str(path), "--course", *extra])
    return result.exit_code, result.output


def test_two_patients_get_their_own_courses(tmp_path: Path) -> None:
    # p1 severe and barely better; p2 milder at baseline and remitted. Merged, p2's follow-up
    # against p1's baseline would read "response: yes".
    text = (
        f"patient,{HEADER}\n"
        "p1,2024-01-01,3,3,3,3,3,3,2,2,0\n"
        "p2,2024-01-02,1,1,1,1,1,1,1,1,0\n"
        "p2,2024-03-01,0,0,0,0,1,0,0,0,0\n"
        "p1,2024-03-01,3,3,3,2,2,2,2,2,0\n"
    )
    code, out = _score(tmp_path, text, "--json")
    assert code == 0, out
    per_patient = json.loads(out)["courses"]
    p1, p2 = per_patient["p1"], per_patient["p2"]
    assert [p["value"] for p in p1["points"]] == [22, 19] and p1["points"][1]["met"][
        "response"
    ] is False
    assert [p["value"] for p in p2["points"]] == [8, 1] and p2["points"][1]["met"][
        "remission"
    ] is True
    code, out = _score(tmp_path, text)
    assert "Course for patient p1" in out and "Course for patient p2" in out


def test_subject_column_works_the_same(tmp_path: Path) -> None:
    text = f"subject,{HEADER}\np1,2024-01-01,3,3,3,3,3,3,2,2,0\np1,2024-02-01,1,1,1,1,1,1,1,1,0\n"
    code, out = _score(tmp_path, text)
    assert code == 0 and "Course for patient p1" in out


def test_partial_dates_are_refused_not_reordered(tmp_path: Path) -> None:
    # by date: baseline 22 (Jan) -> 1 (Mar) is a remission; by file order it would look like deterioration
    text = f"{HEADER}\n2024-03-01,0,0,0,0,1,0,0,0,0\n,3,3,3,3,3,3,2,2,0\n2024-01-01,3,3,3,3,3,3,2,2,0\n"
    code, out = _score(tmp_path, text)
    assert code == 2
    assert "administration 2 has no administered_at while others have one" in out


def test_rows_with_and_without_a_patient_are_refused(tmp_path: Path) -> None:
    text = f"patient,{HEADER}\np1,2024-01-01,3,3,3,3,3,3,2,2,0\n,2024-02-01,1,1,1,1,1,1,1,1,0\n"
    code, out = _score(tmp_path, text)
    assert code == 2 and "administration 2 has no patient" in out


def test_several_patients_without_a_patient_column_are_refused(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n2024-01-01,3,3,3,3,3,3,2,2,0\n2024-01-01,1,1,1,1,1,1,1,1,0\n"
        "2024-03-01,0,0,0,0,1,0,0,0,0\n2024-03-01,3,3,3,2,2,2,2,2,0\n"
    )
    code, out = _score(tmp_path, text)
    assert code == 2 and "add a patient column" in out


def test_dated_rows_are_ordered_by_date(tmp_path: Path) -> None:
    text = f"{HEADER}\n2024-03-01,0,0,0,0,1,0,0,0,0\n2024-01-01,3,3,3,3,3,3,2,2,0\n"
    code, out = _score(tmp_path, text, "--json")
    assert code == 0
    points = json.loads(out)["course"]["points"]
    assert [p["value"] for p in points] == [22, 1] and points[1]["met"]["remission"] is True


def test_disagreeing_subject_and_patient_columns_are_refused(tmp_path: Path) -> None:
    text = f"subject,patient,{HEADER}\np1,p2,2024-01-01,3,3,3,3,3,3,2,2,0\np1,p1,2024-02-01,1,1,1,1,1,1,1,1,0\n"
    code, out = _score(tmp_path, text)
    assert code == 2 and "columns subject and patient disagree" in out
