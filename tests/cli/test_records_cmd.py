"""``hpatwin records`` end to end, and its one-line errors (no traceback, no patient data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpatwin.cli import main

SECRET_ID = "zz-private-7731"


def _run(db: Path, *args: str, user: str = "dr_a") -> tuple[int, str]:
    result = CliRunner().invoke(main, ["records", "--db", str(db), "--user", user, *args])
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    assert _run(path, "init")[0] == 0
    return path


def test_a_clinic_day_from_the_command_line(db: Path, tmp_path: Path) -> None:
    assert _run(db, "add-patient", "p001", "--birth-year", "1978", "--sex", "female")[0] == 0
    assert _run(db, "add-episode", "p001", "--title", "EA course", "--start", "2024-03-01")[0] == 0
    code, out = _run(
        db,
        "add-assessment",
        "p001",
        "phq9",
        *["2", "2", "2", "2", "2", "2", "2", "2", "1"],
        "--at",
        "2024-03-01T09:00",
    )
    assert code == 0 and "URGENT" in out and "total 17" in out
    for day in range(1, 7):
        code, out = _run(
            db,
            "add-session",
            "p001",
            "--at",
            f"2024-03-0{day}T10:00",
            "--modality",
            "ea",
            "--point",
            "LI4",
            "--point",
            "lr3",
            "--pair",
            "LI4-LR3",
            "--frequency-hz",
            "2/100",
            "--intensity-ma",
            "2.5",
            "--duration-min",
            "30",
            "--episode-start",
            "2024-03-01",
        )
        assert code == 0, out
    assert "REVIEW" not in out  # no follow-up assessment yet: no course to judge
    _run(
        db,
        "add-assessment",
        "p001",
        "phq9",
        *["2", "2", "2", "2", "1", "1", "1", "1", "0"],
        "--at",
        "2024-03-06T11:00",
    )
    code, out = _run(db, "show", "p001")
    assert code == 0 and "OPEN ALERT" in out and "REVIEW: phq9: no response by session 6" in out
    assert "OPEN ALERT" in _run(db, "patients")[1]
    assert "session 6" in _run(db, "timeline", "p001")[1]
    assert _run(db, "acknowledge", "1", "--action", "risk assessment done")[0] == 0
    assert "OPEN ALERT" not in _run(db, "show", "p001")[1]
    full = json.loads(_run(db, "show", "p001", "--json")[1])
    assert full["alerts"][0]["entry"]["acknowledged_by"] == "dr_a"
    bundle, table = tmp_path / "p001.json", tmp_path / "all.csv"
    assert _run(db, "export", "--patient", "p001", bundle.as_posix())[0] == 0
    assert _run(db, "export", "--format", "csv", table.as_posix())[0] == 0
    other = tmp_path / "other.db"
    _run(other, "init")
    code, out = _run(other, "import", bundle.as_posix(), table.as_posix())
    assert code == 0 and "sessions: 6 created" in out and "assessments: 2 unchanged" in out
    assert "episodes: 1 created" in out
    backup = tmp_path / "backup.db"
    code, out = _run(db, "backup", backup.as_posix())
    assert code == 0 and backup.exists()
    assert _run(db, "backup", backup.as_posix())[0] == 1  # never overwrites silently


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "add-assessment",
                SECRET_ID,
                "gad7",
                "1",
                "1",
                "1",
                "9",
                "1",
                "1",
                "1",
                "--at",
                "2024-01-01T08:00",
            ],
            "assessment.items: gad7 item 4: 9 is outside the allowed range 0-3",
        ),
        (
            [
                "add-session",
                SECRET_ID,
                "--at",
                "2024-01-01T08:00",
                "--modality",
                "ea",
                "--point",
                "ST99",
                "--frequency-hz",
                "2",
                "--intensity-ma",
                "2",
                "--duration-min",
                "30",
            ],
            "session.points[0]: not in the point catalogue",
        ),
        (
            [
                "add-session",
                SECRET_ID,
                "--at",
                "2999-01-01T08:00",
                "--modality",
                "cbt",
                "--duration-min",
                "30",
            ],
            "session.started_at: is in the future",
        ),
        (
            [
                "add-session",
                SECRET_ID,
                "--at",
                "2024-01-01T08:00",
                "--modality",
                "ea",
                "--point",
                "LI4",
                "--frequency-hz",
                "2",
                "--intensity-ma",
                "80",
                "--duration-min",
                "30",
            ],
            "session.intensity_ma: 80 is out of range (allowed: 0.1-50 mA)",
        ),
        (["show", "nobody-here"], "patient: no such patient id in this store"),
        (["import", "missing.json"], "missing.json: no such file"),
    ],
)
def test_errors_are_one_clear_line_without_patient_data(
    db: Path, args: list[str], expected: str
) -> None:
    _run(db, "add-patient", SECRET_ID)
    code, out = _run(db, *args)
    assert code == 1
    assert out.startswith("Error: ") and expected in out
    assert out.count("\n") == 1 and "Traceback" not in out
    assert SECRET_ID not in out


def test_bad_csv_import_names_file_line_and_column_and_changes_nothing(
    db: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "scores.csv"
    rows = [f"p{i},nrs,2024-01-{i + 1:02d}T08:00,{i % 10}" for i in range(30)]
    rows[20] = "p20,nrs,2024-01-21T08:00,11"
    csv.write_text("patient,instrument,administered_at,item_1\n" + "\n".join(rows) + "\n")
    code, out = _run(db, "import", csv.as_posix())
    assert code == 1 and "scores.csv" in out and "line 22" in out and "0-10" in out
    assert _run(db, "patients")[1].strip() == "no patients"


def test_uninitialised_database_says_how_to_fix(tmp_path: Path) -> None:
    code, out = _run(tmp_path / "new.db", "patients")
    assert code == 1 and "hpatwin records init" in out


def test_database_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPATWIN_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    result = CliRunner().invoke(main, ["records", "init"])
    assert result.exit_code == 0 and "env.db" in result.output


def test_default_database_lives_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HPATWIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["records", "init"])
    assert result.exit_code == 0
    assert (tmp_path / "data" / "hpatwin" / "records.db").exists()
