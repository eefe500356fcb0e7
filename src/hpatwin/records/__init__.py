"""Patient records (a SQLite/PostgreSQL store with migrations) and interchange formats (FHIR R4, CSV).

See ``docs/records.md``. :class:`RecordStore` opens a store by URL and has one method per
write path; :func:`load_patient_record` returns a patient's full record as frozen
dataclasses.

Example
-------
>>> from hpatwin.records import DEFAULT_CODES, RecordStore
>>> DEFAULT_CODES.get("phq9.total").code
'44261-6'
>>> RecordStore("sqlite://").init()
'0002_safety_alerts'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpatwin._lazy import lazy_exports

if TYPE_CHECKING:
    from hpatwin.records.csv_io import (
        ADMINISTRATION_COLUMNS,
        AdministrationRecord,
        CsvError,
        parse_cell,
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
    from hpatwin.records.entries import PatientRecord, Stored
    from hpatwin.records.fhir import (
        DEFAULT_CODES,
        LOCAL_SYSTEM,
        LOINC_SYSTEM,
        UCUM_SYSTEM,
        Code,
        CodeTable,
        FhirError,
        HrvRecord,
        QuestionnaireRecord,
        ScoreObservation,
        VitalsRecord,
        bundle,
        cortisol_observation,
        hrv_observation,
        parse_bundle,
        parse_cortisol_observation,
        parse_hrv_observation,
        parse_questionnaire_response,
        parse_resource,
        parse_score_observation,
        parse_vital_signs_observation,
        questionnaire_response,
        read_bundle,
        score_observation,
        vital_signs_observations,
        write_bundle,
    )
    from hpatwin.records.store import RecordStore, load_patient_record

#: Public name -> the module that defines it (loaded on first use).
_EXPORTS: dict[str, str] = {
    "ADMINISTRATION_COLUMNS": "hpatwin.records.csv_io",
    "AdministrationRecord": "hpatwin.records.csv_io",
    "CsvError": "hpatwin.records.csv_io",
    "parse_cell": "hpatwin.records.csv_io",
    "read_administrations_csv": "hpatwin.records.csv_io",
    "read_cortisol_csv": "hpatwin.records.csv_io",
    "read_instrument_csv": "hpatwin.records.csv_io",
    "read_rr_csv": "hpatwin.records.csv_io",
    "read_vitals_csv": "hpatwin.records.csv_io",
    "write_administrations_csv": "hpatwin.records.csv_io",
    "write_cortisol_csv": "hpatwin.records.csv_io",
    "write_rr_csv": "hpatwin.records.csv_io",
    "write_vitals_csv": "hpatwin.records.csv_io",
    "PatientRecord": "hpatwin.records.entries",
    "Stored": "hpatwin.records.entries",
    "DEFAULT_CODES": "hpatwin.records.fhir",
    "LOCAL_SYSTEM": "hpatwin.records.fhir",
    "LOINC_SYSTEM": "hpatwin.records.fhir",
    "UCUM_SYSTEM": "hpatwin.records.fhir",
    "Code": "hpatwin.records.fhir",
    "CodeTable": "hpatwin.records.fhir",
    "FhirError": "hpatwin.records.fhir",
    "HrvRecord": "hpatwin.records.fhir",
    "QuestionnaireRecord": "hpatwin.records.fhir",
    "ScoreObservation": "hpatwin.records.fhir",
    "VitalsRecord": "hpatwin.records.fhir",
    "bundle": "hpatwin.records.fhir",
    "cortisol_observation": "hpatwin.records.fhir",
    "hrv_observation": "hpatwin.records.fhir",
    "parse_bundle": "hpatwin.records.fhir",
    "parse_cortisol_observation": "hpatwin.records.fhir",
    "parse_hrv_observation": "hpatwin.records.fhir",
    "parse_questionnaire_response": "hpatwin.records.fhir",
    "parse_resource": "hpatwin.records.fhir",
    "parse_score_observation": "hpatwin.records.fhir",
    "parse_vital_signs_observation": "hpatwin.records.fhir",
    "questionnaire_response": "hpatwin.records.fhir",
    "read_bundle": "hpatwin.records.fhir",
    "score_observation": "hpatwin.records.fhir",
    "vital_signs_observations": "hpatwin.records.fhir",
    "write_bundle": "hpatwin.records.fhir",
    "RecordStore": "hpatwin.records.store",
    "load_patient_record": "hpatwin.records.store",
}

__all__ = [
    "ADMINISTRATION_COLUMNS",
    "DEFAULT_CODES",
    "LOCAL_SYSTEM",
    "LOINC_SYSTEM",
    "UCUM_SYSTEM",
    "AdministrationRecord",
    "Code",
    "CodeTable",
    "CsvError",
    "FhirError",
    "HrvRecord",
    "PatientRecord",
    "QuestionnaireRecord",
    "RecordStore",
    "ScoreObservation",
    "Stored",
    "VitalsRecord",
    "bundle",
    "cortisol_observation",
    "hrv_observation",
    "load_patient_record",
    "parse_bundle",
    "parse_cell",
    "parse_cortisol_observation",
    "parse_hrv_observation",
    "parse_questionnaire_response",
    "parse_resource",
    "parse_score_observation",
    "parse_vital_signs_observation",
    "questionnaire_response",
    "read_administrations_csv",
    "read_bundle",
    "read_cortisol_csv",
    "read_instrument_csv",
    "read_rr_csv",
    "read_vitals_csv",
    "score_observation",
    "vital_signs_observations",
    "write_administrations_csv",
    "write_bundle",
    "write_cortisol_csv",
    "write_rr_csv",
    "write_vitals_csv",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
