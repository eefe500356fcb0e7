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
