"""Property-based tests of the JSON API from its OpenAPI schema (schemathesis).

Every operation gets bounded random requests as a logged-in clinician (half of them on a
real patient of the clinic); no response may be a server error, and every response must
match the schema (status code, content type, body).
"""

from __future__ import annotations

from typing import get_args

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hpatwin.clinic.instruments import instrument_names
from hpatwin.records.validation import MODALITIES
from hpatwin.web.api import AssessmentIn, SessionIn
from tests.web.conftest import add_patient, login

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 30


def test_openapi_is_behind_login_and_lists_the_api(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    assert client.get("/api/openapi.json").status_code == 401
    login(client, "dr_a")
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/patients", "/api/patients/{pseudonym}/assessments",
            "/api/patients/{pseudonym}/sessions", "/api/patients/{pseudonym}/alerts",
            "/api/patients/{pseudonym}/alerts/{alert_id}/acknowledge"} <= set(paths)


def test_api_conforms_to_its_schema_and_never_errors(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    token = login(client, "dr_a")
    add_patient(client, token)
    headers = {
        "Cookie": f"hpatwin_session={client.cookies['hpatwin_session']}",
        "X-CSRF-Token": token,
    }
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy(), real_patient=st.booleans())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case, real_patient: bool) -> None:
            if real_patient and case.path_parameters and "pseudonym" in case.path_parameters:
                case.path_parameters["pseudonym"] = "p001"
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.append(response.status_code)

        run()
    assert len(statuses) >= 8 * 10
    assert {200, 404, 422} <= set(statuses)  # reads, refusals and bad input all exercised


def test_api_enums_match_the_instruments_and_modalities() -> None:
    assert get_args(AssessmentIn.model_fields["instrument"].annotation) == instrument_names()
    assert get_args(SessionIn.model_fields["modality"].annotation) == MODALITIES
