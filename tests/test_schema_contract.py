"""The served OpenAPI schema says what the API does (schemathesis checks the rest in CI)."""

from __future__ import annotations

import pytest


@pytest.fixture
def schema(db, anon_client):
    res = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert res.status_code == 200
    return res.json()


def test_a_sessions_appointment_id_may_be_null(schema):
    field = schema["components"]["schemas"]["Session"]["properties"]["appointment_id"]
    # OpenAPI 3.1 (the document carries the event webhooks) says it with a type list, 3.0 with ``nullable``.
    assert field.get("nullable") is True or "null" in field.get("type", [])


def test_paging_parameters_have_their_bounds(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/sessions"]["get"]["parameters"]}
    assert parameters["page"]["schema"]["minimum"] == 1
    assert parameters["page_size"]["schema"]["minimum"] == 1
    assert "404" in schema["paths"]["/api/v1/sessions"]["get"]["responses"]  # a page past the end
    messages = {p["name"]: p for p in schema["paths"]["/api/v1/sessions/{session_id}/messages"]["get"]["parameters"]}
    assert messages["cursor"]["schema"]["minLength"] == 1


def test_only_the_chat_advertises_form_bodies(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            types = set(operation["requestBody"]["content"])
            if path == "/api/v1/sessions/{session_id}/messages":
                assert "multipart/form-data" in types
            else:
                assert types == {"application/json"}, (method, path, types)


def test_every_operation_documents_dependency_unavailable(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert "503" in operation["responses"], (method, path)


def test_the_404s_of_coach_slots_and_recording_files_are_documented(schema):
    assert "404" in schema["paths"]["/api/v1/coaches/{coach_id}/appointments"]["get"]["responses"]
    assert "404" in schema["paths"]["/api/v1/recordings/files/{token}"]["get"]["responses"]
