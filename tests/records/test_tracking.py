"""Courses per instrument, the session-6 review flag, the timeline."""

from __future__ import annotations

from datetime import timedelta

from hpatwin.records.entries import AssessmentEntry, PatientEntry, SessionEntry
from hpatwin.records.store import RecordStore
from hpatwin.records.tracking import courses, review_flags, timeline

from .conftest import T0, fill_patient


def _patient_with(store: RecordStore, phq9_totals: list[int], sessions: int) -> None:
    store.add_patient(PatientEntry("p1"), actor="a")
    with store.writing("a") as w:
        for i in range(sessions):
            w.add_session("p1", SessionEntry(T0 + timedelta(days=i), 30, "manual", ("LI4",)))
        for i, total in enumerate(phq9_totals):
            items = [0] * 9
            for k in range(total):
                items[k % 8] += 1
            w.add_assessment(
                "p1", AssessmentEntry("phq9", T0 + timedelta(days=i, hours=2), tuple(items))
            )


def test_courses_use_the_shared_criteria_in_time_order(sqlite_store: RecordStore) -> None:
    fill_patient(sqlite_store)
    record = sqlite_store.load("p1")
    found = courses(record)
    assert set(found) == {"phq9", "nrs"}
    nrs = found["nrs"]
    assert [p.value for p in nrs.points] == [7, 7, 6, 6, 5, 5, 4]
    assert nrs.latest_met["response"] is True  # 7 -> 4 is a 43 % fall (IMMPACT >= 30 %)


def test_no_response_by_session_6_is_flagged(sqlite_store: RecordStore) -> None:
    _patient_with(sqlite_store, [20, 18], sessions=6)
    flags = review_flags(sqlite_store.load("p1"))
    assert [f.instrument for f in flags] == ["phq9"]
    assert "session 6" in flags[0].message()


def test_no_flag_before_session_6_or_with_response(tmp_path: object) -> None:
    early = RecordStore("sqlite://")
    early.init()
    _patient_with(early, [20, 18], sessions=5)
    assert review_flags(early.load("p1")) == []
    responded = RecordStore("sqlite://")
    responded.init()
    _patient_with(responded, [20, 8], sessions=6)
    assert review_flags(responded.load("p1")) == []


def test_timeline_is_ordered_and_shows_open_alerts(sqlite_store: RecordStore) -> None:
    fill_patient(sqlite_store)
    events = timeline(sqlite_store.load("p1"))
    assert [e.when for e in events] == sorted(e.when for e in events)
    kinds = {e.kind for e in events}
    assert kinds >= {"session", "assessment", "cortisol", "hrv", "medication", "note", "alert"}
    assert any("OPEN" in e.summary for e in events if e.kind == "alert")
    assert all("tolerated well" not in e.summary for e in events)  # note text stays out of listings
