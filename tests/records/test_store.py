"""The record store: every write path, history, soft deletion, optimistic locking, bad input."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hpatwin.clinic.planner import build_plan
from hpatwin.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from hpatwin.records.entries import (
    AdverseEvent,
    AssessmentEntry,
    CortisolEntry,
    EpisodeEntry,
    HrvEntry,
    MedicationEntry,
    NoteEntry,
    PatientEntry,
    PatientRecord,
    SessionEntry,
    VitalsEntry,
)
from hpatwin.records.store import RecordStore, load_patient_record

from .conftest import T0, fill_patient


def test_full_record_round_trips_through_the_store(store: RecordStore) -> None:
    fill_patient(store)
    record = load_patient_record(store, "p1")
    assert isinstance(record, PatientRecord)
    assert dataclasses.is_dataclass(record) and record.__dataclass_params__.frozen  # type: ignore[attr-defined]
    patient = record.patient.entry
    assert (patient.birth_year, patient.pregnant, patient.implanted_devices) == (
        1978,
        True,
        ("pacemaker",),
    )
    assert [m.entry.drug for m in record.medications] == ["duloxetine", "ibuprofen"]
    assert (
        len(record.sessions) == 8 and record.sessions[1].entry.adverse_events[0].severity == "mild"
    )
    assert record.sessions[0].entry.electrode_pairs == (("LI4", "LR3"),)
    assert record.sessions[0].entry.episode_started_on == record.episodes[0].entry.started_on
    assert record.sessions[-1].entry.episode_started_on is None  # the CBT session stands alone
    assert len(record.assessments) == 14
    assert record.assessments[0].entry.scoring_version.startswith("instruments-1")
    assert record.cortisol[1].entry.unit == "ng/dL" and record.cortisol[1].entry.assay == "ECLIA"
    assert record.hrv[0].entry.rr_ms is not None and record.hrv[0].entry.rmssd_ms is not None
    assert record.hrv[1].entry.rmssd_ms == 31.5
    assert [v.entry.phase for v in record.vitals] == ["before", "after"]
    assert record.notes[0].entry.text == "tolerated well"
    assert all(s.created_by == "dr_a" and s.version == 1 for s in record.sessions)
    # PHQ-9 item 9 answered 1 in odd weeks: three urgent alerts, open until acknowledged
    assert [a.entry.code for a in record.open_alerts] == ["phq9_item9_positive"] * 3


def test_plan_is_stored_with_alerts_and_kb_version(store: RecordStore) -> None:
    store.add_patient(PatientEntry("p1"), actor="dr_a")
    plan = build_plan(
        {"age_years": 30, "sex": "male", "phq9_total": 16, "phq9_item9": 1, "pain_nrs": 0}
    )
    stored = store.add_plan("p1", plan, actor="dr_a", planned_at=T0)
    assert stored.entry.kb_version == plan.knowledge_base.version
    assert "phq9-item9-positive" in stored.entry.alert_codes
    assert store.load("p1").plans[0].entry.plan["kind"] == "hpatwin.plan"


def test_every_change_leaves_a_revision_and_deletion_is_soft(store: RecordStore) -> None:
    store.add_patient(PatientEntry("p1"), actor="dr_a")
    note = store.add_note("p1", NoteEntry(T0, "first text"), actor="dr_a")
    store.update_note(note.id, 1, "second text", actor="dr_b")
    store.soft_delete("notes", note.id, "entered for the wrong patient", actor="dr_c")
    history = store.history("notes", note.id)
    assert [(h["operation"], h["version"], h["changed_by"]) for h in history] == [
        ("insert", 1, "dr_a"),
        ("update", 2, "dr_b"),
        ("update", 3, "dr_c"),
    ]
    assert history[0]["snapshot"]["text"] == "first text"
    assert history[-1]["snapshot"]["deletion_reason"] == "entered for the wrong patient"
    assert store.load("p1").notes == ()
    assert store.counts()["notes"] == 1  # kept, marked deleted


def test_stale_version_raises_conflict(store: RecordStore) -> None:
    stored = store.add_patient(PatientEntry("p1"), actor="dr_a")
    store.update_patient("p1", stored.version, birth_year=1970, actor="dr_a")
    with pytest.raises(ConflictError, match="changed since version 1"):
        store.update_patient("p1", stored.version, birth_year=1971, actor="dr_b")
    assert store.load("p1").patient.entry.birth_year == 1970
    note = store.add_note("p1", NoteEntry(T0, "a"), actor="dr_a")
    store.update_note(note.id, note.version, "b", actor="dr_a")
    with pytest.raises(ConflictError):
        store.update_note(note.id, note.version, "c", actor="dr_b")


def test_alert_acknowledgement_records_who_when_and_action(store: RecordStore) -> None:
    store.add_patient(PatientEntry("p1"), actor="dr_a")
    store.add_assessment("p1", AssessmentEntry("phq9", T0, (0,) * 8 + (2,)), actor="nurse")
    alert = store.load("p1").open_alerts[0]
    acked = store.acknowledge_alert(
        alert.id, "structured risk assessment; safety plan", actor="dr_a"
    )
    assert acked.entry.acknowledged_by == "dr_a" and acked.entry.acknowledged_at is not None
    assert store.load("p1").open_alerts == ()
    with pytest.raises(ConflictError, match="already acknowledged"):
        store.acknowledge_alert(alert.id, "again", actor="dr_b")


def test_users_have_roles(store: RecordStore) -> None:
    assert store.add_user("dr_a", "clinician", "Clinic A", actor="admin").entry[1] == "clinician"
    with pytest.raises(InputError, match=r"user\.role"):
        store.add_user("x", "superuser", actor="admin")
    with pytest.raises(ConflictError):
        store.add_user("dr_a", "admin", actor="admin")


def test_unknown_patient_is_not_found(store: RecordStore) -> None:
    with pytest.raises(NotFoundError):
        store.load("nobody")
    with pytest.raises(NotFoundError):
        store.add_note("nobody", NoteEntry(T0, "x"), actor="dr_a")


FUTURE = datetime.now(UTC) + timedelta(days=2)

BAD_WRITES: list[tuple[str, Callable[[RecordStore], Any], str]] = [
    (
        "birth year",
        lambda s: s.add_patient(PatientEntry("p2", birth_year=1850), actor="a"),
        "patient.birth_year",
    ),
    (
        "pseudonym",
        lambda s: s.add_patient(PatientEntry("John Smith"), actor="a"),
        "patient.pseudonym",
    ),
    (
        "crcl",
        lambda s: s.update_patient("p1", 1, creatinine_clearance_ml_min=900, actor="a"),
        "creatinine_clearance_ml_min",
    ),
    (
        "unknown drug",
        lambda s: s.add_medication(
            "p1", MedicationEntry("wonderpill", 1, "mg", "qd", date(2024, 1, 1)), actor="a"
        ),
        "medication.drug",
    ),
    (
        "dose unit",
        lambda s: s.add_medication(
            "p1", MedicationEntry("duloxetine", 60, "kg", "qd", date(2024, 1, 1)), actor="a"
        ),
        "medication.dose_unit",
    ),
    (
        "episode order",
        lambda s: s.add_episode(
            "p1", EpisodeEntry("x", date(2024, 2, 1), date(2024, 1, 1)), actor="a"
        ),
        "episode.ended_on",
    ),
    (
        "unknown point",
        lambda s: s.add_session(
            "p1", SessionEntry(T0 + timedelta(days=90), 30, "manual", points=("ST36X",)), actor="a"
        ),
        "session.points[0]",
    ),
    (
        "intensity",
        lambda s: s.add_session(
            "p1",
            SessionEntry(
                T0 + timedelta(days=90),
                30,
                "ea",
                points=("LI4",),
                frequency_hz="2",
                intensity_ma=120,
            ),
            actor="a",
        ),
        "session.intensity_ma",
    ),
    (
        "frequency",
        lambda s: s.add_session(
            "p1",
            SessionEntry(
                T0 + timedelta(days=90),
                30,
                "ea",
                points=("LI4",),
                frequency_hz="100/2",
                intensity_ma=2,
            ),
            actor="a",
        ),
        "session.frequency_hz",
    ),
    (
        "episode",
        lambda s: s.add_session(
            "p1",
            SessionEntry(T0 + timedelta(days=90), 30, "cbt", episode_started_on=date(2020, 1, 1)),
            actor="a",
        ),
        "session.episode_started_on",
    ),
    (
        "duration",
        lambda s: s.add_session("p1", SessionEntry(T0 + timedelta(days=90), 600, "cbt"), actor="a"),
        "session.duration_min",
    ),
    (
        "future session",
        lambda s: s.add_session("p1", SessionEntry(FUTURE, 30, "cbt"), actor="a"),
        "session.started_at",
    ),
    (
        "overlap",
        lambda s: s.add_session(
            "p1", SessionEntry(T0 + timedelta(minutes=20), 30, "cbt"), actor="a"
        ),
        "session.started_at",
    ),
    (
        "AE severity",
        lambda s: s.add_session(
            "p1",
            SessionEntry(
                T0 + timedelta(days=90), 30, "manual", adverse_events=(AdverseEvent("x", "fatal?"),)
            ),
            actor="a",
        ),
        "session.adverse_events[0].severity",
    ),
    (
        "item range",
        lambda s: s.add_assessment(
            "p1", AssessmentEntry("phq9", T0 + timedelta(days=90), (4,) * 9), actor="a"
        ),
        "assessment.items",
    ),
    (
        "future assessment",
        lambda s: s.add_assessment("p1", AssessmentEntry("nrs", FUTURE, (3,)), actor="a"),
        "assessment.administered_at",
    ),
    (
        "cortisol unit",
        lambda s: s.add_cortisol(
            "p1", CortisolEntry(T0 + timedelta(days=90), 10, "mg/L"), actor="a"
        ),
        "cortisol.unit",
    ),
    (
        "cortisol range",
        lambda s: s.add_cortisol(
            "p1", CortisolEntry(T0 + timedelta(days=90), 50, "µg/dL"), actor="a"
        ),
        "cortisol.value",
    ),
    (
        "assay",
        lambda s: s.add_cortisol(
            "p1", CortisolEntry(T0 + timedelta(days=90), 10, "nmol/L", "magic"), actor="a"
        ),
        "cortisol.assay",
    ),
    (
        "hrv rr",
        lambda s: s.add_hrv("p1", HrvEntry(T0 + timedelta(days=90), (800.0,) * 5), actor="a"),
        "hrv.rr_ms",
    ),
    (
        "hrv rmssd",
        lambda s: s.add_hrv("p1", HrvEntry(T0 + timedelta(days=90), None, 9000.0), actor="a"),
        "hrv.rmssd_ms",
    ),
    (
        "heart rate",
        lambda s: s.add_vitals("p1", VitalsEntry(T0, "after", 15, 400), actor="a"),
        "heart_rate_bpm",
    ),
    (
        "vitals session",
        lambda s: s.add_vitals(
            "p1", VitalsEntry(T0 + timedelta(days=90), "after", 15, 70), actor="a"
        ),
        "vitals.session_started_at",
    ),
    (
        "note text",
        lambda s: s.add_note("p1", NoteEntry(T0 + timedelta(days=90), "   "), actor="a"),
        "note.text",
    ),
    ("ack action", lambda s: s.acknowledge_alert(1, "", actor="a"), "alert.action"),
]


@pytest.mark.parametrize(("case", "write", "field"), BAD_WRITES, ids=[c[0] for c in BAD_WRITES])
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
    sqlite_store: RecordStore, case: str, write: Callable[[RecordStore], Any], field: str
) -> None:
    fill_patient(sqlite_store)
    before = (sqlite_store.counts(), sqlite_store.load("p1"))
    with pytest.raises(InputError) as caught:
        write(sqlite_store)
    assert field in str(caught.value)
    assert "p1" not in str(caught.value) or field.startswith("patient")
    assert (sqlite_store.counts(), sqlite_store.load("p1")) == before


def test_bad_input_on_postgresql_changes_nothing(store: RecordStore) -> None:
    fill_patient(store)
    before = (store.counts(), store.load("p1"))
    for _, write, _ in BAD_WRITES:
        with pytest.raises(InputError):
            write(store)
    assert (store.counts(), store.load("p1")) == before


def test_failed_transaction_writes_nothing(store: RecordStore) -> None:
    store.add_patient(PatientEntry("p1"), actor="a")
    before = store.counts()
    with pytest.raises(InputError), store.writing("a") as w:
        w.add_note("p1", NoteEntry(T0, "kept?"))
        w.add_session("p1", SessionEntry(T0, 30, "ea"))  # EA without settings
    assert store.counts() == before


def test_uninitialised_store_is_refused(tmp_path: Any) -> None:
    store = RecordStore(tmp_path / "empty.db")
    with pytest.raises(InputError, match="records init"):
        store.patients()


def test_plans_from_the_future_are_refused(sqlite_store: RecordStore) -> None:
    sqlite_store.add_patient(PatientEntry("p1"), actor="a")
    plan = build_plan(
        {"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0, "pain_nrs": 0}
    )
    with pytest.raises(InputError, match=r"plan\.planned_at"):
        sqlite_store.add_plan("p1", plan, actor="a", planned_at=FUTURE)
    assert sqlite_store.load("p1").plans == ()


def test_a_researcher_cannot_acknowledge_a_safety_alert(sqlite_store: RecordStore) -> None:
    sqlite_store.add_user("res_a", "researcher", actor="admin")
    sqlite_store.add_patient(PatientEntry("p1"), actor="dr_a")
    sqlite_store.add_assessment("p1", AssessmentEntry("phq9", T0, (0,) * 8 + (1,)), actor="dr_a")
    alert = sqlite_store.load("p1").open_alerts[0]
    with pytest.raises(PermissionDeniedError):
        sqlite_store.acknowledge_alert(alert.id, "seen", actor="res_a")
    assert sqlite_store.load("p1").open_alerts == (alert,)


def test_the_default_data_folder_is_private(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HPATWIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    RecordStore().init()
    assert (tmp_path / "data" / "hpatwin").stat().st_mode & 0o077 == 0
