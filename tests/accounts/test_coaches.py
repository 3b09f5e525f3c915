"""Coach profile and availability; the public coach list with its filters, and the detail."""

from __future__ import annotations

import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import CoachProfile
from tests.factories import CoachFactory

pytestmark = pytest.mark.django_db


def _code(res) -> str:
    return res.json()["error"]["code"]


def _ids(res) -> list[str]:
    assert res.status_code == 200, res.json()
    return [c["id"] for c in res.json()["results"]]


def test_coach_updates_the_profile(api, coach):
    payload = {
        "bio": "Ten years of marathons.",
        "hourly_rate": "80.50",
        "currency": "usd",
        "categories": ["Running", " running ", "Nutrition"],
        "languages": ["EN", "de"],
    }
    res = api(coach).patch("/api/v1/coach/profile", payload, format="json")
    assert res.status_code == 200, res.json()
    body = res.json()
    assert (body["hourly_rate"], body["currency"]) == ("80.50", "USD")
    assert body["categories"] == ["running", "nutrition"]
    profile = CoachProfile.objects.get(pk=coach.pk)
    assert profile.bio == "Ten years of marathons."
    assert profile.hourly_rate == Decimal("80.50")
    assert profile.currency == "USD"
    assert profile.categories == ["running", "nutrition"]
    assert profile.languages == ["en", "de"]


def test_partial_profile_update_keeps_the_rest(api, coach):
    api(coach).patch("/api/v1/coach/profile", {"bio": "Only this"}, format="json")
    profile = CoachProfile.objects.get(pk=coach.pk)
    assert (profile.bio, profile.hourly_rate, profile.categories) == ("Only this", Decimal("60.00"), ["fitness"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"hourly_rate": "-1"}, "hourly_rate"),
        ({"hourly_rate": "abc"}, "hourly_rate"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "1$"}, "currency"),
        ({"currency": "ZZZ"}, "currency"),
        ({"categories": "yoga"}, "categories"),
    ],
)
def test_invalid_profile_updates_are_refused(api, coach, payload, field):
    res = api(coach).patch("/api/v1/coach/profile", payload, format="json")
    assert res.status_code == 400
    assert field in res.json()["error"]["fields"]
    profile = CoachProfile.objects.get(pk=coach.pk)
    assert (profile.hourly_rate, profile.currency) == (Decimal("60.00"), "EUR")


@pytest.mark.parametrize("status", ["ONLINE", "OFFLINE"])
def test_verified_coach_sets_availability(api, status):
    coach = CoachFactory(coach_profile__availability="OFFLINE" if status == "ONLINE" else "ONLINE")
    res = api(coach).put("/api/v1/coach/availability", {"status": status}, format="json")
    assert res.status_code == 200
    assert res.json()["availability"] == status
    assert CoachProfile.objects.get(pk=coach.pk).availability == status


def test_unknown_availability_is_refused(api, coach):
    res = api(coach).put("/api/v1/coach/availability", {"status": "BUSY"}, format="json")
    assert res.status_code == 400
    assert CoachProfile.objects.get(pk=coach.pk).availability == "ONLINE"


def test_coach_list_shows_verified_coaches_with_the_contract_fields(api, customer):
    coach = CoachFactory(first_name="Ann")
    CoachFactory(coach_profile__is_verified=False)
    CoachFactory(is_active=False)
    res = api(customer).get("/api/v1/coaches")
    assert _ids(res) == [str(coach.id)]
    item = res.json()["results"][0]
    assert set(item) >= {
        "id",
        "first_name",
        "last_name",
        "bio",
        "hourly_rate",
        "currency",
        "categories",
        "languages",
        "availability",
        "is_verified",
        "rating",
    }
    assert item["rating"] == {"average": None, "count": 0, "criteria": {}}
    assert item["is_verified"] is True


def test_coach_list_filters(api, customer):
    yoga = CoachFactory(coach_profile__categories=["yoga", "pilates"], coach_profile__languages=["en", "fr"])
    run = CoachFactory(
        coach_profile__categories=["running"],
        coach_profile__languages=["de"],
        coach_profile__availability="OFFLINE",
        coach_profile__rating_average=Decimal("4.50"),
        coach_profile__rating_count=2,
    )
    low = CoachFactory(coach_profile__categories=["yogalates"], coach_profile__rating_average=Decimal("3.00"))
    client = api(customer)
    assert _ids(client.get("/api/v1/coaches", {"category": "yoga"})) == [str(yoga.id)]
    assert _ids(client.get("/api/v1/coaches", {"category": "Pilates"})) == [str(yoga.id)]
    assert _ids(client.get("/api/v1/coaches", {"language": "de"})) == [str(run.id)]
    assert set(_ids(client.get("/api/v1/coaches", {"availability": "ONLINE"}))) == {str(yoga.id), str(low.id)}
    assert _ids(client.get("/api/v1/coaches", {"availability": "OFFLINE"})) == [str(run.id)]
    assert _ids(client.get("/api/v1/coaches", {"min_rating": "4"})) == [str(run.id)]
    assert set(_ids(client.get("/api/v1/coaches", {"min_rating": "3"}))) == {str(run.id), str(low.id)}
    assert _ids(client.get("/api/v1/coaches", {"category": "yoga", "language": "de"})) == []


@pytest.mark.parametrize("params", [{"min_rating": "abc"}, {"min_rating": "6"}, {"availability": "BUSY"}])
def test_invalid_coach_filters_are_400(api, customer, params):
    res = api(customer).get("/api/v1/coaches", params)
    assert res.status_code == 400
    assert _code(res) == "validation_error"


def test_coach_detail(api, customer, coach):
    res = api(customer).get(f"/api/v1/coaches/{coach.id}")
    assert res.status_code == 200
    body = res.json()
    assert (body["id"], body["hourly_rate"], body["currency"]) == (str(coach.id), "60.00", "EUR")
    assert set(body["rating"]) == {"average", "count", "criteria"}


@pytest.mark.parametrize("kind", ["unverified", "customer", "unknown"])
def test_coach_detail_is_404_for_anything_but_a_verified_coach(api, customer, kind):
    target = {
        "unverified": lambda: CoachFactory(coach_profile__is_verified=False).id,
        "customer": lambda: customer.id,
        "unknown": uuid.uuid4,
    }[kind]()
    res = api(customer).get(f"/api/v1/coaches/{target}")
    assert res.status_code == 404
    assert _code(res) == "not_found"


def test_verify_coach_command_makes_the_coach_visible(api, customer):
    coach = CoachFactory(coach_profile__is_verified=False, coach_profile__verified_at=None)
    out = StringIO()
    call_command("verify_coach", coach.email.upper(), stdout=out)
    assert "verified" in out.getvalue()
    profile = CoachProfile.objects.get(pk=coach.pk)
    assert profile.is_verified and profile.verified_at is not None
    assert api(customer).get(f"/api/v1/coaches/{coach.id}").status_code == 200
    call_command("verify_coach", coach.email, stdout=out)
    assert "already verified" in out.getvalue()


@pytest.mark.parametrize("email", ["nobody@example.com", "customer"])
def test_verify_coach_command_refuses_non_coaches(customer, email):
    with pytest.raises(CommandError):
        call_command("verify_coach", customer.email if email == "customer" else email)
