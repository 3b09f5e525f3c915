"""Cross-cutting API behaviour: error shape, trailing slashes, 404s, datetimes, pagination, docs, health."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Appointment
from tests.factories import SessionFactory
from tests.helpers.api import error_code

pytestmark = pytest.mark.django_db


def test_validation_errors_have_the_single_shape_with_fields(api, coach):
    res = api(coach).post("/api/v1/coach/appointments", {"duration_minutes": "abc"}, format="json")
    assert res.status_code == 400
    body = res.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "validation_error"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert set(body["error"]["fields"]) == {"start", "duration_minutes"}
    assert all(isinstance(msgs, list) and msgs for msgs in body["error"]["fields"].values())


def test_non_validation_errors_have_no_fields(api, customer):
    res = api(customer).get(f"/api/v1/sessions/{uuid.uuid4()}")
    assert res.status_code == 404
    assert res.json() == {"error": {"code": "not_found", "message": res.json()["error"]["message"]}}


def test_malformed_json_is_a_400_in_the_error_shape(api, customer):
    res = api(customer).generic("POST", "/api/v1/sessions", "{not json", content_type="application/json")
    assert res.status_code == 400
    assert error_code(res) == "validation_error"


def test_wrong_method_is_405_in_the_error_shape(api, customer):
    res = api(customer).delete("/api/v1/sessions")
    assert res.status_code == 405
    assert error_code(res) == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/v1/sessions", "/api/v1/sessions/", "/api/v1/me", "/api/v1/me/"])
def test_paths_answer_with_and_without_trailing_slash(api, customer, path):
    assert api(customer).get(path).status_code == 200


def test_post_with_a_trailing_slash_works_too(api, coach):
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    res = api(coach).post("/api/v1/coach/appointments/", {"start": start, "duration_minutes": 30}, format="json")
    assert res.status_code == 201, res.json()
    assert Appointment.objects.filter(coach=coach).count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sessions/not-a-uuid",
        "/api/v1/nothing-here",
        "/api/v1/coaches/12345",
        f"/api/v1/coaches/{uuid.uuid4()}",
        "/api",
        "/api/",
        "/api/v1",
        "/api/v2/sessions",
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_paths_and_ids_are_json_404s(api, customer, path, debug, settings):
    settings.DEBUG = debug  # Django's HTML debug page must not leak through under /api either
    res = api(customer).get(path)
    assert res.status_code == 404
    assert res["Content-Type"].startswith("application/json")
    assert error_code(res) == "not_found"


@pytest.mark.parametrize("value", ["2030-01-01T10:00:00", "2030-01-01 10:00", "tomorrow", "2030-13-01T10:00:00Z"])
def test_datetime_without_offset_or_malformed_is_a_400(api, coach, value):
    res = api(coach).post("/api/v1/coach/appointments", {"start": value, "duration_minutes": 60}, format="json")
    assert res.status_code == 400
    assert error_code(res) == "validation_error"
    assert "start" in res.json()["error"]["fields"]
    assert not Appointment.objects.exists()


def test_naive_datetime_in_a_filter_is_a_400(api, customer):
    res = api(customer).get("/api/v1/sessions", {"from": "2030-01-01T10:00:00"})
    assert res.status_code == 400
    assert "from" in res.json()["error"]["fields"]


def test_datetime_with_an_offset_is_stored_in_utc(api, coach):
    res = api(coach).post(
        "/api/v1/coach/appointments", {"start": "2031-03-04T12:00:00+02:00", "duration_minutes": 60}, format="json"
    )
    assert res.status_code == 201, res.json()
    assert res.json()["start"] == "2031-03-04T10:00:00Z"
    assert res.json()["end"] == "2031-03-04T11:00:00Z"
    assert Appointment.objects.get().start.isoformat() == "2031-03-04T10:00:00+00:00"


def test_lists_are_paginated_with_page_size_capped_at_100(api, customer):
    base = timezone.now() + timedelta(days=1)
    for i in range(3):
        SessionFactory(customer=customer, appointment__start=base + timedelta(hours=2 * i))
    client = api(customer)
    body = client.get("/api/v1/sessions", {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3 and len(body["results"]) == 2 and body["previous"] is None
    assert "page=2" in body["next"]
    second = client.get(body["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert {s["id"] for s in body["results"] + second["results"]} == {
        str(s) for s in customer.customer_sessions.values_list("id", flat=True)
    }
    assert client.get("/api/v1/sessions", {"page_size": 1000}).status_code == 200


def test_openapi_schema_and_docs_are_served(anon_client):
    res = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert res.status_code == 200
    content = res.content.decode()
    assert "openapi" in content
    for path in ("/api/v1/sessions", "/api/v1/sessions/{session_id}/start-call", "/api/v1/coaches", "/api/v1/health"):
        assert path in content
    assert anon_client.get("/api/docs/").status_code == 200


def test_health_reports_each_dependency(anon_client):
    res = anon_client.get("/api/v1/health")
    assert res.status_code == 200
    assert res.json() == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_methods_on_unknown_api_paths_get_a_json_404(method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF exemption for tests
    res = getattr(client, method)("/api/v1/coach/appointments/%C2%84/")
    assert res.status_code == 404
    assert res.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:00Z", "9999-12-31T23:59:00-05:00", "0001-01-01T00:00:00+05:00", "1969-12-31T00:00Z"]
)
def test_datetimes_near_the_calendar_limits_are_a_400_not_a_500(api, coach, value):
    res = api(coach).post("/api/v1/coach/appointments", {"start": value, "duration_minutes": 30}, format="json")
    assert res.status_code == 400
    assert res.json()["error"]["fields"]["start"]
    res = api(coach).get("/api/v1/sessions", {"from": value})
    assert res.status_code == 400


def test_deeply_nested_json_is_a_400(api, customer):
    body = '{"a":' * 5000 + "1" + "}" * 5000
    res = api(customer).post("/api/v1/sessions", body, content_type="application/json")
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "validation_error"


def test_an_oversized_json_body_is_a_413_in_the_error_shape(api, customer):
    body = '{"topic": "' + "x" * (3 * 1024 * 1024) + '"}'
    res = api(customer).post("/api/v1/sessions", body, content_type="application/json")
    assert res.status_code == 413
    assert res.json()["error"]["code"] == "file_too_large"


def test_a_body_sent_as_multipart_to_a_json_endpoint_is_a_415_in_the_error_shape(api, customer):
    # Only chat messages take form bodies; everywhere else the schema and the parser say JSON.
    res = api(customer).post("/api/v1/sessions", '{"type": "INSTANT"}', content_type="multipart/form-data; boundary=xx")
    assert res.status_code == 415
    assert res.json()["error"]["code"] == "unsupported_media_type"


def test_a_page_that_is_not_a_number_is_a_400_and_one_past_the_end_a_404(api, customer):
    res = api(customer).get("/api/v1/coaches", {"page": "abc"})
    assert res.status_code == 400 and res.json()["error"]["fields"]["page"]
    res = api(customer).get("/api/v1/coaches", {"page": "999"})
    assert res.status_code == 404 and res.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("param", ["page", "page_size"])
@pytest.mark.parametrize("value", ["abc", "0", "-1", "²", "1" * 5000, "1.5", ""])
def test_page_and_page_size_must_be_whole_numbers_from_1(api, customer, param, value):
    for path in ("/api/v1/coaches", "/api/v1/sessions"):
        res = api(customer).get(path, {param: value})
        assert res.status_code == 400, (path, res.content[:200])
        assert param in res.json()["error"]["fields"]


def test_a_chat_page_size_that_is_not_a_number_is_a_400(api, open_session, customer):
    res = api(customer).get(f"/api/v1/sessions/{open_session.id}/messages", {"page_size": "lots"})
    assert res.status_code == 400 and res.json()["error"]["fields"]["page_size"]


def test_stored_files_are_not_served_under_media_even_with_debug(settings):
    import importlib

    import config.urls

    settings.DEBUG = True
    try:
        patterns = importlib.reload(config.urls).urlpatterns  # built as a DEBUG process would build them
        assert not [p for p in patterns if str(p.pattern).lstrip("^").startswith("media")]
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
