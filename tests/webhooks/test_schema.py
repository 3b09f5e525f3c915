"""The OpenAPI document describes what receiving endpoints get: one webhook per SPEC 7 event type."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

SPEC_TYPES = [
    "session.booked",
    "session.rescheduled",
    "session.started",
    "session.end_requested",
    "session.end_declined",
    "session.completed",
    "session.cancelled",
    "recording.available",
    "recording.expired",
    "rating.published",
    "coach.verified",
]


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3_1_with_a_webhook_per_event_type(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["openapi"] == "3.1.0"
    validate(schema)
    assert sorted(schema["webhooks"]) == sorted(SPEC_TYPES)
    components = schema["components"]["schemas"]
    booked = schema["webhooks"]["session.booked"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    envelope = components[booked["$ref"].rsplit("/", 1)[1]]
    assert set(envelope["properties"]) == {"id", "type", "created_at", "data"}
    assert envelope["properties"]["type"]["enum"] == ["session.booked"]
    data = components["SessionEventData"]["properties"]
    assert set(data) == {"session", "actor", "previous"}
    assert set(components["RatingEventData"]["properties"]) == {"rating", "coach_id"}
    assert set(components["RecordingEventData"]["properties"]) == {"session_id", "recording"}
    assert "webhook-signature" in schema["webhooks"]["coach.verified"]["post"]["description"]
