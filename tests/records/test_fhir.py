"""FHIR R4: lossless export/import for every instrument and biomarker; malformed input rejected."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpatwin.clinic.autonomic import VitalSigns
from hpatwin.clinic.cortisol import UNITS, CortisolSample
from hpatwin.clinic.hrv import HrvConfig, hrv_time_domain
from hpatwin.clinic.instruments import INSTRUMENTS, MissingRule, get_spec, score, score_phq9
from hpatwin.records.fhir import (
    DEFAULT_CODES,
    LOINC_SYSTEM,
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
    questionnaire_response,
    read_bundle,
    score_observation,
    vital_signs_observations,
    write_bundle,
)

WHEN = datetime(2024, 5, 2, 9, 30, 15, tzinfo=timezone(timedelta(hours=2)))


def sample_responses(name: str) -> list[int]:
    spec = get_spec(name)
    span = spec.item_max - spec.item_min + 1
    return [spec.item_min + (3 * i + 1) % span for i in range(spec.n_items)]


try:  # structural validation against the fhir.resources R4B models (dev extra)
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    HAVE_FHIR_RESOURCES = True
except ImportError:  # pragma: no cover - the round trips below still run
    HAVE_FHIR_RESOURCES = False


def validate_with_fhir_resources(resource: dict[str, Any]) -> None:
    """Validate with fhir.resources where installed; the round-trip checks run regardless."""
    if not HAVE_FHIR_RESOURCES:
        return
    model: Any = {
        "Observation": Observation,
        "QuestionnaireResponse": QuestionnaireResponse,
        "Bundle": Bundle,
    }[resource["resourceType"]]
    model.model_validate(resource)


@pytest.mark.skipif(not HAVE_FHIR_RESOURCES, reason="fhir-resources (dev extra) not installed")
def test_validator_rejects_an_invalid_resource() -> None:
    """The structural validator is live: it rejects what FHIR R4 forbids."""
    bad = score_observation(score("nrs", [3]), WHEN)
    for key, value in [("effectiveDateTime", "yesterday"), ("bogusElement", 1)]:
        with pytest.raises(ValueError):
            validate_with_fhir_resources({**bad, key: value})


# ---------------------------------------------------------------- instruments
@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_questionnaire_response_round_trip(name: str) -> None:
    result = score(name, sample_responses(name))
    qr = questionnaire_response(result, WHEN, subject="Patient/p1", id="qr-1")
    validate_with_fhir_resources(qr)
    back = parse_questionnaire_response(json.loads(json.dumps(qr)))
    assert back.result == result
    assert back.authored == WHEN and back.authored.utcoffset() == timedelta(hours=2)
    assert (back.subject, back.id, back.status) == ("Patient/p1", "qr-1", "completed")


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_score_observation_round_trip(name: str) -> None:
    result = score(name, sample_responses(name))
    obs = score_observation(
        result, WHEN, subject="Patient/p1", id="o-1", derived_from="QuestionnaireResponse/qr-1"
    )
    validate_with_fhir_resources(obs)
    back = parse_score_observation(json.loads(json.dumps(obs)))
    assert back.instrument == name
    assert back.total == result.total
    assert back.subscales == result.subscales
    assert back.severity == result.severity
    assert back.effective == WHEN
    assert back.derived_from == ("QuestionnaireResponse/qr-1",)


def test_phq9_codes_and_difficulty_round_trip() -> None:
    result = score_phq9([3, 2, 1, 0, 1, 2, 3, 0, 2], difficulty=3)
    qr = questionnaire_response(result, WHEN)
    back = parse_questionnaire_response(qr).result
    assert back.difficulty == 3 and back.total == result.total and back.urgent
    obs = score_observation(result, WHEN)
    assert obs["code"]["coding"][0] == {
        "system": LOINC_SYSTEM,
        "code": "44261-6",
        "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    }
    assert DEFAULT_CODES.get("phq9.item.9").code == "44260-8"
    assert DEFAULT_CODES.get("phq9.difficulty").code == "69722-7"
    assert DEFAULT_CODES.get("gad7.total").code == "70274-6"
    assert DEFAULT_CODES.get("nrs.total").code == "72514-3"


def test_unconfirmed_panel_codes_are_not_used() -> None:
    all_codes = {c.code for c in DEFAULT_CODES.codes.values()}
    assert "44249-1" not in all_codes and "69737-5" not in all_codes  # UNCONFIRMED panels
    assert "58643-8" not in all_codes  # timed saliva code, mass/moles variant UNCONFIRMED


def test_loinc_item_link_ids_accepted() -> None:
    result = score_phq9([1, 0, 2, 0, 1, 0, 0, 0, 0])
    qr = questionnaire_response(result, WHEN)
    for item, loinc in zip(
        qr["item"],
        [
            "44250-9",
            "44255-8",
            "44259-0",
            "44254-1",
            "44251-7",
            "44258-2",
            "44252-5",
            "44253-3",
            "/44260-8",
        ],
        strict=True,
    ):
        item["linkId"] = loinc
    assert parse_questionnaire_response(qr).result.items == result.items


def test_prorated_result_round_trips_with_the_same_rule() -> None:
    rule = MissingRule(1, "protocol 7.2")
    result = score("gad7", [1, 2, None, 1, 2, 1, 1], missing=rule)
    qr = questionnaire_response(result, WHEN)
    assert "answer" not in qr["item"][2]
    with pytest.raises(FhirError, match="gad7 item 3: missing"):
        parse_questionnaire_response(qr)
    back = parse_questionnaire_response(qr, missing=rule).result
    assert back.total == result.total and back.missing_items == (3,)


def test_configurable_code_table() -> None:
    table = DEFAULT_CODES.with_codes(
        {"isi.total": Code(LOINC_SYSTEM, "99999-9", "ISI total", "lab")}
    )
    result = score("isi", [2] * 7)
    obs = score_observation(result, WHEN, codes=table)
    assert obs["code"]["coding"][0]["code"] == "99999-9"
    assert parse_score_observation(obs, codes=table).total == 14
    with pytest.raises(FhirError, match="no known code"):
        parse_score_observation(obs)  # the default table does not know 99999-9
    with pytest.raises(FhirError, match="share the code"):
        CodeTable({"a": Code("s", "1", "A", "x"), "b": Code("s", "1", "B", "x")})


# ---------------------------------------------------------------- biomarkers
@pytest.mark.parametrize("unit", sorted(UNITS))
def test_cortisol_round_trip_every_unit(unit: str) -> None:
    s = CortisolSample(WHEN.replace(hour=23, minute=12), 3.456, unit, "late night")
    obs = cortisol_observation(s, subject="Patient/p1")
    validate_with_fhir_resources(obs)
    back = parse_cortisol_observation(json.loads(json.dumps(obs)))
    assert back == s
    assert back.collected_at.utcoffset() == timedelta(hours=2)


def test_naive_time_needs_a_time_zone() -> None:
    s = CortisolSample(datetime(2024, 5, 2, 8), 10.0)
    with pytest.raises(FhirError, match="has no time zone"):
        cortisol_observation(s)
    obs = cortisol_observation(s, assume_tz=UTC)
    assert parse_cortisol_observation(obs).collected_at == datetime(2024, 5, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize("correction", ["interpolate", "delete"])
def test_hrv_round_trip(correction: str) -> None:
    rr = np.random.default_rng(3).normal(820, 35, 420)
    rr[[10, 200]] = [1650.0, 390.0]
    result = hrv_time_domain(rr, HrvConfig(correction=correction))  # type: ignore[arg-type]
    obs = hrv_observation(result, WHEN, subject="Patient/p1")
    validate_with_fhir_resources(obs)
    back = parse_hrv_observation(json.loads(json.dumps(obs)))
    expected = result.to_dict()
    for key, value in back.metrics.items():
        assert value == expected[key], key
    assert back.metrics["artefact_indices"] == [10, 200]
    assert back.effective == WHEN


def test_vital_signs_round_trip() -> None:
    reading = VitalSigns("after", 15, 63.0, 117.0, 76.0)
    obs = vital_signs_observations(reading, WHEN)
    for o in obs:
        validate_with_fhir_resources(o)
    hr, bp = (parse_resource(json.loads(json.dumps(o))) for o in obs)
    assert isinstance(hr, VitalsRecord) and isinstance(bp, VitalsRecord)
    assert hr.heart_rate_bpm == 63.0 and (bp.systolic_mmhg, bp.diastolic_mmhg) == (117.0, 76.0)
    assert hr.effective == WHEN == bp.effective


def test_bundle_file_round_trip(tmp_path: Path) -> None:
    phq = score_phq9([2] * 9, difficulty=1)
    resources = [
        questionnaire_response(phq, WHEN, id="q1"),
        score_observation(phq, WHEN, derived_from="QuestionnaireResponse/q1"),
        cortisol_observation(CortisolSample(WHEN, 12.0)),
        hrv_observation(hrv_time_domain(np.full(400, 800.0)), WHEN),
        *vital_signs_observations(VitalSigns("before", 0, 70, 120, 80), WHEN),
    ]
    validate_with_fhir_resources(bundle(resources))
    path = tmp_path / "bundle.json"
    write_bundle(path, resources)
    with pytest.raises(FileExistsError):
        write_bundle(path, resources)
    parsed = read_bundle(path)
    assert [type(p) for p in parsed] == [
        QuestionnaireRecord,
        ScoreObservation,
        CortisolSample,
        HrvRecord,
        VitalsRecord,
        VitalsRecord,
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]  # no temp file left


# ---------------------------------------------------------------- malformed
def good_obs() -> dict[str, Any]:
    return score_observation(score("pcs", [1] * 13), WHEN)


def good_qr() -> dict[str, Any]:
    return questionnaire_response(score("gad7", [1] * 7), WHEN)


def mutate(resource: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(resource)
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["resourceType"], "Patient", "resourceType is 'Patient'"),
        (["status"], DELETE, r"Observation.status: missing"),
        (["status"], "done", r"Observation.status: 'done'"),
        (["code"], DELETE, r"Observation.code: missing or not a CodeableConcept"),
        (["code", "coding"], [], r"Observation.code.coding: missing or empty"),
        (["code", "coding", 0, "code"], "0000-0", "no known code"),
        (["valueQuantity"], DELETE, r"Observation.valueQuantity: missing"),
        (["valueQuantity", "value"], "12", r"valueQuantity.value: '12' is not a number"),
        (["valueQuantity", "value"], 53, "outside the pcs range 0-52"),
        (["effectiveDateTime"], "2024-05-02", "has no clock time"),
        (["effectiveDateTime"], "2024-05-02T09:30:00", "has no time zone"),
        (["effectiveDateTime"], "yesterday", "not a valid FHIR dateTime"),
        (["component", 0, "code", "coding", 0, "code"], "phq9-x", "no known code"),
        (
            ["component", 0, "code", "coding", 0, "code"],
            "bpi-interference",
            "does not belong to pcs",
        ),
        (["interpretation", 0, "text"], "catastrophic", "interpretation\\[0\\].text"),
        (["subject"], {"display": "x"}, "Observation.subject"),
    ],
)
def test_malformed_observation_rejected(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(FhirError, match=message):
        parse_score_observation(mutate(good_obs(), path, value))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["questionnaire"], "urn:other", "is not a known questionnaire"),
        (["authored"], DELETE, "authored: missing or not a dateTime"),
        (["item"], "x", r"item: not a list"),
        (["item", 0, "linkId"], "phq9_1", "is not an item of gad7"),
        (["item", 1, "linkId"], "gad7_1", "appears twice"),
        (["item", 0, "answer"], [{"valueString": "a"}], "expected valueInteger or valueDecimal"),
        (["item", 0, "answer"], [{"valueInteger": 1}, {"valueInteger": 2}], "exactly one answer"),
        (
            ["item", 0, "answer", 0, "valueInteger"],
            7,
            "gad7 item 1: 7 is outside the allowed range 0-3",
        ),
        (["item", 0, "answer", 0, "valueInteger"], True, "is not an integer"),
        (["item", 0, "answer", 0], {"valueDecimal": 1.5}, "gad7 item 1: 1.5 is not a whole number"),
        (["status"], "entered-in-error", "QuestionnaireResponse.status"),
    ],
)
def test_malformed_questionnaire_response_rejected(
    path: list[Any], value: Any, message: str
) -> None:
    with pytest.raises(FhirError, match=message):
        parse_questionnaire_response(mutate(good_qr(), path, value))


def test_missing_item_in_questionnaire_response_rejected() -> None:
    qr = good_qr()
    del qr["item"][4]
    with pytest.raises(FhirError, match="gad7 item 5: missing"):
        parse_questionnaire_response(qr)


def test_malformed_biomarkers_rejected() -> None:
    c = cortisol_observation(CortisolSample(WHEN, 12.0))
    with pytest.raises(FhirError, match=r"valueQuantity\.code: 'mg/dL'"):
        parse_cortisol_observation(mutate(c, ["valueQuantity", "code"], "mg/dL"))
    with pytest.raises(FhirError, match="is negative"):
        parse_cortisol_observation(mutate(c, ["valueQuantity", "value"], -1))
    h = hrv_observation(hrv_time_domain(np.full(400, 800.0)), WHEN)
    with pytest.raises(FhirError, match="missing HRV metrics rmssd_ms"):
        parse_hrv_observation(
            mutate(h, ["component"], [x for x in h["component"] if "rmssd" not in json.dumps(x)])
        )
    with pytest.raises(FhirError, match="expected 'ms'"):
        parse_hrv_observation(mutate(h, ["component", 0, "valueQuantity", "code"], "s"))
    v = vital_signs_observations(VitalSigns("before", 0, 70, 120, 80), WHEN)[1]
    with pytest.raises(FhirError, match="systolic and diastolic are both required"):
        parse_resource(mutate(v, ["component"], v["component"][:1]))


def test_bundle_errors_name_the_entry(tmp_path: Path) -> None:
    b = bundle([good_obs(), mutate(good_obs(), ["status"], DELETE)])
    with pytest.raises(FhirError, match=r"Bundle.entry\[1\]: Observation.status: missing"):
        parse_bundle(b)
    path = tmp_path / "x.json"
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(FhirError, match="not valid JSON"):
        read_bundle(path)
    with pytest.raises(FhirError, match="not a JSON object"):
        parse_resource([1, 2])  # type: ignore[arg-type]


# ---------------------------------------------------------------- issue #17 silent acceptances
def _hr(value: float, **quantity: object) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "effectiveDateTime": "2024-01-01T10:00:00+00:00",
        "valueQuantity": {"value": value, "code": "/min", **quantity},
    }


def test_heart_rate_500_is_refused() -> None:
    from hpatwin.records.fhir import FhirError, parse_vital_signs_observation

    with pytest.raises(FhirError, match="outside the plausible range"):
        parse_vital_signs_observation(_hr(500))
    assert parse_vital_signs_observation(_hr(70)).heart_rate_bpm == 70


def test_a_comparator_is_not_dropped() -> None:
    from hpatwin.records.fhir import FhirError, parse_vital_signs_observation

    with pytest.raises(FhirError, match="comparator"):
        parse_vital_signs_observation(_hr(40, comparator="<"))


def test_future_dates_are_refused() -> None:
    from hpatwin.records.fhir import FhirError, parse_vital_signs_observation

    obs = _hr(70)
    obs["effectiveDateTime"] = "2999-01-01T10:00:00+00:00"
    with pytest.raises(FhirError, match="in the future"):
        parse_vital_signs_observation(obs)


def test_in_progress_questionnaire_response_is_not_scored_as_final() -> None:
    from datetime import UTC, datetime

    from hpatwin.clinic.instruments import score
    from hpatwin.records.fhir import (
        FhirError,
        parse_questionnaire_response,
        questionnaire_response,
    )

    qr = questionnaire_response(score("gad7", [1] * 7), datetime(2024, 1, 1, 8, tzinfo=UTC))
    qr["status"] = "in-progress"
    with pytest.raises(FhirError, match="not complete"):
        parse_questionnaire_response(qr)
    assert parse_questionnaire_response(qr, allow_incomplete=True).status == "in-progress"


def test_bpi_subscale_999_and_contradicting_severity_are_refused() -> None:
    from datetime import UTC, datetime

    from hpatwin.clinic.instruments import score
    from hpatwin.records.fhir import FhirError, parse_score_observation, score_observation

    when = datetime(2024, 1, 1, 8, tzinfo=UTC)
    bpi = score_observation(score("bpi", [8, 2, 5, 5, 6, 7, 4, 6, 3, 8, 6]), when)
    bpi["component"][1]["valueQuantity"]["value"] = 999
    with pytest.raises(FhirError, match="outside the bpi interference range 0-10"):
        parse_score_observation(bpi)
    phq = score_observation(score("phq9", [3] * 9), when)  # 27: severe
    phq["interpretation"] = [{"text": "minimal"}]
    with pytest.raises(FhirError, match="contradicts the total 27"):
        parse_score_observation(phq)
