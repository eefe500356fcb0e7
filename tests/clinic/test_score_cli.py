"""``hpatwin score``: arguments, CSV, JSON, --course, --json, --fhir-out and errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hpatwin.cli.score_cmd import command
from hpatwin.records.fhir import read_bundle


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(command, list(args), input=stdin)
    return result.exit_code, result.output


def test_arguments_text_output_with_urgent_alert_first() -> None:
    code, out = run("phq9", "2", "2", "2", "1", "1", "1", "1", "0", "1", "--difficulty", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("  !! URGENT: PHQ-9 item 9")
    assert "total: 11 / 27" in out and "severity: moderate" in out
    assert "difficulty: 2 (very difficult) - not part of the score" in out


def test_json_output() -> None:
    code, out = run("pcs", *["3"] * 13, "--json")
    assert code == 0
    data = json.loads(out)["administrations"][0]
    assert data["total"] == 39 and data["subscales"]["helplessness"] == 18
    assert data["severity"] == "clinically relevant"


def test_invalid_arguments_exit_2_naming_the_item() -> None:
    code, out = run("gad7", "1", "2", "three", "0", "0", "0", "0")
    assert code == 2 and "gad7 item 3: 'three' (str) is not a number" in out
    code, out = run("isi", "1", "2")
    assert code == 2 and "isi: expected 7 item responses, got 2" in out
    code, out = run("hads", "1")
    assert code == 2 and "unknown instrument 'hads'" in out
    code, out = run("gad7", "1", "1", "1", "1", "1", "1", "1", "--difficulty", "1")
    assert code == 2 and "--difficulty is for PHQ-9" in out
    code, out = run("phq9")
    assert code == 2 and "one" in out


def test_csv_course_and_fhir(tmp_path: Path) -> None:
    csv_path = tmp_path / "nrs.csv"
    csv_path.write_text(
        "administered_at,subject,nrs\n"
        "2024-01-01T10:00:00+00:00,p1,8\n"
        "2024-02-01T10:00:00+00:00,p1,5\n"
        "2024-03-01T10:00:00+00:00,p1,3\n",
        encoding="utf-8",
    )
    out_path = tmp_path / "b.json"
    code, out = run("nrs", "--csv", str(csv_path), "--course", "--fhir-out", str(out_path))
    assert code == 0, out
    assert "administration 3" in out and "(first administration = baseline)" in out
    assert "nrs substantial_response: >= 50% reduction" in out
    parsed = read_bundle(out_path)
    assert len(parsed) == 6
    code, out = run("nrs", "--csv", str(csv_path), "--fhir-out", str(out_path))
    assert code == 1 and "exists" in out
    code, out = run("nrs", "--csv", str(csv_path), "--course", "--json")
    course = json.loads(out)["course"]
    assert course["points"][2]["met"]["substantial_response"] is True


def test_csv_error_names_line(tmp_path: Path) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("1,2,3,4,5,6,7\n0,1,2,3,4,0,1\n", encoding="utf-8")
    code, out = run("gad7", "--csv", str(csv_path))
    assert code == 2 and "bad.csv line 2: gad7 item 5: 4 is outside the allowed range 0-3" in out


def test_json_input_forms(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text(
        json.dumps(
            [
                {"responses": [1] * 7, "administered_at": "2024-01-01T09:00"},
                {"responses": [0] * 7, "administered_at": "2024-02-01T09:00"},
            ]
        )
    )
    code, out = run("isi", "--input-json", str(p), "--course", "--json")
    assert code == 0, out
    assert json.loads(out)["course"]["points"][1]["met"]["remission"] is True
    code, out = run(
        "phq9",
        "--input-json",
        "-",
        stdin=json.dumps({f"phq9_{i}": 1 for i in range(1, 10)} | {"difficulty": 1}),
    )
    assert code == 0 and "total: 9 / 27" in out and "difficulty: 1" in out
    code, out = run("bpi", "--input-json", "-", stdin='{"worst": 7}')
    assert code == 2 and "bpi item least: missing" in out
    code, out = run("bpi", "--input-json", "-", stdin="{oops")
    assert code == 2 and "not valid JSON" in out


def test_list() -> None:
    code, out = run("--list")
    assert code == 0 and out.splitlines()[0].startswith("phq9")
    code, out = run("--list", "--json")
    assert [r["instrument"] for r in json.loads(out)] == [
        "phq9",
        "gad7",
        "nrs",
        "bpi",
        "pcs",
        "isi",
    ]


def test_control_sequences_in_a_subject_cannot_hide_the_urgent_alert(tmp_path: Path) -> None:
    """Issue #17: terminal control sequences in a CSV subject were printed raw before the
    item-9 URGENT alert and could hide it."""
    csv_path = tmp_path / "phq.csv"
    csv_path.write_text(
        "subject,1,2,3,4,5,6,7,8,9\n\x1b[2J\x1b[8mp1\u202e,0,1,0,1,0,1,0,1,3\n", encoding="utf-8"
    )
    code, out = run("phq9", "--csv", str(csv_path))
    assert code == 0 and "URGENT" in out
    assert "\x1b" not in out and "\u202e" not in out
