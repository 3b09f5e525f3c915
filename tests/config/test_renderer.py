"""The orjson renderer writes exactly the bytes DRF's JSONRenderer wrote, for the API's answers too."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from config.api.renderers import OrjsonRenderer
from tests.factories import AppointmentFactory, SessionFactory

DOCUMENTS = [
    {"at": datetime(2026, 1, 31, 9, 0, tzinfo=UTC), "micro": datetime(2026, 1, 31, 9, 0, 0, 1234, tzinfo=UTC)},
    {"offset": datetime(2026, 1, 31, 9, 0, tzinfo=timezone(timedelta(hours=2))), "day": date(2026, 2, 1)},
    {"naive_time": time(9, 30), "price": Decimal("150.00"), "id": uuid.UUID(int=7), "lazy": gettext_lazy("Yes")},
    {"text": 'Grüße, مرحبا, \u2028 and \u2029, "quotes", \\ and \n\t', "empty": [], "none": None},
    {"nested": [{"a": [1, 2.5, True, False]}, (3, 4)], 5: "int key", "big": 2**70},
    [1, "two", {"three": 3}],
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_orjson_renderer_writes_the_bytes_of_drfs_renderer(document):
    assert OrjsonRenderer().render(document) == JSONRenderer().render(document)


def test_indent_asked_for_in_accept_is_honoured_like_drf():
    document = {"a": [1, 2]}
    accepted = "application/json; indent=4"
    assert OrjsonRenderer().render(document, accepted) == JSONRenderer().render(document, accepted)


def test_api_answers_render_identically(api, coach, customer):
    session = SessionFactory(appointment=AppointmentFactory(coach=coach), customer=customer, topic="Form ✓")
    paths = ["/api/v1/sessions", f"/api/v1/sessions/{session.id}", f"/api/v1/sessions/{session.id}/status"]
    paths += ["/api/v1/coaches", "/api/v1/me"]
    client = api(customer)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "application/json"
        assert response.content == JSONRenderer().render(response.data), path
    listed = client.get("/api/v1/sessions").json()["results"][0]
    assert listed["scheduled_start"].endswith("Z")


def test_error_answers_render_identically(db):
    response = APIClient().get("/api/v1/me")
    assert response.status_code == 401
    assert response.content == JSONRenderer().render(response.data)
