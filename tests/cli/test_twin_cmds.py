"""``hpatwin fit`` and ``hpatwin forecast`` end to end, and their one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpatwin.cli import main
from hpatwin.records.entries import AssessmentEntry, PatientEntry, SessionEntry
from hpatwin.records.exchange import export_fhir
from hpatwin.records.store import RecordStore

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)
SECRET_ID = "zz-private-4471"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("twin") / "clinic.db"
    store = RecordStore(path)
    store.init()
    with store.writing("dr_a") as w:
        w.add_patient(PatientEntry(SECRET_ID, birth_year=1975, sex="male"))
        for k, level in enumerate((3, 3, 2, 2)):
            day = T0 + timedelta(days=7 * k)
            w.add_assessment(SECRET_ID, AssessmentEntry("phq9", day, (level,) * 6 + (1, 1, 0)))
            w.add_assessment(SECRET_ID, AssessmentEntry("nrs", day, (7 - k,)))
            w.add_session(
                SECRET_ID,
                SessionEntry(
                    day,
                    30,
                    "ea",
                    points=("GV20", "EX-HN3"),
                    electrode_pairs=(("GV20", "EX-HN3"),),
                    frequency_hz="2",
                    intensity_ma=2.0,
                ),
            )
    store.close()
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_fit_then_forecast(clinic: Path, tmp_path: Path) -> None:
    fit = tmp_path / "fit.nc"
    code, out = _run(
        "fit", "--db", str(clinic), "--patient", SECRET_ID, "--out", str(fit), "--particles", "64"
    )
    assert code == 0, out
    assert "informed by the data" in out and "posterior_median" in out and fit.exists()
    code, out = _run(
        "forecast",
        str(fit),
        "--out",
        str(tmp_path / "fc"),
        "--draws",
        "32",
        "--protocol",
        "usual_care",
        "--protocol",
        "ea_2hz_twice_weekly",
    )
    assert code == 0, out
    for name in (
        "forecast.nc",
        "forecast_summary.csv",
        "fan_phq9.png",
        "fan_nrs.png",
        "summary.md",
    ):
        assert (tmp_path / "fc" / name).exists()
    text = (tmp_path / "fc" / "summary.md").read_text()
    assert "not a recommendation" in text
    # a later fit compared with the forecast made at week 1
    early = tmp_path / "early.nc"
    assert (
        _run(
            "fit",
            "--db",
            str(clinic),
            "--patient",
            SECRET_ID,
            "--as-of",
            "2024-03-11",
            "--out",
            str(early),
            "--particles",
            "64",
        )[0]
        == 0
    )
    assert (
        _run(
            "forecast",
            str(early),
            "--out",
            str(tmp_path / "early"),
            "--draws",
            "32",
            "--protocol",
            "ea_2hz_twice_weekly",
        )[0]
        == 0
    )
    code, out = _run(
        "forecast",
        str(fit),
        "--out",
        str(tmp_path / "fc"),
        "--overwrite",
        "--draws",
        "32",
        "--protocol",
        "ea_2hz_twice_weekly",
        "--earlier",
        str(tmp_path / "early"),
        "--earlier-protocol",
        "ea_2hz_twice_weekly",
    )
    assert code == 0, out
    assert "forecast 80 % band" in out


def test_fit_from_a_fhir_file(clinic: Path, tmp_path: Path) -> None:
    store = RecordStore(clinic)
    bundle = tmp_path / "patient.json"
    export_fhir(store, SECRET_ID, bundle)
    store.close()
    code, out = _run(
        "fit", "--file", str(bundle), "--out", str(tmp_path / "f.nc"), "--particles", "64"
    )
    assert code == 0, out


@pytest.mark.parametrize(
    "args,message",
    [
        (["fit", "--out", "x.nc"], "exactly one source"),
        (["fit", "--db", "DB", "--out", "x.nc"], "--patient"),
        (["fit", "--db", "DB", "--patient", "nobody", "--out", "x.nc"], "no such patient"),
        (
            ["fit", "--db", "DB", "--patient", SECRET_ID, "--as-of", "soon", "--out", "x.nc"],
            "--as-of",
        ),
        (
            ["fit", "--db", "DB", "--patient", SECRET_ID, "--particles", "66", "--out", "x.nc"],
            "multiple of 4",
        ),
        (["forecast", "missing.nc", "--out", "fc"], "no such fit file"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    clinic: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    resolved = [str(clinic) if a == "DB" else a for a in args]
    resolved = [str(tmp_path / a) if a in ("x.nc", "fc", "missing.nc") else a for a in resolved]
    code, out = _run(*resolved)
    assert code == 2 and message in out
    assert "Traceback" not in out


def test_unknown_protocol_is_named(clinic: Path, tmp_path: Path) -> None:
    fit = tmp_path / "fit.nc"
    assert (
        _run(
            "fit",
            "--db",
            str(clinic),
            "--patient",
            SECRET_ID,
            "--out",
            str(fit),
            "--particles",
            "64",
        )[0]
        == 0
    )
    code, out = _run("forecast", str(fit), "--out", str(tmp_path / "fc"), "--protocol", "magic")
    assert code == 2 and "unknown magic" in out and "usual_care" in out


def test_seed_demo_with_fitted_twins_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    code, out = _run("web", "--db", str(db), "seed-demo", "--forecasts", "--particles", "64")
    assert code == 0, out
    assert out.count("twin fitted") == 4
    stored = sorted((tmp_path / "twin").glob("demo-*/*/forecast.json"))
    assert len(stored) == 4
    code, out = _run("web", "--db", str(db), "seed-demo", "--forecasts", "--particles", "64")
    assert code == 0 and "twin fitted" not in out
