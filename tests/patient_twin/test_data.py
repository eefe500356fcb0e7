"""A clinic record becomes the twin's data: observations on a day axis, delivered treatment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.errors import InputError
from hpatwin.patient_twin.data import (
    PatientData,
    Series,
    patient_data_from_file,
    patient_data_from_record,
    patient_data_from_store,
)
from hpatwin.records.entries import (
    AssessmentEntry,
    CortisolEntry,
    MedicationEntry,
    PatientEntry,
    SessionEntry,
    VitalsEntry,
)
from hpatwin.records.exchange import export_csv, export_fhir
from hpatwin.records.store import RecordStore
from hpatwin.treatments.plan import TreatmentPlan

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday


def _store() -> RecordStore:
    store = RecordStore.in_memory()
    with store.writing("dr_a") as w:
        w.add_patient(
            PatientEntry("p1", birth_year=1970, sex="female", hepatic_function="mild impairment")
        )
        w.add_medication("p1", MedicationEntry("duloxetine", 60, "mg", "qd", date(2023, 12, 1)))
        w.add_medication("p1", MedicationEntry("naproxen", 250, "mg", "prn", date(2024, 3, 1)))
        for week in range(4):
            day = T0 + timedelta(days=7 * week)
            w.add_assessment("p1", AssessmentEntry("phq9", day, (2,) * 8 + (0,)))
            w.add_assessment("p1", AssessmentEntry("nrs", day + timedelta(minutes=5), (7,)))
            w.add_session(
                "p1",
                SessionEntry(
                    day + timedelta(minutes=10),
                    30,
                    "ea",
                    points=("LI4", "LR3"),
                    electrode_pairs=(("LI4", "LR3"),),
                    frequency_hz="2/100",
                    intensity_ma=2.0,
                ),
            )
        w.add_session("p1", SessionEntry(T0 + timedelta(days=2, hours=8), 50, "cbt"))
        w.add_cortisol("p1", CortisolEntry(T0 - timedelta(hours=1), 0.55, "µg/dL"))
        w.add_vitals(
            "p1",
            VitalsEntry(
                T0 + timedelta(minutes=10),
                "before",
                0,
                heart_rate_bpm=76,
                systolic_mmhg=128,
                diastolic_mmhg=80,
            ),
        )
    return store


def test_record_becomes_day_axis_data() -> None:
    data = patient_data_from_store(_store(), "p1")
    assert data.baseline_date == date(2024, 3, 4)
    assert data.phq9.days.tolist() == [0, 7, 14, 21] and data.phq9.values[0] == 16.0
    assert data.nrs.values.tolist() == [7.0] * 4
    assert data.cortisol.values[0] == pytest.approx(0.55 * 27.59, rel=1e-3)
    assert data.cortisol.minutes[0] == 8 * 60
    assert data.heart_rate.values.tolist() == [76.0] and data.systolic.values.tolist() == [128.0]
    assert data.age_years == 54 and data.hepatic == "mild"
    plan = TreatmentPlan.parse(data.treatment)  # a valid plan document
    assert len(plan.ea_sessions) == 4 and len(plan.cbt_sessions) == 1
    assert data.session_days == (0, 2, 7, 14, 21)
    # taken before the first visit: in the warm-up, and continuing
    assert data.background_daily_mg == {"duloxetine": 60.0}
    assert any("prn" in note for note in data.notes)
    assert any("canonical head pair" in note for note in data.notes)


def test_as_of_sees_only_what_was_known() -> None:
    data = patient_data_from_record(_store().load("p1"), as_of=T0 + timedelta(days=8))
    assert data.phq9.days.tolist() == [0, 7]
    assert data.session_days == (0, 2, 7)


def test_a_record_without_scores_is_refused() -> None:
    store = RecordStore.in_memory()
    store.add_patient(PatientEntry("p2"), actor="dr_a")
    with pytest.raises(InputError, match="no PHQ-9 or pain NRS"):
        patient_data_from_store(store, "p2")


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_files_go_through_the_records_importer(tmp_path: Path, suffix: str) -> None:
    store = _store()
    path = tmp_path / f"p1{suffix}"
    if suffix == ".json":
        export_fhir(store, "p1", path)
    else:
        export_csv(store, path, ["p1"])  # the CSV exchange holds assessments only
    from_file = patient_data_from_file(path)
    from_store = patient_data_from_store(store, "p1")
    assert from_file.phq9.values.tolist() == from_store.phq9.values.tolist()
    if suffix == ".json":
        assert from_file.treatment == from_store.treatment
    with pytest.raises(InputError, match="no such patient"):
        patient_data_from_file(path, "someone-else")


def test_until_drops_later_observations_and_sessions() -> None:
    data = patient_data_from_store(_store(), "p1").until(7)
    assert data.phq9.size == 2 and max(s["day"] for s in data.treatment["ea_sessions"]) == 7


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 27)), max_size=12))
def test_snapshot_round_trips(rows: list[tuple[int, int]]) -> None:
    data = PatientData(phq9=Series.of(rows), age_years=40.0, notes=("x",))
    back = PatientData.from_snapshot(data.snapshot())
    assert np.array_equal(back.phq9.days, data.phq9.days)
    assert np.array_equal(back.phq9.values, data.phq9.values)
    assert back.notes == ("x",) and back.age_years == 40.0
