"""Import/export: FHIR and CSV round trips are lossless, re-import is idempotent, a failed import changes nothing."""

from __future__ import annotations

import contextlib
import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpatwin.errors import ConflictError, HpatwinError, InputError
from hpatwin.records.entries import AssessmentEntry, PatientEntry, SessionEntry
from hpatwin.records.exchange import (
    export_csv,
    export_fhir,
    fhir_bundle,
    import_csv,
    import_fhir,
    import_file,
)
from hpatwin.records.store import RecordStore

from .conftest import T0, fill_patient


def _fresh(url: str | Path = "sqlite://") -> RecordStore:
    store = RecordStore(url)
    store.init()
    return store


@functools.cache
def _shared_store() -> RecordStore:
    """One in-memory store for the garbage-input properties (failed imports write nothing)."""
    return _fresh()


def _without_meta(store: RecordStore, pseudonym: str) -> Any:
    """The record's entries only (ids, versions and audit times differ between stores)."""
    record = store.load(pseudonym)
    return {
        name: tuple(getattr(s, "entry", s) for s in getattr(record, name))
        for name in ("medications", "sessions", "assessments", "cortisol", "hrv", "vitals")
    } | {"patient": record.patient.entry}


def test_fhir_export_import_export_is_lossless(store: RecordStore, tmp_path: Path) -> None:
    fill_patient(store)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    export_fhir(store, "p1", first)
    target = _fresh(tmp_path / "target.db")
    report = import_file(target, first, actor="importer")
    assert report.created["sessions"] == 8 and report.created["vital_signs"] == 2
    assert report.created["episodes"] == 1
    export_fhir(target, "p1", second)
    assert first.read_bytes() == second.read_bytes()
    assert _without_meta(target, "p1") == _without_meta(store, "p1")
    resource_types = {e["resource"]["resourceType"] for e in json.loads(first.read_text())["entry"]}
    assert resource_types == {
        "Patient",
        "EpisodeOfCare",
        "MedicationStatement",
        "Procedure",
        "QuestionnaireResponse",
        "Observation",
    }


def test_fhir_reimport_is_idempotent_and_reports_it(store: RecordStore, tmp_path: Path) -> None:
    fill_patient(store)
    path = tmp_path / "p1.json"
    export_fhir(store, "p1", path)
    before = store.counts()
    report = import_file(store, path, actor="importer")
    assert report.created == {} and report.unchanged["assessments"] == 14
    assert store.counts() == before


def test_csv_export_import_export_is_lossless(store: RecordStore, tmp_path: Path) -> None:
    fill_patient(store, "p1")
    fill_patient(store, "p2")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert export_csv(store, first) == 28
    assert first.read_text().splitlines()[0].startswith("instrument,administered_at,patient,")
    target = _fresh(tmp_path / "t.db")
    assert import_csv(target, first, actor="x").created == {"patients": 2, "assessments": 28}
    assert import_csv(target, first, actor="x").unchanged == {"assessments": 28}
    export_csv(target, second)
    assert first.read_bytes() == second.read_bytes()


def _many_rows_csv(path: Path, bad_line: int | None) -> None:
    lines = ["patient,instrument,administered_at,item_1"]
    for i in range(40):
        value = 11 if i + 2 == bad_line else i % 10
        lines.append(f"p{i % 4},nrs,{(T0 + timedelta(days=i)).isoformat()},{value}")
    path.write_text("\n".join(lines) + "\n")


def test_a_failed_csv_import_leaves_the_database_exactly_as_before(
    store: RecordStore, tmp_path: Path
) -> None:
    fill_patient(store)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    _many_rows_csv(bad, bad_line=37)
    before = (store.counts(), [p.entry for p in store.patients()], _without_meta(store, "p1"))
    with pytest.raises(InputError, match=r"bad.csv.*line 37"):
        import_csv(store, bad, actor="x")
    assert (
        store.counts(),
        [p.entry for p in store.patients()],
        _without_meta(store, "p1"),
    ) == before
    _many_rows_csv(good, bad_line=None)
    assert import_csv(store, good, actor="x").created["assessments"] == 40


def test_a_failed_fhir_import_leaves_the_database_exactly_as_before(
    store: RecordStore, tmp_path: Path
) -> None:
    fill_patient(store)
    data = fhir_bundle(store.load("p1"))
    target = _fresh(tmp_path / "t.db")
    target.add_patient(PatientEntry("other"), actor="x")
    bad = json.loads(json.dumps(data))
    procedure = next(e for e in bad["entry"] if e["resource"]["resourceType"] == "Procedure")
    procedure["resource"]["bodySite"][0]["coding"][0]["code"] = (
        "XX99"  # unknown point, late in the file
    )
    before = target.counts()
    with pytest.raises(InputError, match=r"p1.json: entry\[\d+\]\.session\.points\[0\]"):
        import_fhir(target, bad, actor="x", source="p1.json")
    assert target.counts() == before


def test_import_refuses_different_content_under_the_same_natural_key(
    sqlite_store: RecordStore, tmp_path: Path
) -> None:
    fill_patient(sqlite_store)
    data = fhir_bundle(sqlite_store.load("p1"))
    qr = next(e for e in data["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    qr["resource"]["item"][0]["answer"][0] = {"valueInteger": 0}  # stored answer was 2
    before = sqlite_store.counts()
    with pytest.raises((ConflictError, InputError)):
        import_fhir(sqlite_store, data, actor="x")
    assert sqlite_store.counts() == before


def test_import_file_errors_name_the_file(sqlite_store: RecordStore, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match=r"broken\.json: line 1: not valid JSON"):
        import_file(sqlite_store, broken, actor="x")
    other = tmp_path / "x.xml"
    other.write_text("<a/>")
    with pytest.raises(InputError, match="unknown file type"):
        import_file(sqlite_store, other, actor="x")


# ---- property tests ---------------------------------------------------------------------
_times = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2024, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
_patients = st.builds(
    PatientEntry,
    pseudonym=st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,10}", fullmatch=True),
    birth_year=st.none() | st.integers(1900, 2020),
    sex=st.sampled_from(["female", "other", "unknown"]),
    hepatic_function=st.sampled_from(["normal", "cirrhosis"]),
    creatinine_clearance_ml_min=st.none() | st.floats(0, 200),
    conditions=st.lists(
        st.text(
            st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs"]),
            min_size=1,
            max_size=8,
        ),
        max_size=3,
    ).map(tuple),
)
_sessions = st.builds(
    SessionEntry,
    started_at=_times,
    duration_min=st.floats(1, 180),
    modality=st.just("ea"),
    points=st.sampled_from([("LI4", "LR3"), ("GV20",), ("PC6", "HT7", "SP6")]),
    frequency_hz=st.sampled_from(["2", "100", "2/100", "4.5"]),
    intensity_ma=st.floats(0.1, 50),
)
_phq9 = st.builds(
    AssessmentEntry,
    instrument=st.just("phq9"),
    administered_at=_times,
    items=st.lists(st.integers(0, 3), min_size=9, max_size=9).map(tuple),
    difficulty=st.none() | st.integers(0, 3),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patient=_patients,
    sessions=st.lists(_sessions, max_size=3),
    assessments=st.lists(_phq9, max_size=4),
)
def test_fhir_round_trip_property(
    patient: PatientEntry, sessions: list[SessionEntry], assessments: list[AssessmentEntry]
) -> None:
    source = _fresh()
    with source.writing("x") as w:
        w.add_patient(patient)
        for s in sessions:  # overlapping or duplicate draws are refused; fine here
            with contextlib.suppress(HpatwinError):
                w.add_session(patient.pseudonym, s)
        for a in assessments:
            with contextlib.suppress(HpatwinError):
                w.add_assessment(patient.pseudonym, a)
    data = fhir_bundle(source.load(patient.pseudonym))
    target = _fresh()
    import_fhir(target, json.loads(json.dumps(data)), actor="y")
    assert fhir_bundle(target.load(patient.pseudonym)) == data
    assert _without_meta(target, patient.pseudonym) == _without_meta(source, patient.pseudonym)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    resource=st.fixed_dictionaries(
        {
            "resourceType": st.sampled_from(
                [
                    "Patient",
                    "Procedure",
                    "MedicationStatement",
                    "Observation",
                    "QuestionnaireResponse",
                ]
            )
        },
        optional={
            "subject": _json,
            "code": _json,
            "extension": _json,
            "performedPeriod": _json,
            "identifier": _json,
            "effectiveDateTime": _json,
            "item": _json,
            "dosage": _json,
            "component": _json,
            "bodySite": _json,
            "effectivePeriod": _json,
        },
    )
)
def test_fhir_loader_refuses_garbage_with_input_errors_only(resource: dict[str, Any]) -> None:
    store = _shared_store()
    with contextlib.suppress(InputError, ConflictError):
        import_fhir(store, {"resourceType": "Bundle", "entry": [{"resource": resource}]}, actor="x")


@settings(max_examples=100, deadline=None)
@given(text=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200))
def test_csv_loader_refuses_garbage_with_input_errors_only(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    path.write_text("patient,instrument,administered_at,item_1\n" + text, encoding="utf-8")
    store = _shared_store()
    with contextlib.suppress(InputError, ConflictError):
        import_csv(store, path, actor="x")


def test_dates_are_required_in_csv(sqlite_store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("patient,instrument,administered_at,item_1\np1,nrs,,4\n")
    with pytest.raises(InputError, match=r"x\.csv: line 2 column administered_at: is empty"):
        import_csv(sqlite_store, path, actor="x")
