"""The planner's input from a stored record: latest scores, safety facts, medications.

What the record does not hold (pain duration and regions) comes from the plan form.

Example
-------
>>> from datetime import UTC, datetime
>>> from hpatwin.records.entries import PatientEntry
>>> from hpatwin.records.store import RecordStore
>>> store = RecordStore("sqlite://"); _ = store.init()
>>> _ = store.add_patient(PatientEntry("p1", birth_year=1970, sex="female"), actor="dr")
>>> try:
...     planner_input(store.load("p1"), 12, ())
... except InputError as exc:
...     print(exc)
plan: phq9: no PHQ-9 recorded yet (allowed: record a PHQ-9 first)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from hpatwin.errors import InputError
from hpatwin.records.entries import PatientRecord

__all__ = ["planner_input"]


def _latest(record: PatientRecord, instrument: str) -> Any:
    found = [a for a in record.assessments if a.entry.entry.instrument == instrument]
    return found[-1].entry if found else None


def planner_input(
    record: PatientRecord,
    pain_duration_months: float | None,
    pain_regions: Sequence[str],
    today: date | None = None,
) -> dict[str, Any]:
    """A mapping for :func:`hpatwin.clinic.planner.build_plan` (raises InputError if incomplete)."""
    patient = record.patient.entry
    day = today or datetime.now(UTC).date()
    if patient.birth_year is None:
        raise InputError("birth year not recorded", source="plan", field="birth_year",
                         allowed="record the birth year on the patient page")
    phq9 = _latest(record, "phq9")
    if phq9 is None:
        raise InputError("no PHQ-9 recorded yet", source="plan", field="phq9",
                         allowed="record a PHQ-9 first")
    pain = _latest(record, "nrs") or _latest(record, "bpi")
    data: dict[str, Any] = {
        "assessed_on": phq9.entry.administered_at.date(),
        "age_years": day.year - patient.birth_year,
        "sex": patient.sex,
        "pregnant": patient.pregnant,
        "lactating": patient.lactating,
        "phq9_items": list(phq9.entry.items),
        "pain_nrs": pain.total if pain is not None else 0,
        "pain_regions": list(pain_regions),
        "conditions": list(patient.conditions)
        + [f"implanted {d}" for d in patient.implanted_devices],
        "medications": [
            {"name": m.entry.drug, "dose_mg": m.entry.dose if m.entry.dose_unit == "mg" else None}
            for m in record.medications
            if m.entry.stopped_on is None or m.entry.stopped_on >= day
        ],
        "liver_status": patient.hepatic_function,
    }
    if patient.creatinine_clearance_ml_min is not None:
        data["creatinine_clearance_ml_min"] = patient.creatinine_clearance_ml_min
    if pain_duration_months is not None:
        data["pain_duration_months"] = pain_duration_months
    if patient.pregnant:
        start = patient.pregnancy_start_on
        if start is None:
            raise InputError("pregnancy start not recorded", source="plan",
                             field="pregnancy_start_on", allowed="record it on the patient page")
        data["gestational_week"] = max(1, (day - start).days // 7)
    for key in ("gad7", "pcs", "isi"):
        latest = _latest(record, key)
        if latest is not None:
            data[f"{key}_total"] = latest.total
    return data
