"""Plain CSV both ways, with strict re-scoring and errors naming line and column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from hpatwin.clinic.autonomic import VitalSigns
from hpatwin.clinic.cortisol import UNITS, CortisolSample
from hpatwin.clinic.instruments import INSTRUMENTS, MissingRule, get_spec, score, score_phq9
from hpatwin.records.csv_io import (
    AdministrationRecord,
    CsvError,
    read_administrations_csv,
    read_cortisol_csv,
    read_instrument_csv,
    read_rr_csv,
    read_vitals_csv,
    write_administrations_csv,
    write_cortisol_csv,
    write_rr_csv,
    write_vitals_csv,
)


def responses(name: str) -> list[int]:
    spec = get_spec(name)
    return [(2 * i + 1) % (spec.item_max + 1) for i in range(spec.n_items)]


def test_administrations_round_trip_every_instrument(tmp_path: Path) -> None:
    records = [
        AdministrationRecord(score(n, responses(n)), datetime(2024, 1, i + 1, 9, tzinfo=UTC), "p1")
        for i, n in enumerate(sorted(INSTRUMENTS))
    ]
    records.append(AdministrationRecord(score_phq9([1] * 9, difficulty=2)))
    path = tmp_path / "a.csv"
    write_administrations_csv(path, records)
    back = read_administrations_csv(path)
    assert back == records


def test_prorated_round_trip(tmp_path: Path) -> None:
    rule = MissingRule(1, "SAP")
    rec = AdministrationRecord(score("isi", [1, 2, None, 3, 1, 2, 1], missing=rule))
    path = tmp_path / "a.csv"
    write_administrations_csv(path, [rec])
    with pytest.raises(CsvError, match="line 2: isi item 3: missing"):
        read_administrations_csv(path)
    assert read_administrations_csv(path, missing=rule)[0].result.total == rec.result.total


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("instrument,item_1\nhads,1\n", "line 2 column instrument: unknown instrument 'hads'"),
        ("instrument,item_1\nnrs,11\n", "line 2: nrs item 1: 11 is outside the allowed range 0-10"),
        ("instrument,item_1\nnrs,four\n", "line 2: nrs item 1: 'four' \\(str\\) is not a number"),
        ("instrument,item_1,item_2\nnrs,4,5\n", "line 2 column item_2: nrs has 1 items"),
        ("instrument,item_1,severity\nnrs,4,severe\n", "column severity: 'severe' does not match"),
        ("instrument,item_1,difficulty\nnrs,4,1\n", "column difficulty: only the PHQ-9"),
        ("instrument,item_1,administered_at\nnrs,4,soon\n", "column administered_at: 'soon'"),
        ("item_1\n4\n", "line 1: missing column\\(s\\) instrument"),
        ("instrument,item_1\nnrs,4,9\n", "line 2: more cells than header columns"),
        ("", "empty file"),
    ],
)
def test_administrations_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CsvError, match=message):
        read_administrations_csv(path)


def test_instrument_csv_with_aliases_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "pcs.csv"
    header = ",".join(f"item{i}" for i in range(1, 14))
    path.write_text(
        f"subject,{header}\np1,{','.join(['2'] * 13)}\n,,,,,,,,,,,,,\n", encoding="utf-8"
    )
    recs = read_instrument_csv(path, "pcs")
    assert len(recs) == 1 and recs[0].result.total == 26 and recs[0].subject == "p1"
    path.write_text("1,2,3\n0,1,x\n", encoding="utf-8")
    with pytest.raises(CsvError, match=r"pcs\.csv line 2: gad7 item 3: 'x'"):
        read_instrument_csv(path, "gad7")
    path.write_text("1,2,3\n0,1,1\n", encoding="utf-8")
    with pytest.raises(CsvError, match="line 2: gad7 item 4: missing"):
        read_instrument_csv(path, "gad7")
    path.write_text("1,2,3,4,5,6,7,8\n0,1,1,0,0,0,0,0\n", encoding="utf-8")
    with pytest.raises(CsvError, match="unknown response key '8'"):
        read_instrument_csv(path, "gad7")


def test_instrument_csv_accepts_administrations_format(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write_administrations_csv(path, [AdministrationRecord(score("nrs", [3]))])
    assert read_instrument_csv(path, "nrs")[0].result.total == 3
    with pytest.raises(CsvError, match="expected gad7"):
        read_instrument_csv(path, "gad7")


def test_cortisol_round_trip(tmp_path: Path) -> None:
    samples = [
        CortisolSample(datetime(2024, 5, 2, 8, tzinfo=UTC), 0.45, unit, f"s{i}")
        for i, unit in enumerate(sorted(UNITS))
    ]
    path = tmp_path / "c.csv"
    write_cortisol_csv(path, samples)
    assert read_cortisol_csv(path) == samples


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",10,nmol/L", "line 2 column collected_at: collection time is missing"),
        ("2024-05-02T24:30,10,nmol/L", "column collected_at: collection time .* not a possible"),
        ("2024-05-02,10,nmol/L", "column collected_at: .*no clock time"),
        ("2024-05-02T08:00,ten,nmol/L", "column value: 'ten' is not a number"),
        ("2024-05-02T08:00,10,mmol/L", "column value/unit: cortisol unit 'mmol/L'"),
    ],
)
def test_cortisol_csv_rejects_bad_rows(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"collected_at,value,unit\n{row}\n", encoding="utf-8")
    with pytest.raises(CsvError, match=message):
        read_cortisol_csv(path)


def test_rr_and_vitals_round_trip(tmp_path: Path) -> None:
    rr = list(np.random.default_rng(1).normal(800, 40, 50))
    write_rr_csv(tmp_path / "rr.csv", rr)
    assert read_rr_csv(tmp_path / "rr.csv") == rr
    readings = [VitalSigns("before", 5, 72, 124, 80), VitalSigns("after", 10, 66.5, None, None)]
    write_vitals_csv(tmp_path / "v.csv", readings)
    assert read_vitals_csv(tmp_path / "v.csv") == readings


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    write_cortisol_csv(path, [CortisolSample("2024-05-02T08:00", 1.0)])
    before = path.read_text(encoding="utf-8")

    class Boom:
        collected_at = property(lambda self: (_ for _ in ()).throw(RuntimeError("boom")))

    with pytest.raises(RuntimeError, match="boom"):
        write_cortisol_csv(path, [Boom()])  # type: ignore[list-item]
    assert path.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.csv"]


def test_future_administration_time_is_refused(tmp_path: Path) -> None:
    from hpatwin.records.csv_io import CsvError, read_instrument_csv

    path = tmp_path / "f.csv"
    path.write_text("administered_at,1,2,3,4,5,6,7\n2999-01-01T08:00,1,1,1,1,1,1,1\n")
    with pytest.raises(CsvError, match="in the future"):
        read_instrument_csv(path, "gad7")


def test_instrument_csv_is_streamed_with_flat_memory(tmp_path: Path) -> None:
    """Issue #17: a 50 MB CSV took 5.2 GB; rows are now read and scored one at a time."""
    import tracemalloc

    from hpatwin.records.csv_io import iter_instrument_csv

    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("subject,1,2,3,4,5,6,7,8,9\n")
        for i in range(8000):
            handle.write(f"p{i},{i % 4},1,2,0,1,2,3,0,0\n")
    tracemalloc.start()
    count = sum(1 for _ in iter_instrument_csv(path, "phq9"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 8000
    assert peak < 2 * 1024 * 1024  # a list of 8,000 results alone takes several MB
