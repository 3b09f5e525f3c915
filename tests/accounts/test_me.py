from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_me_shows_timezone_and_language_defaults(api, customer):
    body = api(customer).get("/api/v1/me").json()
    assert body["timezone"] == "UTC"
    assert body["language"] == "en"


def test_patch_me_changes_names_zone_and_language(api, customer):
    response = api(customer).patch(
        "/api/v1/me", {"first_name": "Lina", "timezone": "Asia/Riyadh", "language": "ar"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "Asia/Riyadh"
    customer.refresh_from_db()
    assert (customer.first_name, customer.timezone, customer.language) == ("Lina", "Asia/Riyadh", "ar")


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"timezone": "Mars/Olympus"}, "timezone"), ({"timezone": "utc+3"}, "timezone"), ({"language": "fr"}, "language")],
)
def test_patch_me_refuses_unknown_zone_or_language(api, customer, payload, field):
    response = api(customer).patch("/api/v1/me", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    customer.refresh_from_db()
    assert (customer.timezone, customer.language) == ("UTC", "en")


def test_patch_me_needs_a_login(anon_client):
    assert anon_client.patch("/api/v1/me", {"language": "ar"}, format="json").status_code == 401
