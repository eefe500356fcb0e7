"""FHIR R4 export and import: QuestionnaireResponse and Observation (scores, biomarkers).

Resources are plain JSON dictionaries (FHIR R4 JSON); the test suite validates them
against the ``fhir.resources`` R4B models. Codes come from a configurable
:class:`CodeTable`: LOINC where the code is confirmed (HL7 US Core and MII FHIR examples,
the LOINC table) or in the FHIR R4
vital-signs profile, and a local code system (:data:`LOCAL_SYSTEM`) elsewhere - for
example salivary cortisol, whose timed LOINC codes could not be confirmed,
so the collection time lives in ``effectiveDateTime``. Replace codes with
:meth:`CodeTable.with_codes` once your terminology service confirms them.

FHIR requires a time zone on every date-time with a clock time: naive datetimes are
rejected on export unless ``assume_tz`` is given, and imported times are time-zone aware.

Import is strict: a resource of the wrong type, without a status, with an unknown code,
a missing or non-numeric value, a date-time without time zone, or an unknown item raises
:class:`FhirError` naming the path of the offending element.

Example
-------
>>> from datetime import datetime, timezone
>>> from hpatwin.clinic.instruments import score
>>> when = datetime(2024, 5, 2, 9, 30, tzinfo=timezone.utc)
>>> qr = questionnaire_response(score("phq9", [1] * 9), authored=when, subject="Patient/p1")
>>> back = parse_questionnaire_response(qr)
>>> back.result.total, back.authored == when
(9.0, True)
>>> obs = score_observation(score("phq9", [1] * 9), effective=when)
>>> obs["code"]["coding"][0]["code"], parse_score_observation(obs).total
('44261-6', 9.0)
"""

from __future__ import annotations

import json
import math
import numbers
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from hpatwin.clinic.autonomic import PLAUSIBLE_RANGES, VitalSigns
from hpatwin.clinic.cortisol import CortisolError, CortisolSample
from hpatwin.clinic.hrv import HrvResult
from hpatwin.clinic.instruments import (
    INSTRUMENTS,
    InstrumentError,
    InstrumentResult,
    MissingRule,
    get_spec,
    score,
)
from hpatwin.io.atomic import atomic_write_text
from hpatwin.io.documents import DocumentError, read_document

__all__ = [
    "DEFAULT_CODES",
    "LOCAL_SYSTEM",
    "LOINC_SYSTEM",
    "UCUM_SYSTEM",
    "Code",
    "CodeTable",
    "FhirError",
    "HrvRecord",
    "QuestionnaireRecord",
    "ScoreObservation",
    "VitalsRecord",
    "bundle",
    "cortisol_observation",
    "hrv_observation",
    "parse_bundle",
    "parse_cortisol_observation",
    "parse_hrv_observation",
    "parse_questionnaire_response",
    "parse_resource",
    "parse_score_observation",
    "parse_vital_signs_observation",
    "questionnaire_response",
    "read_bundle",
    "score_observation",
    "vital_signs_observations",
    "write_bundle",
]

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
LOCAL_SYSTEM = "urn:hpatwin:codes"
"""Local code system for measures without a confirmed LOINC code."""
_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"

_LOINC_PHQ = "LOINC via HL7 US Core PHQ-9 examples"
_LOINC_GAD = "LOINC via MII ObsDef 'GAD-7 total score [Reported.PHQ]'"
_LOINC_NRS = "LOINC 72514-3, active (38208-5 older IHE, 56840-2 discouraged)"
_VITALS = "HL7 FHIR R4 Vital Signs profile (observation-vitalsigns)"
_LOCAL = "local code: no confirmed LOINC code"

_UCUM_UNITS = {"nmol/L": "nmol/L", "µg/dL": "ug/dL", "ng/dL": "ng/dL", "ng/mL": "ng/mL"}
_UNITS_FROM_UCUM = {v: k for k, v in _UCUM_UNITS.items()}


class FhirError(ValueError):
    """A resource could not be exported or is malformed; the message names the element path.

    Example
    -------
    >>> try:
    ...     parse_resource({"resourceType": "Patient"})
    ... except FhirError as e:
    ...     print(e)
    Patient: unsupported resourceType; expected QuestionnaireResponse or Observation
    """


@dataclass(frozen=True)
class Code:
    """One code: system, code, display and where it comes from.

    Example
    -------
    >>> DEFAULT_CODES.get("nrs.total").coding()["code"]
    '72514-3'
    """

    system: str
    code: str
    display: str
    source: str

    def coding(self) -> dict[str, str]:
        """The FHIR ``Coding`` JSON.

        Example
        -------
        >>> Code("urn:x", "a", "A", "s").coding()
        {'system': 'urn:x', 'code': 'a', 'display': 'A'}
        """
        return {"system": self.system, "code": self.code, "display": self.display}


def _local(code: str, display: str) -> Code:
    return Code(LOCAL_SYSTEM, code, display, _LOCAL)


_PHQ9_ITEM_LOINC = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)

_HRV_FIELDS: dict[str, tuple[str, str]] = {
    # field -> (display, UCUM unit or "" for counts/strings)
    "mean_nn_ms": ("Mean NN interval", "ms"),
    "median_nn_ms": ("Median NN interval", "ms"),
    "sdnn_ms": ("SDNN", "ms"),
    "rmssd_ms": ("RMSSD", "ms"),
    "sdsd_ms": ("SDSD", "ms"),
    "pnn50_pct": ("pNN50", "%"),
    "pnn20_pct": ("pNN20", "%"),
    "cvnn": ("Coefficient of variation of NN", "1"),
    "mean_hr_bpm": ("Mean heart rate", "/min"),
    "duration_s": ("Recording duration", "s"),
    "artefact_fraction": ("Artefact fraction", "1"),
    "n_intervals": ("Number of RR intervals", ""),
    "n_nn": ("Number of NN intervals", ""),
    "n_differences": ("Number of successive differences", ""),
    "n_artefacts": ("Number of artefacts", ""),
    "correction": ("Artefact correction method", ""),
    "pnn_denominator": ("pNN denominator", ""),
    "artefact_indices": ("Artefact indices", ""),
}
_HRV_INT_FIELDS = ("n_intervals", "n_nn", "n_differences", "n_artefacts")
_HRV_STR_FIELDS = ("correction", "pnn_denominator", "artefact_indices")


def _default_codes() -> dict[str, Code]:
    codes: dict[str, Code] = {
        "phq9.total": Code(
            LOINC_SYSTEM,
            "44261-6",
            "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
            _LOINC_PHQ,
        ),
        "phq9.difficulty": Code(
            LOINC_SYSTEM, "69722-7", "How difficult have these problems made it", _LOINC_PHQ
        ),
        "gad7.total": Code(
            LOINC_SYSTEM,
            "70274-6",
            "Generalized anxiety disorder 7 item (GAD-7) total score",
            _LOINC_GAD,
        ),
        "nrs.total": Code(
            LOINC_SYSTEM,
            "72514-3",
            "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            _LOINC_NRS,
        ),
        "bpi.total": _local("bpi-severity", "BPI pain severity (mean of 4 items)"),
        "bpi.severity": _local("bpi-severity-subscale", "BPI pain severity subscale"),
        "bpi.interference": _local("bpi-interference", "BPI pain interference (mean of 7)"),
        "bpi.worst_pain": _local("bpi-worst-pain", "BPI worst pain in last 24 h"),
        "pcs.total": _local("pcs-total", "Pain Catastrophizing Scale total"),
        "pcs.rumination": _local("pcs-rumination", "PCS rumination"),
        "pcs.magnification": _local("pcs-magnification", "PCS magnification"),
        "pcs.helplessness": _local("pcs-helplessness", "PCS helplessness"),
        "isi.total": _local("isi-total", "Insomnia Severity Index total"),
        "cortisol.saliva": _local("salivary-cortisol", "Cortisol in saliva"),
        "hrv.panel": _local("hrv-time-domain", "Heart rate variability, time domain"),
        "vitals.heart_rate": Code(LOINC_SYSTEM, "8867-4", "Heart rate", _VITALS),
        "vitals.bp_panel": Code(
            LOINC_SYSTEM, "85354-9", "Blood pressure panel with all children optional", _VITALS
        ),
        "vitals.systolic": Code(LOINC_SYSTEM, "8480-6", "Systolic blood pressure", _VITALS),
        "vitals.diastolic": Code(LOINC_SYSTEM, "8462-4", "Diastolic blood pressure", _VITALS),
    }
    for i, loinc in enumerate(_PHQ9_ITEM_LOINC, start=1):
        codes[f"phq9.item.{i}"] = Code(
            LOINC_SYSTEM, loinc, INSTRUMENTS["phq9"].item_labels[i - 1], _LOINC_PHQ
        )
    for name, (display, _) in _HRV_FIELDS.items():
        codes[f"hrv.{name}"] = _local(f"hrv-{name.replace('_', '-')}", display)
    return codes


@dataclass(frozen=True)
class CodeTable:
    """Configurable mapping from measure keys (``"phq9.total"``) to codes, plus questionnaire URLs.

    Example
    -------
    >>> t = DEFAULT_CODES.with_codes(
    ...     {"isi.total": Code("http://loinc.org", "00000-0", "ISI total", "my lab")})
    >>> t.get("isi.total").code, t.key_for("http://loinc.org", "00000-0")
    ('00000-0', 'isi.total')
    """

    codes: Mapping[str, Code]
    questionnaire_urls: Mapping[str, str] = field(
        default_factory=lambda: {n: f"urn:hpatwin:questionnaire:{n}" for n in INSTRUMENTS}
    )

    def __post_init__(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        for key, code in self.codes.items():
            pair = (code.system, code.code)
            if pair in seen:
                raise FhirError(f"code table: {key} and {seen[pair]} share the code {pair}")
            seen[pair] = key

    def get(self, key: str) -> Code:
        """The code for ``key``.

        Example
        -------
        >>> DEFAULT_CODES.get("phq9.total").code
        '44261-6'
        """
        try:
            return self.codes[key]
        except KeyError:
            raise FhirError(f"code table: no code for {key!r}") from None

    def key_for(self, system: str, code: str) -> str | None:
        """The key of a (system, code) pair, or ``None``.

        Example
        -------
        >>> DEFAULT_CODES.key_for("http://loinc.org", "70274-6")
        'gad7.total'
        """
        for key, c in self.codes.items():
            if c.system == system and c.code == code:
                return key
        return None

    def with_codes(self, overrides: Mapping[str, Code]) -> CodeTable:
        """A copy with some codes replaced or added.

        Example
        -------
        >>> len(DEFAULT_CODES.with_codes({}).codes) == len(DEFAULT_CODES.codes)
        True
        """
        return replace(self, codes={**self.codes, **overrides})


DEFAULT_CODES = CodeTable(_default_codes())
"""The default code table (LOINC where confirmed, local codes elsewhere)."""


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _dt_out(when: datetime, what: str, assume_tz: tzinfo | None) -> str:
    if not isinstance(when, datetime):
        raise FhirError(f"{what}: {when!r} is not a date and time")
    if when.tzinfo is None:
        if assume_tz is None:
            raise FhirError(
                f"{what}: {when.isoformat()} has no time zone; FHIR requires one "
                "(pass a time-zone-aware datetime or assume_tz=)"
            )
        when = when.replace(tzinfo=assume_tz)
    return when.isoformat()


def _dt_in(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise FhirError(f"{path}: missing or not a dateTime string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FhirError(f"{path}: {value!r} is not a valid FHIR dateTime") from None
    if "T" not in value:
        raise FhirError(f"{path}: {value!r} has no clock time")
    if parsed.tzinfo is None:
        raise FhirError(f"{path}: {value!r} has no time zone (required by FHIR)")
    if parsed > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise FhirError(f"{path}: {value!r} is in the future")
    return parsed


FUTURE_TOLERANCE = timedelta(days=1)
"""How far past the present a recorded time may lie (clock and time-zone slack)."""


def _subject(subject: str | None) -> dict[str, Any]:
    if subject is None:
        return {}
    if not isinstance(subject, str) or not subject.strip():
        raise FhirError(f"subject: {subject!r} is not a reference such as 'Patient/123'")
    return {"subject": {"reference": subject}}


def _new_id(given: str | None) -> str:
    return given if given is not None else uuid.uuid4().hex


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": _CATEGORY_SYSTEM, "code": code}]}]


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM_SYSTEM, "code": unit}


def _require(resource: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in resource or resource[key] is None:
        raise FhirError(f"{path}.{key}: missing")
    return resource[key]


def _check_type(resource: Any, expected: str) -> Mapping[str, Any]:
    if not isinstance(resource, Mapping):
        raise FhirError(f"{expected}: resource is not a JSON object")
    rt = resource.get("resourceType")
    if rt != expected:
        raise FhirError(f"{expected}: resourceType is {rt!r}, expected {expected!r}")
    return resource


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FhirError(f"{path}: {value!r} is not a number")
    v = float(value)
    if not math.isfinite(v):
        raise FhirError(f"{path}: {v} is not finite")
    return v


def _code_key(concept: Any, path: str, codes: CodeTable) -> str:
    if not isinstance(concept, Mapping):
        raise FhirError(f"{path}: missing or not a CodeableConcept")
    codings = concept.get("coding")
    if not isinstance(codings, list) or not codings:
        raise FhirError(f"{path}.coding: missing or empty")
    for i, c in enumerate(codings):
        if not isinstance(c, Mapping):
            raise FhirError(f"{path}.coding[{i}]: not a Coding")
        key = codes.key_for(str(c.get("system")), str(c.get("code")))
        if key is not None:
            return key
    shown = [(c.get("system"), c.get("code")) for c in codings if isinstance(c, Mapping)]
    raise FhirError(f"{path}.coding: no known code among {shown}")


def _quantity_in(q: Any, path: str) -> tuple[float, str | None]:
    if not isinstance(q, Mapping):
        raise FhirError(f"{path}: missing or not a Quantity")
    comparator = q.get("comparator")
    if comparator is not None and comparator != "=":
        raise FhirError(
            f"{path}.comparator: {str(comparator)[:4]!r} - the value is a bound, not a "
            "measurement, and is not imported as one"
        )
    value = _number(q.get("value"), f"{path}.value")
    unit = q.get("code", q.get("unit"))
    return value, unit if isinstance(unit, str) else None


def _status(resource: Mapping[str, Any], path: str, allowed: Iterable[str]) -> str:
    status = _require(resource, "status", path)
    allowed_t = tuple(allowed)
    if status not in allowed_t:
        raise FhirError(f"{path}.status: {status!r}; allowed {', '.join(allowed_t)}")
    return str(status)


def _subject_in(resource: Mapping[str, Any], path: str) -> str | None:
    subj = resource.get("subject")
    if subj is None:
        return None
    if not isinstance(subj, Mapping) or not isinstance(subj.get("reference"), str):
        raise FhirError(f"{path}.subject: not a Reference with a 'reference'")
    return str(subj["reference"])


_OBS_STATUS = ("registered", "preliminary", "final", "amended", "corrected")


# --------------------------------------------------------------------------------------
# Instruments: QuestionnaireResponse
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionnaireRecord:
    """An imported QuestionnaireResponse: the re-scored result plus its metadata.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> from hpatwin.clinic.instruments import score
    >>> t = datetime(2024, 1, 1, 8, tzinfo=timezone.utc)
    >>> rec = parse_questionnaire_response(questionnaire_response(score("gad7", [1] * 7), t))
    >>> rec.result.severity, rec.status
    ('mild', 'completed')
    """

    result: InstrumentResult
    authored: datetime
    subject: str | None
    id: str | None
    status: str


def questionnaire_response(
    result: InstrumentResult,
    authored: datetime,
    *,
    subject: str | None = None,
    id: str | None = None,
    codes: CodeTable = DEFAULT_CODES,
    assume_tz: tzinfo | None = None,
) -> dict[str, Any]:
    """A FHIR R4 QuestionnaireResponse holding the item answers (and PHQ-9 difficulty).

    ``linkId`` is the canonical item key (``phq9_1`` ...); missing items (under a
    missing-data rule) are exported without an answer. The score is not stored here:
    it is recomputed on import (see :func:`score_observation` for the score).

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> from hpatwin.clinic.instruments import score_phq9
    >>> qr = questionnaire_response(score_phq9([0] * 9, difficulty=1),
    ...                             datetime(2024, 1, 1, 8, tzinfo=timezone.utc), id="qr1")
    >>> qr["item"][-1]
    {'linkId': 'phq9_difficulty', 'text': 'How difficult have these problems made it', 'answer': [{'valueInteger': 1}]}
    """
    spec = get_spec(result.instrument)
    items: list[dict[str, Any]] = []
    for key, label, value in zip(spec.item_keys, spec.item_labels, result.items, strict=True):
        entry: dict[str, Any] = {"linkId": key, "text": label}
        if not (isinstance(value, float) and math.isnan(value)):
            entry["answer"] = [{"valueInteger": int(value)}]
        items.append(entry)
    if result.difficulty is not None:
        items.append(
            {
                "linkId": "phq9_difficulty",
                "text": codes.get("phq9.difficulty").display,
                "answer": [{"valueInteger": int(result.difficulty)}],
            }
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": _new_id(id),
        "questionnaire": codes.questionnaire_urls[spec.name],
        "status": "completed",
        **_subject(subject),
        "authored": _dt_out(authored, "QuestionnaireResponse.authored", assume_tz),
        "item": items,
    }


def parse_questionnaire_response(
    resource: Mapping[str, Any],
    *,
    codes: CodeTable = DEFAULT_CODES,
    missing: MissingRule | None = None,
    allow_incomplete: bool = False,
) -> QuestionnaireRecord:
    """Import a QuestionnaireResponse and re-score it (strictly; see :func:`score`).

    The instrument comes from ``questionnaire`` (a URL of the code table). ``linkId`` may be
    the canonical key (``phq9_3``), a PHQ-9 item LOINC code (``44259-0`` or ``/44259-0``).

    Example
    -------
    >>> try:
    ...     parse_questionnaire_response({"resourceType": "QuestionnaireResponse",
    ...                                   "status": "completed"})
    ... except FhirError as e:
    ...     print(e)
    QuestionnaireResponse.questionnaire: missing
    """
    path = "QuestionnaireResponse"
    res = _check_type(resource, path)
    status = _status(res, path, ("in-progress", "completed", "amended", "stopped"))
    if status not in ("completed", "amended") and not allow_incomplete:
        raise FhirError(
            f"{path}.status: {status!r} - the response is not complete and is not scored "
            "(allow_incomplete=True imports it with its status)"
        )
    url = _require(res, "questionnaire", path)
    by_url = {u.split("|")[0]: n for n, u in codes.questionnaire_urls.items()}
    instrument = by_url.get(str(url).split("|")[0])
    if instrument is None:
        raise FhirError(f"{path}.questionnaire: {url!r} is not a known questionnaire")
    spec = get_spec(instrument)
    authored = _dt_in(res.get("authored"), f"{path}.authored")
    raw_items = _require(res, "item", path)
    if not isinstance(raw_items, list):
        raise FhirError(f"{path}.item: not a list")
    aliases: dict[str, str] = {k: k for k in spec.item_keys}
    if instrument == "phq9":
        for i, loinc in enumerate(_PHQ9_ITEM_LOINC, start=1):
            code = codes.codes.get(f"phq9.item.{i}")
            for alias in {loinc, code.code if code else loinc}:
                aliases[alias] = f"phq9_{i}"
                aliases["/" + alias] = f"phq9_{i}"
        diff = codes.get("phq9.difficulty").code
        for alias in ("phq9_difficulty", diff, "/" + diff):
            aliases[alias] = "difficulty"
    responses: dict[str, Any] = {}
    for i, item in enumerate(raw_items):
        ipath = f"{path}.item[{i}]"
        if not isinstance(item, Mapping):
            raise FhirError(f"{ipath}: not an object")
        link = item.get("linkId")
        if not isinstance(link, str) or link not in aliases:
            raise FhirError(f"{ipath}.linkId: {link!r} is not an item of {instrument}")
        key = aliases[link]
        if key in responses:
            raise FhirError(f"{ipath}.linkId: {link!r} appears twice")
        answers = item.get("answer")
        if answers is None:
            responses[key] = None
            continue
        if (
            not isinstance(answers, list)
            or len(answers) != 1
            or not isinstance(answers[0], Mapping)
        ):
            raise FhirError(f"{ipath}.answer: expected exactly one answer")
        ans = answers[0]
        if "valueInteger" in ans:
            value = ans["valueInteger"]
            if isinstance(value, bool) or not isinstance(value, int):
                raise FhirError(f"{ipath}.answer[0].valueInteger: {value!r} is not an integer")
        elif "valueDecimal" in ans:
            value = _number(ans["valueDecimal"], f"{ipath}.answer[0].valueDecimal")
        else:
            raise FhirError(f"{ipath}.answer[0]: expected valueInteger or valueDecimal")
        responses[key] = value
    try:
        result = score(instrument, responses, missing=missing)
    except InstrumentError as exc:
        raise FhirError(f"{path}: {exc}") from exc
    return QuestionnaireRecord(
        result=result,
        authored=authored,
        subject=_subject_in(res, path),
        id=res.get("id") if isinstance(res.get("id"), str) else None,
        status=status,
    )


# --------------------------------------------------------------------------------------
# Instruments: score Observation
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreObservation:
    """An imported score Observation.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> from hpatwin.clinic.instruments import score
    >>> t = datetime(2024, 1, 1, 8, tzinfo=timezone.utc)
    >>> o = parse_score_observation(score_observation(score("pcs", [2] * 13), effective=t))
    >>> o.instrument, o.total, o.subscales["helplessness"]
    ('pcs', 26.0, 12.0)
    """

    instrument: str
    total: float
    subscales: dict[str, float]
    severity: str | None
    effective: datetime
    subject: str | None
    id: str | None
    derived_from: tuple[str, ...] = ()


def score_observation(
    result: InstrumentResult,
    effective: datetime,
    *,
    subject: str | None = None,
    id: str | None = None,
    derived_from: str | None = None,
    codes: CodeTable = DEFAULT_CODES,
    assume_tz: tzinfo | None = None,
) -> dict[str, Any]:
    """A FHIR R4 Observation (category survey) with the total, subscales and severity.

    ``derived_from`` is a reference such as ``"QuestionnaireResponse/qr1"``.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> from hpatwin.clinic.instruments import score
    >>> o = score_observation(score("bpi", [7, 2, 4, 5, 3, 3, 3, 3, 3, 3, 3]),
    ...                       datetime(2024, 1, 1, 8, tzinfo=timezone.utc))
    >>> [c["code"]["coding"][0]["code"] for c in o["component"]]
    ['bpi-severity-subscale', 'bpi-interference', 'bpi-worst-pain']
    """
    code = codes.get(f"{result.instrument}.total")
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _new_id(id),
        "status": "final",
        "category": _category("survey"),
        "code": {"coding": [code.coding()], "text": f"{result.instrument} total score"},
        **_subject(subject),
        "effectiveDateTime": _dt_out(effective, "Observation.effectiveDateTime", assume_tz),
        "valueQuantity": _quantity(result.total, "{score}"),
    }
    if result.severity is not None:
        obs["interpretation"] = [{"text": result.severity}]
    if result.subscales:
        obs["component"] = [
            {
                "code": {"coding": [codes.get(f"{result.instrument}.{name}").coding()]},
                "valueQuantity": _quantity(value, "{score}"),
            }
            for name, value in result.subscales.items()
        ]
    if derived_from is not None:
        obs["derivedFrom"] = [{"reference": derived_from}]
    return obs


def parse_score_observation(
    resource: Mapping[str, Any], *, codes: CodeTable = DEFAULT_CODES
) -> ScoreObservation:
    """Import a score Observation written by :func:`score_observation` (or compatible).

    The total is checked against the instrument's range.

    Example
    -------
    >>> try:
    ...     parse_score_observation({"resourceType": "Observation", "status": "final",
    ...         "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
    ...         "effectiveDateTime": "2024-01-01T08:00:00+00:00",
    ...         "valueQuantity": {"value": 31}})
    ... except FhirError as e:
    ...     print(e)
    Observation.valueQuantity.value: 31.0 is outside the phq9 range 0-27
    """
    path = "Observation"
    res = _check_type(resource, path)
    _status(res, path, _OBS_STATUS)
    key = _code_key(res.get("code"), f"{path}.code", codes)
    instrument, _, measure = key.partition(".")
    if measure != "total" or instrument not in INSTRUMENTS:
        raise FhirError(f"{path}.code: {key!r} is not an instrument score")
    spec = get_spec(instrument)
    total, _ = _quantity_in(res.get("valueQuantity"), f"{path}.valueQuantity")
    lo = spec.item_min * (1 if spec.subscale_kind == "mean" else spec.n_items)
    if not (lo <= total <= spec.max_total):
        raise FhirError(
            f"{path}.valueQuantity.value: {total} is outside the {instrument} range "
            f"{lo:g}-{spec.max_total:g}"
        )
    subscales: dict[str, float] = {}
    comps = res.get("component", [])
    if not isinstance(comps, list):
        raise FhirError(f"{path}.component: not a list")
    for i, comp in enumerate(comps):
        cpath = f"{path}.component[{i}]"
        if not isinstance(comp, Mapping):
            raise FhirError(f"{cpath}: not an object")
        ckey = _code_key(comp.get("code"), f"{cpath}.code", codes)
        cinst, _, cname = ckey.partition(".")
        if cinst != instrument:
            raise FhirError(f"{cpath}.code: {ckey!r} does not belong to {instrument}")
        value, _ = _quantity_in(comp.get("valueQuantity"), f"{cpath}.valueQuantity")
        # a named subscale spans its items; anything else (BPI worst pain) is one item
        items = spec.subscales.get(cname, (1,))
        n = 1 if spec.subscale_kind == "mean" else len(items)
        low, high = spec.item_min * n, spec.item_max * n
        if not low <= value <= high:
            raise FhirError(
                f"{cpath}.valueQuantity.value: {value:g} is outside the {instrument} {cname} "
                f"range {low:g}-{high:g}"
            )
        subscales[cname] = value
    severity = None
    interp = res.get("interpretation")
    if interp is not None:
        if not isinstance(interp, list) or not interp or not isinstance(interp[0], Mapping):
            raise FhirError(f"{path}.interpretation: not a list of CodeableConcept")
        text = interp[0].get("text")
        valid = {b.label for b in spec.bands}
        if text not in valid:
            raise FhirError(f"{path}.interpretation[0].text: {text!r}; allowed {sorted(valid)}")
        severity = str(text)
        # the BPI's category comes from worst pain, every other band from the total
        basis = subscales.get("worst_pain") if instrument == "bpi" else total
        band = spec.band_for(basis) if basis is not None else None
        if band is not None and band.label != severity:
            what = "worst pain" if instrument == "bpi" else "the total"
            raise FhirError(
                f"{path}.interpretation[0].text: {severity!r} contradicts {what} {basis:g} "
                f"({band.label!r} for {instrument})"
            )
    derived = res.get("derivedFrom", [])
    refs = tuple(
        str(d["reference"]) for d in derived if isinstance(d, Mapping) and "reference" in d
    )
    return ScoreObservation(
        instrument=instrument,
        total=total,
        subscales=subscales,
        severity=severity,
        effective=_dt_in(res.get("effectiveDateTime"), f"{path}.effectiveDateTime"),
        subject=_subject_in(res, path),
        id=res.get("id") if isinstance(res.get("id"), str) else None,
        derived_from=refs,
    )


# --------------------------------------------------------------------------------------
# Biomarkers: salivary cortisol
# --------------------------------------------------------------------------------------
def cortisol_observation(
    sample: CortisolSample,
    *,
    subject: str | None = None,
    id: str | None = None,
    codes: CodeTable = DEFAULT_CODES,
    assume_tz: tzinfo | None = None,
) -> dict[str, Any]:
    """A laboratory Observation for one salivary cortisol sample, in its original unit.

    The collection time goes into ``effectiveDateTime``; a sample label into ``note``.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> s = CortisolSample(datetime(2024, 5, 2, 23, tzinfo=timezone.utc), 120.0, "ng/dL")
    >>> cortisol_observation(s, id="c1")["valueQuantity"]
    {'value': 120.0, 'unit': 'ng/dL', 'system': 'http://unitsofmeasure.org', 'code': 'ng/dL'}
    """
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _new_id(id),
        "status": "final",
        "category": _category("laboratory"),
        "code": {"coding": [codes.get("cortisol.saliva").coding()], "text": "Salivary cortisol"},
        **_subject(subject),
        "effectiveDateTime": _dt_out(sample.collected_at, "cortisol sample time", assume_tz),
        "valueQuantity": {
            "value": sample.value,
            "unit": sample.unit,
            "system": UCUM_SYSTEM,
            "code": _UCUM_UNITS[sample.unit],
        },
    }
    if sample.label:
        obs["note"] = [{"text": sample.label}]
    return obs


def parse_cortisol_observation(
    resource: Mapping[str, Any], *, codes: CodeTable = DEFAULT_CODES
) -> CortisolSample:
    """Import a salivary cortisol Observation as a :class:`CortisolSample`.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> s = CortisolSample(datetime(2024, 5, 2, 8, tzinfo=timezone.utc), 14.2, "nmol/L", "waking")
    >>> parse_cortisol_observation(cortisol_observation(s)) == s
    True
    """
    path = "Observation"
    res = _check_type(resource, path)
    _status(res, path, _OBS_STATUS)
    key = _code_key(res.get("code"), f"{path}.code", codes)
    if key != "cortisol.saliva":
        raise FhirError(f"{path}.code: {key!r} is not salivary cortisol")
    value, unit = _quantity_in(res.get("valueQuantity"), f"{path}.valueQuantity")
    if unit is None or unit not in _UNITS_FROM_UCUM:
        raise FhirError(
            f"{path}.valueQuantity.code: {unit!r}; allowed UCUM {', '.join(_UNITS_FROM_UCUM)}"
        )
    when = _dt_in(res.get("effectiveDateTime"), f"{path}.effectiveDateTime")
    notes = res.get("note") or []
    label = ""
    if notes:
        if not isinstance(notes, list) or not isinstance(notes[0], Mapping):
            raise FhirError(f"{path}.note: not a list of Annotation")
        label = str(notes[0].get("text", ""))
    try:
        return CortisolSample(when, value, _UNITS_FROM_UCUM[unit], label)
    except CortisolError as exc:
        raise FhirError(f"{path}: {exc}") from exc


# --------------------------------------------------------------------------------------
# Biomarkers: HRV
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HrvRecord:
    """An imported HRV Observation: the metrics (as in :meth:`HrvResult.to_dict`) and time.

    Example
    -------
    >>> HrvRecord({"rmssd_ms": 30.0}, None, None, None).metrics["rmssd_ms"]
    30.0
    """

    metrics: dict[str, float | int | str | list[int]]
    effective: datetime | None
    subject: str | None
    id: str | None


def hrv_observation(
    result: HrvResult,
    effective: datetime,
    *,
    subject: str | None = None,
    id: str | None = None,
    codes: CodeTable = DEFAULT_CODES,
    assume_tz: tzinfo | None = None,
) -> dict[str, Any]:
    """An Observation panel with one component per HRV metric (ms, %, counts, method).

    ``effective`` is the start of the recording.

    Example
    -------
    >>> import numpy as np
    >>> from datetime import datetime, timezone
    >>> from hpatwin.clinic.hrv import hrv_time_domain
    >>> r = hrv_time_domain(np.full(400, 800.0))
    >>> o = hrv_observation(r, datetime(2024, 1, 1, 8, tzinfo=timezone.utc))
    >>> len(o["component"])
    18
    """
    data = result.to_dict()
    comps: list[dict[str, Any]] = []
    for name, (_, unit) in _HRV_FIELDS.items():
        comp: dict[str, Any] = {"code": {"coding": [codes.get(f"hrv.{name}").coding()]}}
        value = data[name]
        if name == "artefact_indices":
            comp["valueString"] = ",".join(str(i) for i in value) if value else "none"
        elif name in _HRV_STR_FIELDS:
            comp["valueString"] = str(value)
        elif name in _HRV_INT_FIELDS:
            comp["valueInteger"] = int(value)
        else:
            comp["valueQuantity"] = _quantity(float(value), unit)
        comps.append(comp)
    return {
        "resourceType": "Observation",
        "id": _new_id(id),
        "status": "final",
        "category": _category("exam"),
        "code": {"coding": [codes.get("hrv.panel").coding()], "text": "HRV time domain"},
        **_subject(subject),
        "effectiveDateTime": _dt_out(effective, "HRV recording start", assume_tz),
        "component": comps,
    }


def parse_hrv_observation(
    resource: Mapping[str, Any], *, codes: CodeTable = DEFAULT_CODES
) -> HrvRecord:
    """Import an HRV Observation written by :func:`hrv_observation`.

    Example
    -------
    >>> try:
    ...     parse_hrv_observation({"resourceType": "Observation", "status": "final",
    ...         "code": {"coding": [{"system": "urn:hpatwin:codes", "code": "hrv-time-domain"}]},
    ...         "effectiveDateTime": "2024-01-01T08:00:00Z", "component": []})
    ... except FhirError as e:
    ...     print(str(e)[:47])
    Observation.component: missing HRV metrics mean
    """
    path = "Observation"
    res = _check_type(resource, path)
    _status(res, path, _OBS_STATUS)
    key = _code_key(res.get("code"), f"{path}.code", codes)
    if key != "hrv.panel":
        raise FhirError(f"{path}.code: {key!r} is not an HRV panel")
    comps = res.get("component")
    if not isinstance(comps, list):
        raise FhirError(f"{path}.component: missing or not a list")
    metrics: dict[str, float | int | str | list[int]] = {}
    for i, comp in enumerate(comps):
        cpath = f"{path}.component[{i}]"
        if not isinstance(comp, Mapping):
            raise FhirError(f"{cpath}: not an object")
        ckey = _code_key(comp.get("code"), f"{cpath}.code", codes)
        if not ckey.startswith("hrv.") or ckey == "hrv.panel":
            raise FhirError(f"{cpath}.code: {ckey!r} is not an HRV metric")
        name = ckey[4:]
        if name == "artefact_indices":
            text = comp.get("valueString")
            if not isinstance(text, str):
                raise FhirError(f"{cpath}.valueString: missing")
            try:
                metrics[name] = [] if text == "none" else [int(t) for t in text.split(",")]
            except ValueError:
                raise FhirError(f"{cpath}.valueString: {text!r} is not a list of indices") from None
        elif name in _HRV_STR_FIELDS:
            text = comp.get("valueString")
            if not isinstance(text, str):
                raise FhirError(f"{cpath}.valueString: missing")
            metrics[name] = text
        elif name in _HRV_INT_FIELDS:
            v = comp.get("valueInteger")
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise FhirError(f"{cpath}.valueInteger: {v!r} is not a count")
            metrics[name] = v
        else:
            value, unit = _quantity_in(comp.get("valueQuantity"), f"{cpath}.valueQuantity")
            expected = _HRV_FIELDS[name][1]
            if unit != expected:
                raise FhirError(f"{cpath}.valueQuantity.code: {unit!r}, expected {expected!r}")
            metrics[name] = value
    absent = [n for n in _HRV_FIELDS if n not in metrics]
    if absent:
        raise FhirError(f"{path}.component: missing HRV metrics {', '.join(absent)}")
    return HrvRecord(
        metrics=metrics,
        effective=_dt_in(res.get("effectiveDateTime"), f"{path}.effectiveDateTime"),
        subject=_subject_in(res, path),
        id=res.get("id") if isinstance(res.get("id"), str) else None,
    )


# --------------------------------------------------------------------------------------
# Vital signs around a session
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VitalsRecord:
    """An imported heart-rate or blood-pressure Observation.

    Example
    -------
    >>> VitalsRecord(None, 70.0, None, None, None, None).heart_rate_bpm
    70.0
    """

    effective: datetime | None
    heart_rate_bpm: float | None
    systolic_mmhg: float | None
    diastolic_mmhg: float | None
    subject: str | None
    id: str | None


def vital_signs_observations(
    reading: VitalSigns,
    effective: datetime,
    *,
    subject: str | None = None,
    codes: CodeTable = DEFAULT_CODES,
    assume_tz: tzinfo | None = None,
) -> list[dict[str, Any]]:
    """FHIR vital-signs Observations (heart rate; blood-pressure panel) for one reading.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> obs = vital_signs_observations(VitalSigns("after", 5, 64, 118, 76),
    ...                                datetime(2024, 1, 1, 10, 5, tzinfo=timezone.utc))
    >>> [o["code"]["coding"][0]["code"] for o in obs]
    ['8867-4', '85354-9']
    """
    when = _dt_out(effective, "vital signs time", assume_tz)
    out: list[dict[str, Any]] = []
    base = {
        "resourceType": "Observation",
        "status": "final",
        "category": _category("vital-signs"),
        **_subject(subject),
        "effectiveDateTime": when,
    }
    if reading.heart_rate_bpm is not None:
        out.append(
            {
                **base,
                "id": _new_id(None),
                "code": {"coding": [codes.get("vitals.heart_rate").coding()]},
                "valueQuantity": _quantity(reading.heart_rate_bpm, "/min"),
            }
        )
    if reading.systolic_mmhg is not None and reading.diastolic_mmhg is not None:
        out.append(
            {
                **base,
                "id": _new_id(None),
                "code": {"coding": [codes.get("vitals.bp_panel").coding()]},
                "component": [
                    {
                        "code": {"coding": [codes.get("vitals.systolic").coding()]},
                        "valueQuantity": _quantity(reading.systolic_mmhg, "mm[Hg]"),
                    },
                    {
                        "code": {"coding": [codes.get("vitals.diastolic").coding()]},
                        "valueQuantity": _quantity(reading.diastolic_mmhg, "mm[Hg]"),
                    },
                ],
            }
        )
    return out


def parse_vital_signs_observation(
    resource: Mapping[str, Any], *, codes: CodeTable = DEFAULT_CODES
) -> VitalsRecord:
    """Import a heart-rate or blood-pressure Observation.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> obs = vital_signs_observations(VitalSigns("before", 0, None, 130, 85),
    ...                                datetime(2024, 1, 1, 9, tzinfo=timezone.utc))
    >>> r = parse_vital_signs_observation(obs[0])
    >>> r.systolic_mmhg, r.diastolic_mmhg
    (130.0, 85.0)
    """
    path = "Observation"
    res = _check_type(resource, path)
    _status(res, path, _OBS_STATUS)
    key = _code_key(res.get("code"), f"{path}.code", codes)
    when = _dt_in(res.get("effectiveDateTime"), f"{path}.effectiveDateTime")
    hr = sbp = dbp = None
    if key == "vitals.heart_rate":
        hr, unit = _quantity_in(res.get("valueQuantity"), f"{path}.valueQuantity")
        if unit != "/min":
            raise FhirError(f"{path}.valueQuantity.code: {unit!r}, expected '/min'")
    elif key == "vitals.bp_panel":
        comps = res.get("component")
        if not isinstance(comps, list):
            raise FhirError(f"{path}.component: missing")
        for i, comp in enumerate(comps):
            cpath = f"{path}.component[{i}]"
            if not isinstance(comp, Mapping):
                raise FhirError(f"{cpath}: not an object")
            ckey = _code_key(comp.get("code"), f"{cpath}.code", codes)
            value, unit = _quantity_in(comp.get("valueQuantity"), f"{cpath}.valueQuantity")
            if unit != "mm[Hg]":
                raise FhirError(f"{cpath}.valueQuantity.code: {unit!r}, expected 'mm[Hg]'")
            if ckey == "vitals.systolic":
                sbp = value
            elif ckey == "vitals.diastolic":
                dbp = value
            else:
                raise FhirError(f"{cpath}.code: {ckey!r} is not a blood-pressure component")
        if sbp is None or dbp is None:
            raise FhirError(f"{path}.component: systolic and diastolic are both required")
    else:
        raise FhirError(f"{path}.code: {key!r} is not a vital sign")
    measured: tuple[tuple[str, float | None], ...] = (
        ("heart_rate_bpm", hr),
        ("systolic_mmhg", sbp),
        ("diastolic_mmhg", dbp),
    )
    for name, reading in measured:
        low, high = PLAUSIBLE_RANGES[name]
        if reading is not None and not low <= reading <= high:
            raise FhirError(
                f"{path}: {name} {reading:g} is outside the plausible range {low:g}-{high:g}"
            )
    return VitalsRecord(
        effective=when,
        heart_rate_bpm=hr,
        systolic_mmhg=sbp,
        diastolic_mmhg=dbp,
        subject=_subject_in(res, path),
        id=res.get("id") if isinstance(res.get("id"), str) else None,
    )


# --------------------------------------------------------------------------------------
# Dispatch, bundles and files
# --------------------------------------------------------------------------------------
Parsed = QuestionnaireRecord | ScoreObservation | CortisolSample | HrvRecord | VitalsRecord


def parse_resource(
    resource: Mapping[str, Any],
    *,
    codes: CodeTable = DEFAULT_CODES,
    missing: MissingRule | None = None,
) -> Parsed:
    """Import any supported resource, dispatching on type and code.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> s = CortisolSample(datetime(2024, 5, 2, 8, tzinfo=timezone.utc), 10.0)
    >>> type(parse_resource(cortisol_observation(s))).__name__
    'CortisolSample'
    """
    if not isinstance(resource, Mapping):
        raise FhirError("resource: not a JSON object")
    rt = resource.get("resourceType")
    if rt == "QuestionnaireResponse":
        return parse_questionnaire_response(resource, codes=codes, missing=missing)
    if rt != "Observation":
        raise FhirError(
            f"{rt}: unsupported resourceType; expected QuestionnaireResponse or Observation"
        )
    key = _code_key(resource.get("code"), "Observation.code", codes)
    if key == "cortisol.saliva":
        return parse_cortisol_observation(resource, codes=codes)
    if key == "hrv.panel":
        return parse_hrv_observation(resource, codes=codes)
    if key.startswith("vitals."):
        return parse_vital_signs_observation(resource, codes=codes)
    return parse_score_observation(resource, codes=codes)


def bundle(resources: Sequence[Mapping[str, Any]], *, id: str | None = None) -> dict[str, Any]:
    """A FHIR ``collection`` Bundle of resources.

    Example
    -------
    >>> bundle([], id="b1")
    {'resourceType': 'Bundle', 'id': 'b1', 'type': 'collection', 'entry': []}
    """
    entries = []
    for r in resources:
        rid = r.get("id")
        entry: dict[str, Any] = {"resource": dict(r)}
        if isinstance(rid, str):
            entry["fullUrl"] = f"urn:uuid:{rid}" if _is_uuid(rid) else f"{r['resourceType']}/{rid}"
        entries.append(entry)
    return {"resourceType": "Bundle", "id": _new_id(id), "type": "collection", "entry": entries}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def parse_bundle(
    data: Mapping[str, Any],
    *,
    codes: CodeTable = DEFAULT_CODES,
    missing: MissingRule | None = None,
) -> list[Parsed]:
    """Import every entry of a Bundle (errors name the entry index).

    Example
    -------
    >>> parse_bundle(bundle([]))
    []
    """
    res = _check_type(data, "Bundle")
    entries = res.get("entry", [])
    if not isinstance(entries, list):
        raise FhirError("Bundle.entry: not a list")
    out: list[Parsed] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("resource"), Mapping):
            raise FhirError(f"Bundle.entry[{i}].resource: missing")
        try:
            out.append(parse_resource(entry["resource"], codes=codes, missing=missing))
        except FhirError as exc:
            raise FhirError(f"Bundle.entry[{i}]: {exc}") from exc
    return out


def write_bundle(
    path: str | os.PathLike[str],
    resources: Sequence[Mapping[str, Any]],
    *,
    overwrite: bool = False,
) -> None:
    """Write resources as a JSON Bundle, atomically.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.json"
    >>> write_bundle(p, []); read_bundle(p)
    []
    """
    atomic_write_text(
        path, json.dumps(bundle(resources), indent=2, ensure_ascii=False), overwrite=overwrite
    )


def read_bundle(
    path: str | os.PathLike[str],
    *,
    codes: CodeTable = DEFAULT_CODES,
    missing: MissingRule | None = None,
) -> list[Parsed]:
    """Read and import a JSON Bundle (or a single resource) from ``path``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bad.json"
    >>> _ = p.write_text("{not json")
    >>> try:
    ...     read_bundle(p)
    ... except FhirError as e:
    ...     print(str(e).split(': ', 1)[1][:14])
    not valid JSON
    """
    p = Path(path)
    try:
        data = read_document(p)
    except DocumentError as exc:
        raise FhirError(f"{p.name}: {exc.detail}") from None
    if isinstance(data, Mapping) and data.get("resourceType") == "Bundle":
        return parse_bundle(data, codes=codes, missing=missing)
    return [parse_resource(data, codes=codes, missing=missing)]
