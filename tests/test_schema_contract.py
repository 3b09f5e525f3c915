"""The served OpenAPI schema says what the API does (schemathesis checks the rest in CI): each rule it states
is asserted here, so a change that drops one fails. tests/config/test_contract_patterns.py checks that
its patterns agree with the serializers and validators."""

from __future__ import annotations

import fnmatch
import importlib.util
import uuid
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings

from accounts.services import timezone_names
from accounts.validators import password_schema
from availability.services.schedule import MAX_RULES
from config.api.contract import NOT_BLANK
from notifications.kinds import email_kinds, push_kinds
from ratings.models import CRITERIA_BY_RATER_ROLE
from sessions_app.models import Session, SessionLog

SESSION_MESSAGES = "/api/v1/sessions/{session_id}/messages"


@pytest.fixture
def schema(schema_document):
    return schema_document


def component(schema: dict, ref_or_name: str) -> dict:
    return schema["components"]["schemas"][ref_or_name.rsplit("/", 1)[-1]]


def body(schema: dict, path: str, method: str, media_type: str = "application/json") -> dict:
    return component(schema, schema["paths"][path][method]["requestBody"]["content"][media_type]["schema"]["$ref"])


def parameters(schema: dict, path: str, method: str = "get") -> dict:
    return {p["name"]: p for p in schema["paths"][path][method].get("parameters", [])}


def valid(schema: dict, path: str, method: str, value, media_type: str = "application/json") -> bool:
    """Is ``value`` a valid body of the operation, by the document's own schema (refs resolved in it)?"""
    ref = schema["paths"][path][method]["requestBody"]["content"][media_type]["schema"]["$ref"]
    return jsonschema.Draft202012Validator({"$ref": ref, "components": schema["components"]}).is_valid(value)


@pytest.mark.parametrize(
    ("name", "field"), [("Session", "appointment_id"), ("PostponeRequest", "proposed_appointment_id")]
)
def test_an_appointment_id_may_be_null(schema, name, field):
    # null once the freed slot is deleted. OpenAPI 3.1 (the document carries the event webhooks) says it
    # with a type list.
    assert component(schema, name)["properties"][field]["type"] == ["string", "null"]


def test_paging_parameters_have_their_bounds(schema):
    for path, operations in schema["paths"].items():
        for name, parameter in parameters(schema, path).items() if "get" in operations else ():
            if name in ("page", "page_size"):
                assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}, path
    assert "404" in schema["paths"]["/api/v1/sessions"]["get"]["responses"]  # a page past the end
    cursor = parameters(schema, SESSION_MESSAGES)["cursor"]
    assert cursor["schema"] == {"type": "string"}  # any text: only the API's own are valid, empty is page one
    assert "400" in cursor["description"]


def test_only_the_chat_advertises_form_bodies(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            types = set(operation["requestBody"]["content"])
            if path == SESSION_MESSAGES:
                assert types == {"application/json", "multipart/form-data"}
            else:
                assert types == {"application/json"}, (method, path, types)


def test_every_operation_documents_dependency_unavailable(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert "503" in operation["responses"], (method, path)


def test_every_operation_on_an_object_documents_its_404(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "{" in path:
                assert "404" in operation["responses"], (method, path)
    assert "404" in schema["paths"]["/api/v1/sessions/current"]["get"]["responses"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/sessions/{session_id}/recordings"),
        ("post", "/api/v1/sessions/{session_id}/recordings"),
        ("post", "/api/v1/sessions/{session_id}/recordings/stop"),
        ("post", "/api/v1/webhooks/agora"),
    ],
)
def test_recording_operations_document_recording_unavailable(schema, method, path):
    assert "`recording_unavailable`" in schema["paths"][path][method]["responses"]["503"]["description"]


def test_a_chat_message_is_a_text_a_file_or_both(schema):
    as_json = body(schema, SESSION_MESSAGES, "post")
    assert as_json["required"] == ["text"] and "file" not in as_json["properties"]  # JSON carries no file
    assert as_json["properties"]["text"]["pattern"] == NOT_BLANK
    form = body(schema, SESSION_MESSAGES, "post", "multipart/form-data")
    assert form["anyOf"] == [
        {"required": ["text"], "properties": {"text": {"pattern": NOT_BLANK}}},
        {"required": ["file"]},
    ]
    assert form["properties"]["file"]["format"] == "binary"
    for value, expected in [({"text": "hi"}, True), ({"text": " \n "}, False), ({}, False)]:
        assert valid(schema, SESSION_MESSAGES, "post", value) is expected, value
    for value, expected in [({"file": "x"}, True), ({"text": " ", "file": "x"}, True), ({"text": " "}, False)]:
        assert valid(schema, SESSION_MESSAGES, "post", value, "multipart/form-data") is expected, value


def test_a_booking_takes_appointment_id_when_scheduled_and_coach_id_when_instant(schema):
    book = body(schema, "/api/v1/sessions", "post")
    scheduled, instant = book["oneOf"]
    assert scheduled["properties"]["type"] == {"const": "SCHEDULED"}
    assert scheduled["required"] == ["type", "appointment_id"]
    assert component(schema, instant["properties"]["type"]["$ref"])["enum"] == ["INSTANT", "DIRECT"]
    assert instant["required"] == ["type", "coach_id", "duration_minutes"]
    longest = max(settings.APPOINTMENT_DURATIONS)
    assert instant["properties"]["duration_minutes"] == {"maximum": longest}
    some_id = str(uuid.uuid4())
    for value, expected in [
        ({"type": "SCHEDULED", "appointment_id": some_id}, True),
        ({"type": "SCHEDULED", "coach_id": some_id}, False),
        ({"type": "DIRECT", "coach_id": some_id, "duration_minutes": longest}, True),
        ({"type": "INSTANT", "coach_id": some_id}, False),
        ({"type": "INSTANT", "coach_id": some_id, "duration_minutes": longest + 1}, False),
    ]:
        assert valid(schema, "/api/v1/sessions", "post", value) is expected, value


def test_a_session_update_sends_topic_or_appointment_id(schema):
    path = "/api/v1/sessions/{session_id}"
    assert schema["paths"][path]["patch"]["requestBody"]["required"] is True  # no body is refused too
    assert body(schema, path, "patch")["anyOf"] == [{"required": ["topic"]}, {"required": ["appointment_id"]}]
    assert not valid(schema, path, "patch", {}) and valid(schema, path, "patch", {"topic": ""})


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/auth/register", "password"),
        ("/api/v1/auth/password-reset/confirm", "password"),
        ("/api/v1/auth/password", "new_password"),
    ],
)
def test_every_new_password_states_the_policy(schema, path, field):
    password = body(schema, path, "post")["properties"][field]
    assert password["minLength"] == 8 and password["maxLength"] == 128
    assert password["pattern"] == password_schema()["pattern"]
    for rule in ("8 characters", "whitespace", "one character repeated", "digits", "common", "similar"):
        assert rule in password["description"], rule


def test_session_log_actions_are_the_spec_s_upper_case_enums(schema):
    action = body(schema, "/api/v1/sessions/{session_id}/logs", "post")["properties"]["action"]
    client_actions = component(schema, action["allOf"][0]["$ref"])["enum"]
    assert client_actions == list(SessionLog.CLIENT_ACTIONS) and "MIC_OFF" in client_actions
    logged = component(schema, component(schema, "SessionLog")["properties"]["action"]["allOf"][0]["$ref"])
    assert logged["enum"] == list(SessionLog.Action.values)
    assert all(value.isupper() for value in logged["enum"])


def test_the_session_list_filters_on_an_array_of_statuses(schema):
    status = parameters(schema, "/api/v1/sessions")["status"]["schema"]
    assert status == {"type": "array", "items": {"type": "string", "enum": list(Session.Status.values)}}


def test_an_empty_filter_is_no_filter(schema):
    for path, name in [
        ("/api/v1/sessions", "status"),
        ("/api/v1/sessions", "from"),
        ("/api/v1/coaches", "availability"),
        ("/api/v1/coaches", "min_rating"),
        (SESSION_MESSAGES, "cursor"),
    ]:
        assert parameters(schema, path)[name]["allowEmptyValue"] is True, (path, name)
    assert "allowEmptyValue" not in parameters(schema, "/api/v1/sessions")["page"]  # page= is a 400


def test_a_booking_s_idempotency_key_has_its_bounds(schema):
    key = parameters(schema, "/api/v1/sessions", "post")["Idempotency-Key"]["schema"]
    assert (key["minLength"], key["maxLength"], key["pattern"]) == (1, 255, NOT_BLANK)


def test_delete_me_takes_the_password(schema):
    request_body = schema["paths"]["/api/v1/me"]["delete"]["requestBody"]
    assert request_body["required"] is True
    assert body(schema, "/api/v1/me", "delete")["required"] == ["password"]


def test_notification_preferences_name_the_kinds(schema):
    properties = body(schema, "/api/v1/me/notification-preferences", "put")["properties"]
    assert list(properties["email"]["properties"]) == email_kinds()
    assert properties["email"]["properties"]["account_email"]["const"] is True
    assert list(properties["push"]["properties"]) == push_kinds()
    assert properties["email"]["additionalProperties"] is False and properties["push"]["additionalProperties"] is False


def test_rating_scores_are_the_criteria_of_one_role(schema):
    scores = body(schema, "/api/v1/sessions/{session_id}/rating", "post")["properties"]["scores"]
    assert [branch["required"] for branch in scores["oneOf"]] == [list(c) for c in CRITERIA_BY_RATER_ROLE.values()]
    assert all(branch["additionalProperties"] is False for branch in scores["oneOf"])


def test_a_report_update_holds_one_participant_s_part(schema):
    path = "/api/v1/sessions/{session_id}/report"
    assert valid(schema, path, "put", {"notes": "n"}) and valid(schema, path, "put", {"summary": "s"})
    assert not valid(schema, path, "put", {"notes": "n", "recommendations": ["r"]})


def test_schedules_and_slots_state_their_values(schema):
    schedule = body(schema, "/api/v1/coach/schedule", "put")
    assert component(schema, schedule["properties"]["timezone"]["allOf"][0]["$ref"])["enum"] == timezone_names()
    assert schedule["properties"]["rules"]["maxItems"] == MAX_RULES
    rule = component(schema, schedule["properties"]["rules"]["items"]["$ref"])
    assert rule["properties"]["start"]["pattern"] == r"^([01]\d|2[0-3]):[0-5]\d$"  # no 24:00 start
    durations = component(schema, rule["properties"]["duration_minutes"]["$ref"])["enum"]
    assert durations == list(settings.APPOINTMENT_DURATIONS)
    slot = body(schema, "/api/v1/coach/appointments", "post")["properties"]["duration_minutes"]
    assert component(schema, slot["$ref"])["enum"] == list(settings.APPOINTMENT_DURATIONS)


def test_the_exceptions_of_the_schemathesis_check_name_real_operations_and_fields(schema):
    spec = importlib.util.spec_from_file_location("hooks", Path(settings.BASE_DIR) / "scripts/schemathesis_hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    for label, fields in hooks.BEYOND_THE_SCHEMA.items():
        method, path = label.split(" ")
        operation = schema["paths"][path][method.lower()]
        if "requestBody" in operation:
            names = set(body(schema, path, method.lower())["properties"])
        else:
            names = set(parameters(schema, path, method.lower()))
        for field in fields:
            assert any(fnmatch.fnmatchcase(name, field.split(".")[0]) for name in names), (label, field)
