"""Import and export of the record store: a FHIR R4 Bundle per patient, and CSV with a patient column.

FHIR: ``Patient`` (pseudonym as identifier; pregnancy, lactation, hepatic and renal
function, conditions, allergies and devices as extensions), ``EpisodeOfCare`` per
treatment episode, ``MedicationStatement``,
``Procedure`` per session (modality, points as body sites, EA settings and electrode
pairs as extensions, adverse events as complications), ``QuestionnaireResponse`` plus
its score ``Observation`` (via :mod:`hpatwin.records.fhir`), and ``Observation`` for
salivary cortisol, HRV and vital signs around a session. Resource ids are derived from
natural keys (UUID v5), so an export is deterministic: export → import → export gives
the same bytes.

CSV: the administrations format of :mod:`hpatwin.records.csv_io` with a ``patient``
column; unknown patients are created under their pseudonym.

Every import is one transaction (all or nothing) and idempotent: a row whose natural key
is already stored with the same content is counted as unchanged, with different content
it is refused (:class:`hpatwin.errors.ConflictError`).

Example
-------
>>> import tempfile, pathlib
>>> from datetime import datetime
>>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
>>> store = RecordStore("sqlite://"); _ = store.init()
>>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
>>> _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, 1), (6,)), actor="dr_a")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "p1.json"
>>> export_fhir(store, "p1", path)
>>> import_file(store, path, actor="dr_a").summary()
'patients: 1 unchanged; assessments: 1 unchanged'
"""

from __future__ import annotations

import json
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hpatwin.clinic.autonomic import VitalSigns
from hpatwin.clinic.cortisol import CortisolSample as ClinicCortisolSample
from hpatwin.errors import ConflictError, InputError
from hpatwin.io.atomic import atomic_write_text
from hpatwin.records import models
from hpatwin.records.csv_io import (
    AdministrationRecord,
    CsvError,
    _read_rows,
    read_administrations_csv,
    write_administrations_csv,
)
from hpatwin.records.entries import (
    AdverseEvent,
    AssessmentEntry,
    CortisolEntry,
    EpisodeEntry,
    HrvEntry,
    MedicationEntry,
    PatientEntry,
    PatientRecord,
    SessionEntry,
    VitalsEntry,
    normalise_assessment,
)
from hpatwin.records.fhir import (
    DEFAULT_CODES,
    UCUM_SYSTEM,
    FhirError,
    cortisol_observation,
    parse_cortisol_observation,
    parse_questionnaire_response,
    parse_vital_signs_observation,
    questionnaire_response,
    score_observation,
    vital_signs_observations,
)
from hpatwin.records.store import RecordStore, RecordWriter

__all__ = [
    "EXTENSION_BASE",
    "ImportReport",
    "export_csv",
    "export_fhir",
    "fhir_bundle",
    "import_csv",
    "import_fhir",
    "import_file",
]

EXTENSION_BASE = "urn:hpatwin:fhir:extension:"
_PSEUDONYM_SYSTEM = "urn:hpatwin:pseudonym"
_DRUG_SYSTEM = "urn:hpatwin:drug"
_FREQUENCY_SYSTEM = "urn:hpatwin:medication-frequency"
_MODALITY_SYSTEM = "urn:hpatwin:session-modality"
_POINT_SYSTEM = "urn:hpatwin:acupoint"
_NAMESPACE = uuid.UUID("6f1c2b52-8f0e-4d39-9d0c-2f5b0a6c7e11")


@dataclass
class ImportReport:
    """What an import did: per kind of row, how many were created and how many were unchanged.

    Example
    -------
    >>> r = ImportReport(); r.count("patients", True); r.summary()
    'patients: 1 created'
    """

    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, kind: str, created: bool) -> None:
        """Count one row of ``kind``.

        Example
        -------
        >>> r = ImportReport(); r.count("notes", False); r.unchanged["notes"]
        1
        """
        (self.created if created else self.unchanged)[kind] += 1

    def summary(self) -> str:
        """One line: ``kind: n created, m unchanged; ...``.

        Example
        -------
        >>> ImportReport().summary()
        'nothing to import'
        """
        parts = []
        for kind in dict.fromkeys([*self.created, *self.unchanged]):
            counts = [
                f"{n} {label}"
                for n, label in (
                    (self.created[kind], "created"),
                    (self.unchanged[kind], "unchanged"),
                )
                if n
            ]
            parts.append(f"{kind}: {', '.join(counts)}")
        return "; ".join(parts) or "nothing to import"

    def to_dict(self) -> dict[str, dict[str, int]]:
        """Counts as a JSON-ready mapping.

        Example
        -------
        >>> r = ImportReport(); r.count("patients", True); r.to_dict()
        {'created': {'patients': 1}, 'unchanged': {}}
        """
        return {"created": dict(self.created), "unchanged": dict(self.unchanged)}


def _rid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in parts)))


def _ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": EXTENSION_BASE + name, **value}


def _time_out(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


# --------------------------------------------------------------------------------------
# FHIR export
# --------------------------------------------------------------------------------------
def _patient_resource(entry: PatientEntry, rid: str) -> dict[str, Any]:
    extensions = [
        _ext("pregnancy", valueBoolean=entry.pregnant),
        _ext("lactation", valueBoolean=entry.lactating),
        _ext("hepatic-function", valueCode=entry.hepatic_function),
    ]
    if entry.pregnancy_start_on:
        extensions.append(_ext("pregnancy-start", valueDate=entry.pregnancy_start_on.isoformat()))
    if entry.pregnancy_due_on:
        extensions.append(_ext("pregnancy-due", valueDate=entry.pregnancy_due_on.isoformat()))
    if entry.creatinine_clearance_ml_min is not None:
        extensions.append(
            _ext(
                "creatinine-clearance",
                valueQuantity={
                    "value": entry.creatinine_clearance_ml_min,
                    "unit": "mL/min",
                    "system": UCUM_SYSTEM,
                    "code": "mL/min",
                },
            )
        )
    for name, values in (
        ("condition", entry.conditions),
        ("allergy", entry.allergies),
        ("implanted-device", entry.implanted_devices),
    ):
        extensions += [_ext(name, valueString=v) for v in values]
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": rid,
        "identifier": [{"system": _PSEUDONYM_SYSTEM, "value": entry.pseudonym}],
        "gender": entry.sex,
        "extension": extensions,
    }
    if entry.birth_year is not None:
        resource["birthDate"] = f"{entry.birth_year:04d}"
    return resource


def _medication_resource(entry: MedicationEntry, rid: str, subject: str) -> dict[str, Any]:
    period = {"start": entry.started_on.isoformat()}
    if entry.stopped_on:
        period["end"] = entry.stopped_on.isoformat()
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "completed" if entry.stopped_on else "active",
        "subject": {"reference": subject},
        "medicationCodeableConcept": {
            "coding": [{"system": _DRUG_SYSTEM, "code": entry.drug}],
            "text": entry.drug,
        },
        "effectivePeriod": period,
        "dosage": [
            {
                "timing": {
                    "code": {"coding": [{"system": _FREQUENCY_SYSTEM, "code": entry.frequency}]}
                },
                "doseAndRate": [{"doseQuantity": {"value": entry.dose, "unit": entry.dose_unit}}],
            }
        ],
    }


def _episode_resource(entry: EpisodeEntry, rid: str, subject: str) -> dict[str, Any]:
    period = {"start": entry.started_on.isoformat()}
    if entry.ended_on:
        period["end"] = entry.ended_on.isoformat()
    return {
        "resourceType": "EpisodeOfCare",
        "id": rid,
        "status": "finished" if entry.ended_on else "active",
        "type": [{"text": entry.title}],
        "patient": {"reference": subject},
        "period": period,
    }


def _procedure_resource(entry: SessionEntry, rid: str, subject: str) -> dict[str, Any]:
    end = entry.started_at + timedelta(minutes=entry.duration_min)
    extensions = [_ext("duration-min", valueDecimal=entry.duration_min)]
    if entry.episode_started_on is not None:
        extensions.append(_ext("episode-start", valueDate=entry.episode_started_on.isoformat()))
    if entry.frequency_hz is not None:
        extensions.append(_ext("frequency-hz", valueString=entry.frequency_hz))
    if entry.intensity_ma is not None:
        extensions.append(
            _ext(
                "intensity",
                valueQuantity={
                    "value": entry.intensity_ma,
                    "unit": "mA",
                    "system": UCUM_SYSTEM,
                    "code": "mA",
                },
            )
        )
    extensions += [_ext("electrode-pair", valueString=f"{a}-{b}") for a, b in entry.electrode_pairs]
    return {
        "resourceType": "Procedure",
        "id": rid,
        "status": "completed",
        "subject": {"reference": subject},
        "code": {"coding": [{"system": _MODALITY_SYSTEM, "code": entry.modality}]},
        "performedPeriod": {"start": _time_out(entry.started_at), "end": _time_out(end)},
        "bodySite": [{"coding": [{"system": _POINT_SYSTEM, "code": p}]} for p in entry.points],
        "complication": [
            {"text": e.description, "extension": [_ext("severity", valueCode=e.severity)]}
            for e in entry.adverse_events
        ],
        "extension": extensions,
    }


def _hrv_resource(entry: HrvEntry, rid: str, subject: str) -> dict[str, Any]:
    components = []
    for name, unit in (("rmssd_ms", "ms"), ("sdnn_ms", "ms"), ("mean_hr_bpm", "/min")):
        value = getattr(entry, name)
        if value is not None:
            components.append(
                {
                    "code": {"coding": [DEFAULT_CODES.get(f"hrv.{name}").coding()]},
                    "valueQuantity": {
                        "value": value,
                        "unit": unit,
                        "system": UCUM_SYSTEM,
                        "code": unit,
                    },
                }
            )
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [DEFAULT_CODES.get("hrv.panel").coding()], "text": "HRV time domain"},
        "subject": {"reference": subject},
        "effectiveDateTime": _time_out(entry.recorded_at),
        "component": components,
    }
    if entry.rr_ms is not None:
        resource["extension"] = [
            _ext("rr-intervals-ms", valueString=" ".join(repr(v) for v in entry.rr_ms))
        ]
    return resource


def _assessment_resources(
    record: PatientRecord, pseudonym: str, subject: str
) -> Iterator[dict[str, Any]]:
    for stored in record.assessments:
        entry = stored.entry.entry
        _, result = normalise_assessment(entry)
        key = (pseudonym, "assessment", entry.instrument, entry.administered_at.isoformat())
        qr = questionnaire_response(result, entry.administered_at, subject=subject, id=_rid(*key))
        yield qr
        yield score_observation(
            result,
            entry.administered_at,
            subject=subject,
            id=_rid(*key, "score"),
            derived_from=f"QuestionnaireResponse/{qr['id']}",
        )


def _biomarker_resources(
    record: PatientRecord, pseudonym: str, subject: str, session_ids: Mapping[datetime, str]
) -> Iterator[dict[str, Any]]:
    for cortisol in record.cortisol:
        c = cortisol.entry
        obs = _cortisol_resource(
            c, _rid(pseudonym, "cortisol", c.collected_at.isoformat()), subject
        )
        yield obs
    for hrv in record.hrv:
        yield _hrv_resource(
            hrv.entry, _rid(pseudonym, "hrv", hrv.entry.recorded_at.isoformat()), subject
        )
    for vitals in record.vitals:
        v = vitals.entry
        reading = VitalSigns(
            v.phase,  # type: ignore[arg-type]
            v.minutes,
            v.heart_rate_bpm,
            v.systolic_mmhg,
            v.diastolic_mmhg,
        )
        for obs in vital_signs_observations(reading, v.session_started_at, subject=subject):
            kind = obs["code"]["coding"][0]["code"]
            obs["id"] = _rid(
                pseudonym, "vitals", v.session_started_at.isoformat(), v.phase, v.minutes, kind
            )
            obs["partOf"] = [{"reference": f"Procedure/{session_ids[v.session_started_at]}"}]
            obs["extension"] = [
                _ext("session-phase", valueCode=v.phase),
                _ext("minutes-from-session", valueDecimal=v.minutes),
            ]
            yield obs


def _cortisol_resource(entry: CortisolEntry, rid: str, subject: str) -> dict[str, Any]:
    sample = ClinicCortisolSample(entry.collected_at, entry.value, entry.unit, entry.label)
    obs = cortisol_observation(sample, subject=subject, id=rid)
    obs["method"] = {"text": entry.assay}
    return obs


def fhir_bundle(record: PatientRecord) -> dict[str, Any]:
    """The FHIR R4 ``collection`` Bundle of one patient's record (deterministic ids).

    Plans, notes and alerts are not part of the FHIR export.

    Example
    -------
    >>> from datetime import datetime
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> store = RecordStore.in_memory()
    >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, 1, 8), (6,)), actor="dr_a")
    >>> [e["resource"]["resourceType"] for e in fhir_bundle(store.load("p1"))["entry"]]
    ['Patient', 'QuestionnaireResponse', 'Observation']
    """
    entry = record.patient.entry
    pseudonym = entry.pseudonym
    patient_id = _rid(pseudonym, "patient")
    subject = f"Patient/{patient_id}"
    resources: list[dict[str, Any]] = [_patient_resource(entry, patient_id)]
    for med in record.medications:
        m = med.entry
        rid = _rid(pseudonym, "medication", m.drug, m.started_on.isoformat())
        resources.append(_medication_resource(m, rid, subject))
    for episode in record.episodes:
        e = episode.entry
        rid = _rid(pseudonym, "episode", e.started_on.isoformat())
        resources.append(_episode_resource(e, rid, subject))
    session_ids: dict[datetime, str] = {}
    for session in record.sessions:
        s = session.entry
        rid = _rid(pseudonym, "session", s.started_at.isoformat())
        session_ids[s.started_at] = rid
        resources.append(_procedure_resource(s, rid, subject))
    resources += _assessment_resources(record, pseudonym, subject)
    resources += _biomarker_resources(record, pseudonym, subject, session_ids)
    return {
        "resourceType": "Bundle",
        "id": _rid(pseudonym, "bundle"),
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def export_fhir(
    store: RecordStore, pseudonym: str, path: str | os.PathLike[str], *, overwrite: bool = True
) -> None:
    """Write one patient's FHIR Bundle as JSON, atomically.

    Example
    -------
    >>> from datetime import datetime
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> store = RecordStore.in_memory()
    >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, 1, 8), (6,)), actor="dr_a")
    >>> import tempfile, pathlib, json
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p1.json"
    >>> export_fhir(store, "p1", path)
    >>> json.loads(path.read_text())["type"]
    'collection'
    """
    data = fhir_bundle(store.load(pseudonym))
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text, overwrite=overwrite)


def export_csv(
    store: RecordStore,
    path: str | os.PathLike[str],
    pseudonyms: Sequence[str] | None = None,
    *,
    overwrite: bool = True,
) -> int:
    """Write every assessment of the given patients (default: all) to CSV with a ``patient`` column.

    Returns the number of rows written.

    Example
    -------
    >>> from datetime import datetime
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> store = RecordStore.in_memory()
    >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, 1, 8), (6,)), actor="dr_a")
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "all.csv"
    >>> export_csv(store, path)
    1
    >>> path.read_text().splitlines()[1][:37]
    'nrs,2024-01-01T08:00:00+00:00,p1,6,,,'
    """
    chosen = pseudonyms if pseudonyms is not None else [p.entry.pseudonym for p in store.patients()]
    rows: list[AdministrationRecord] = []
    for pseudonym in chosen:
        for stored in store.load(pseudonym).assessments:
            entry = stored.entry.entry
            _, result = normalise_assessment(entry)
            rows.append(AdministrationRecord(result, entry.administered_at, pseudonym))
    write_administrations_csv(path, rows, overwrite=overwrite, subject_column="patient")
    return len(rows)


# --------------------------------------------------------------------------------------
# FHIR import
# --------------------------------------------------------------------------------------
def _extensions(resource: Mapping[str, Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for ext in resource.get("extension", []) or []:
        url = ext.get("url", "") if isinstance(ext, Mapping) else ""
        if not url.startswith(EXTENSION_BASE):
            continue
        values = [v for k, v in ext.items() if k.startswith("value")]
        if len(values) == 1:
            found[url[len(EXTENSION_BASE) :]].append(values[0])
    return found


def _one(found: Mapping[str, list[Any]], name: str, default: Any = None) -> Any:
    values = found.get(name, [])
    return values[0] if values else default


def _date_in(value: Any, field_name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError("not a date", field=field_name, allowed="YYYY-MM-DD") from None


def _time_in(value: Any, field_name: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise InputError("not a date-time", field=field_name, allowed="ISO 8601") from None
    if when.tzinfo is None:
        raise InputError("has no time zone", field=field_name, allowed="ISO 8601 with offset")
    return when


def _patient_from(resource: Mapping[str, Any]) -> PatientEntry:
    ids = [
        i.get("value")
        for i in resource.get("identifier", [])
        if isinstance(i, Mapping) and i.get("system") == _PSEUDONYM_SYSTEM
    ]
    if len(ids) != 1:
        raise InputError(
            "needs exactly one pseudonym identifier",
            field="Patient.identifier",
            allowed=f"system {_PSEUDONYM_SYSTEM}",
        )
    ext = _extensions(resource)
    birth = resource.get("birthDate")
    crcl = _one(ext, "creatinine-clearance")
    return PatientEntry(
        pseudonym=ids[0] if isinstance(ids[0], str) else "",
        birth_year=None if birth is None else _birth_year(birth),
        sex=resource.get("gender", "unknown"),
        pregnant=_one(ext, "pregnancy", False),
        pregnancy_start_on=_date_in(
            _one(ext, "pregnancy-start"), "Patient.extension.pregnancy-start"
        ),
        pregnancy_due_on=_date_in(_one(ext, "pregnancy-due"), "Patient.extension.pregnancy-due"),
        lactating=_one(ext, "lactation", False),
        hepatic_function=_one(ext, "hepatic-function", "normal"),
        creatinine_clearance_ml_min=None if crcl is None else crcl.get("value"),
        conditions=tuple(ext.get("condition", [])),
        allergies=tuple(ext.get("allergy", [])),
        implanted_devices=tuple(ext.get("implanted-device", [])),
    )


def _birth_year(value: Any) -> int:
    text = str(value)
    if len(text) < 4 or not text[:4].isdigit():
        raise InputError("not a year", field="Patient.birthDate", allowed="YYYY or YYYY-MM-DD")
    return int(text[:4])


def _coding(concept: Any, system: str, field_name: str) -> str:
    codings = concept.get("coding", []) if isinstance(concept, Mapping) else []
    for coding in codings:
        if isinstance(coding, Mapping) and coding.get("system") == system:
            return str(coding.get("code"))
    raise InputError("no code of the expected system", field=field_name, allowed=system)


def _medication_from(resource: Mapping[str, Any]) -> MedicationEntry:
    drug = _coding(
        resource.get("medicationCodeableConcept"), _DRUG_SYSTEM, "MedicationStatement.medication"
    )
    period = resource.get("effectivePeriod") or {}
    try:
        dosage = resource["dosage"][0]
        dose = dosage["doseAndRate"][0]["doseQuantity"]
        frequency = _coding(
            dosage["timing"]["code"], _FREQUENCY_SYSTEM, "MedicationStatement.dosage.timing"
        )
    except (KeyError, IndexError, TypeError):
        raise InputError(
            "dose and timing are required", field="MedicationStatement.dosage"
        ) from None
    started = _date_in(period.get("start"), "MedicationStatement.effectivePeriod.start")
    if started is None:
        raise InputError("is required", field="MedicationStatement.effectivePeriod.start")
    return MedicationEntry(
        drug=drug,
        dose=dose.get("value"),
        dose_unit=dose.get("unit"),
        frequency=frequency,
        started_on=started,
        stopped_on=_date_in(period.get("end"), "MedicationStatement.effectivePeriod.end"),
    )


def _session_from(resource: Mapping[str, Any]) -> SessionEntry:
    ext = _extensions(resource)
    period = resource.get("performedPeriod") or {}
    pairs = []
    for text in ext.get("electrode-pair", []):
        first, _, second = str(text).partition("-")
        pairs.append((first, second))
    intensity = _one(ext, "intensity")
    events = []
    for i, complication in enumerate(resource.get("complication", []) or []):
        severity = _one(_extensions(complication), "severity")
        events.append(AdverseEvent(complication.get("text", ""), severity or f"missing[{i}]"))
    return SessionEntry(
        started_at=_time_in(period.get("start"), "Procedure.performedPeriod.start"),
        duration_min=_one(ext, "duration-min"),
        modality=_coding(resource.get("code"), _MODALITY_SYSTEM, "Procedure.code"),
        points=tuple(
            _coding(site, _POINT_SYSTEM, f"Procedure.bodySite[{i}]")
            for i, site in enumerate(resource.get("bodySite", []) or [])
        ),
        electrode_pairs=tuple(pairs),
        frequency_hz=_one(ext, "frequency-hz"),
        intensity_ma=None if intensity is None else intensity.get("value"),
        adverse_events=tuple(events),
        episode_started_on=_date_in(
            _one(ext, "episode-start"), "Procedure.extension.episode-start"
        ),
    )


def _hrv_from(resource: Mapping[str, Any]) -> HrvEntry:
    values: dict[str, float] = {}
    for comp in resource.get("component", []) or []:
        for name in ("rmssd_ms", "sdnn_ms", "mean_hr_bpm"):
            code = DEFAULT_CODES.get(f"hrv.{name}")
            if _coding(comp.get("code"), code.system, "Observation.component.code") == code.code:
                values[name] = comp["valueQuantity"]["value"]
    rr_text = _one(_extensions(resource), "rr-intervals-ms")
    rr = None
    if rr_text is not None:
        try:
            rr = tuple(float(v) for v in str(rr_text).split())
        except ValueError:
            raise InputError(
                "not a list of numbers", field="Observation.extension.rr-intervals-ms"
            ) from None
    when = _time_in(resource.get("effectiveDateTime"), "Observation.effectiveDateTime")
    if rr is not None:
        return HrvEntry(when, rr)
    return HrvEntry(
        when, None, values.get("rmssd_ms"), values.get("sdnn_ms"), values.get("mean_hr_bpm")
    )


def _code_of(resource: Mapping[str, Any]) -> tuple[str, str]:
    try:
        coding = resource["code"]["coding"][0]
        return str(coding.get("system")), str(coding.get("code"))
    except (KeyError, IndexError, TypeError):
        raise InputError("missing", field="Observation.code") from None


@dataclass
class _Bundle:
    patients: dict[str, PatientEntry] = field(default_factory=dict)
    rows: list[tuple[int, str, str, Any]] = field(default_factory=list)
    vitals: dict[tuple[str, str, str, float], dict[str, Any]] = field(default_factory=dict)
    procedures: dict[str, datetime] = field(default_factory=dict)


def _patient_ref(resource: Mapping[str, Any]) -> str:
    patient = resource.get("patient")
    reference = patient.get("reference") if isinstance(patient, Mapping) else None
    if not isinstance(reference, str):
        raise InputError("missing", field="EpisodeOfCare.patient", allowed="Patient/<id>")
    return reference


def _episode_from(resource: Mapping[str, Any]) -> EpisodeEntry:
    period = resource.get("period")
    period = period if isinstance(period, Mapping) else {}
    types = resource.get("type")
    title = (
        types[0].get("text")
        if isinstance(types, list) and types and isinstance(types[0], Mapping)
        else None
    )
    started = _date_in(period.get("start"), "EpisodeOfCare.period.start")
    if started is None:
        raise InputError("is required", field="EpisodeOfCare.period.start", allowed="YYYY-MM-DD")
    return EpisodeEntry(
        title or "", started, _date_in(period.get("end"), "EpisodeOfCare.period.end")
    )


def _subject_of(resource: Mapping[str, Any], where: str) -> str:
    subject = resource.get("subject")
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(reference, str):
        raise InputError(
            "missing subject reference", field=f"{where}.subject", allowed="Patient/<id>"
        )
    return reference


def _collect(data: Mapping[str, Any]) -> _Bundle:
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        raise InputError("not a FHIR Bundle", field="resourceType", allowed="Bundle")
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise InputError("not a list", field="Bundle.entry")
    parsed = _Bundle()
    for index, item in enumerate(entries):
        where = f"entry[{index}]"
        try:
            _collect_one(item["resource"], index, parsed)
        except (KeyError, TypeError):
            raise InputError("no resource", field=where) from None
        except (InputError, FhirError) as exc:
            raise _located(exc, where) from None
    return parsed


def _located(exc: InputError | FhirError, where: str) -> InputError:
    if isinstance(exc, InputError):
        field_name = f"{where}.{exc.field}" if exc.field else where
        return InputError(exc.problem, field=field_name, allowed=exc.allowed)
    return InputError(str(exc), field=where)


def _collect_one(resource: Mapping[str, Any], index: int, parsed: _Bundle) -> None:
    kind = resource.get("resourceType")
    if kind == "Patient":
        parsed.patients[f"Patient/{resource.get('id')}"] = _patient_from(resource)
        return
    if kind == "EpisodeOfCare":
        parsed.rows.append((index, _patient_ref(resource), "episode", _episode_from(resource)))
        return
    subject = _subject_of(resource, str(kind))
    if kind == "MedicationStatement":
        parsed.rows.append((index, subject, "medication", _medication_from(resource)))
    elif kind == "Procedure":
        session = _session_from(resource)
        parsed.procedures[f"Procedure/{resource.get('id')}"] = session.started_at
        parsed.rows.append((index, subject, "session", session))
    elif kind == "QuestionnaireResponse":
        qr = parse_questionnaire_response(resource)
        entry = AssessmentEntry(
            qr.result.instrument,
            qr.authored,
            tuple(int(v) for v in qr.result.items),
            qr.result.difficulty,
        )
        parsed.rows.append((index, subject, "assessment", entry))
    elif kind == "Observation":
        _collect_observation(resource, index, subject, parsed)
    else:
        raise InputError(
            "unsupported resourceType",
            field="resourceType",
            allowed="Patient, EpisodeOfCare, MedicationStatement, Procedure, QuestionnaireResponse, Observation",
        )


def _collect_observation(
    resource: Mapping[str, Any], index: int, subject: str, parsed: _Bundle
) -> None:
    system, code = _code_of(resource)
    cortisol = DEFAULT_CODES.get("cortisol.saliva")
    hrv = DEFAULT_CODES.get("hrv.panel")
    if (system, code) == (cortisol.system, cortisol.code):
        sample = parse_cortisol_observation(resource)
        assay = (resource.get("method") or {}).get("text", "unspecified")
        parsed.rows.append(
            (
                index,
                subject,
                "cortisol",
                CortisolEntry(sample.collected_at, sample.value, sample.unit, assay, sample.label),
            )
        )
    elif (system, code) == (hrv.system, hrv.code):
        parsed.rows.append((index, subject, "hrv", _hrv_from(resource)))
    elif DEFAULT_CODES.key_for(system, code) in ("vitals.heart_rate", "vitals.bp_panel"):
        vitals = parse_vital_signs_observation(resource)
        ext = _extensions(resource)
        part_of = (resource.get("partOf") or [{}])[0].get("reference", "")
        key = (
            subject,
            part_of,
            str(_one(ext, "session-phase")),
            float(_one(ext, "minutes-from-session", -1)),
        )
        merged = parsed.vitals.setdefault(key, {"index": index})
        for name in ("heart_rate_bpm", "systolic_mmhg", "diastolic_mmhg"):
            if getattr(vitals, name) is not None:
                merged[name] = getattr(vitals, name)
    # other Observations (instrument scores) are derived from their QuestionnaireResponse


_WRITERS: dict[str, tuple[str, Callable[..., tuple[Any, bool]]]] = {
    "episode": ("episodes", RecordWriter.add_episode),
    "medication": ("medications", RecordWriter.add_medication),
    "session": ("sessions", RecordWriter.add_session),
    "assessment": ("assessments", RecordWriter.add_assessment),
    "cortisol": ("cortisol_samples", RecordWriter.add_cortisol),
    "hrv": ("hrv_recordings", RecordWriter.add_hrv),
    "vitals": ("vital_signs", RecordWriter.add_vitals),
}


def import_fhir(
    store: RecordStore, data: Mapping[str, Any], *, actor: str, source: str = "bundle"
) -> ImportReport:
    """Import a Bundle (one or more patients) in one transaction; see the module doc.

    Example
    -------
    >>> from datetime import datetime
    >>> from hpatwin.records.entries import AssessmentEntry, PatientEntry
    >>> store = RecordStore.in_memory()
    >>> _ = store.add_patient(PatientEntry("p1"), actor="dr_a")
    >>> _ = store.add_assessment("p1", AssessmentEntry("nrs", datetime(2024, 1, 1, 8), (6,)), actor="dr_a")
    >>> other = RecordStore.in_memory()
    >>> import_fhir(other, fhir_bundle(store.load("p1")), actor="dr_b").summary()
    'patients: 1 created; assessments: 1 created'
    """
    try:
        parsed = _collect(data)
    except InputError as exc:
        raise InputError(exc.problem, source=source, field=exc.field, allowed=exc.allowed) from None
    pseudonyms = {ref: p.pseudonym for ref, p in parsed.patients.items()}
    rows = list(parsed.rows)
    for (subject, part_of, phase, minutes), values in parsed.vitals.items():
        started = parsed.procedures.get(part_of)
        if started is None:
            raise InputError(
                "vital signs not linked to a Procedure in the bundle",
                source=source,
                field=f"entry[{values['index']}].partOf",
            )
        vitals_entry = VitalsEntry(
            started,
            phase,
            minutes,
            values.get("heart_rate_bpm"),
            values.get("systolic_mmhg"),
            values.get("diastolic_mmhg"),
        )
        rows.append((values["index"], subject, "vitals", vitals_entry))
    report = ImportReport()
    with _located_errors(source) as where, store.writing(actor) as writer:
        for patient_entry in parsed.patients.values():
            _, created = writer.add_patient(patient_entry, if_exists="same")
            report.count("patients", created)
        order = {
            "episode": -1,
            "medication": 0,
            "session": 1,
            "assessment": 2,
            "cortisol": 3,
            "hrv": 4,
            "vitals": 5,
        }
        for index, subject, kind, row_entry in sorted(rows, key=lambda r: (order[r[2]], r[0])):
            where[0] = f"entry[{index}]"
            if subject not in pseudonyms:
                raise InputError("subject is not a Patient in this bundle", field="subject")
            table, write = _WRITERS[kind]
            _, created = write(writer, pseudonyms[subject], row_entry, if_exists="same")
            report.count(table, created)
    return report


@contextmanager
def _located_errors(source: str, joiner: str = ".") -> Iterator[list[str]]:
    where = [""]
    try:
        yield where
    except InputError as exc:
        field_name = joiner.join(p for p in (where[0], exc.field) if p) or None
        raise InputError(
            exc.problem, source=source, field=field_name, allowed=exc.allowed
        ) from None
    except ConflictError as exc:
        raise ConflictError(f"{source}: {where[0]}: {exc}") from None


# --------------------------------------------------------------------------------------
# CSV import and the file front door
# --------------------------------------------------------------------------------------
def import_csv(store: RecordStore, path: str | os.PathLike[str], *, actor: str) -> ImportReport:
    """Import assessments from CSV with a ``patient`` column, in one transaction.

    Example
    -------
    >>> import tempfile, pathlib
    >>> store = RecordStore.in_memory()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "scores.csv"
    >>> _ = path.write_text("patient,instrument,administered_at,item_1\\np7,nrs,2024-01-01T08:00,4\\n")
    >>> import_csv(store, path, actor="dr_a").summary()
    'patients: 1 created; assessments: 1 created'
    """
    name = Path(path).name
    try:
        records = read_administrations_csv(path)
        lines = [row["__line__"] for row in _read_rows(path)]
    except CsvError as exc:
        raise InputError(str(exc)) from None
    report = ImportReport()
    with _located_errors(name, " column ") as where, store.writing(actor) as writer:
        known = set(writer.session.scalars(select(models.Patient.pseudonym)))
        for line, record in zip(lines, records, strict=True):
            where[0] = f"line {line}"
            if record.subject is None:
                raise InputError(
                    "is empty", field="patient", allowed="a pseudonymous id on every row"
                )
            if record.administered_at is None:
                raise InputError(
                    "is empty", field="administered_at", allowed="an ISO 8601 date-time"
                )
            if record.subject not in known:
                writer.add_patient(PatientEntry(record.subject))
                known.add(record.subject)
                report.count("patients", True)
            entry = AssessmentEntry(
                record.result.instrument,
                record.administered_at,
                tuple(int(v) for v in record.result.items),
                record.result.difficulty,
            )
            _, created = writer.add_assessment(record.subject, entry, if_exists="same")
            report.count("assessments", created)
    return report


def import_file(store: RecordStore, path: str | os.PathLike[str], *, actor: str) -> ImportReport:
    """Import a ``.json`` FHIR Bundle or a ``.csv`` file (by extension).

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = path.write_text("x")
    >>> try:
    ...     import_file(RecordStore.in_memory(), path, actor="dr_a")
    ... except InputError as exc:
    ...     print(exc)
    notes.txt: unknown file type (allowed: .json (FHIR Bundle), .csv)
    """
    file = Path(path)
    if file.suffix.lower() == ".csv":
        return import_csv(store, file, actor=actor)
    if file.suffix.lower() != ".json":
        raise InputError("unknown file type", source=file.name, allowed=".json (FHIR Bundle), .csv")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "encoding"
        raise InputError("not valid JSON", source=file.name, field=where) from None
    return import_fhir(store, data, actor=actor, source=file.name)
