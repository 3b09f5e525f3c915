"""Coaches made or edited by staff in the admin obey the same rules as the API, and never break it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import CoachProfile, User
from tests.factories import CoachFactory, CustomerFactory, UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=User.Role.STAFF, is_staff=True, is_superuser=True))
    return client


def _profile_form(profile: CoachProfile, **changes) -> dict:
    data = {
        "user": str(profile.user_id),
        "bio": profile.bio,
        "hourly_rate": str(profile.hourly_rate),
        "currency": profile.currency,
        "categories": '["fitness"]',
        "languages": '["en"]',
        "availability": profile.availability,
    }
    return {**data, **changes}


def test_a_coach_added_in_the_admin_has_a_profile_and_a_working_api(admin_client):
    res = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "zed.coach@example.com",
            "first_name": "Zed",
            "last_name": "Coach",
            "role": "coach",
            "password1": "a-long-pass-9753",
            "password2": "a-long-pass-9753",
        },
    )
    assert res.status_code == 302, res.content[:500]
    zed = User.objects.get(email="zed.coach@example.com")
    assert CoachProfile.objects.filter(user=zed, is_verified=False).exists()
    client = client_for(zed)
    assert client.get("/api/v1/me").json()["coach_profile"]["is_verified"] is False
    assert client.patch("/api/v1/coach/profile", {"bio": "Hi"}, format="json").status_code == 200

    out = StringIO()
    call_command("verify_coach", "zed.coach@example.com", stdout=out)
    assert "zed.coach@example.com: verified" in out.getvalue()
    assert CoachProfile.objects.get(user=zed).is_verified


def test_a_customer_turned_coach_or_a_coach_whose_profile_was_deleted_still_works():
    customer = CustomerFactory()
    customer.role = User.Role.COACH
    customer.save()
    assert CoachProfile.objects.filter(user=customer).exists()

    coach = CoachFactory()
    CoachProfile.objects.filter(user=coach).delete()
    coach = User.objects.get(pk=coach.pk)  # as the next request would load it
    client = client_for(coach)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/coach/profile").status_code == 200
    assert client.put("/api/v1/coach/availability", {"status": "OFFLINE"}, format="json").status_code == 200


def test_verify_action_on_a_profile_of_a_non_coach_warns_instead_of_failing(admin_client):
    good = CoachFactory(coach_profile__is_verified=False)
    stray = CustomerFactory()
    CoachProfile.objects.create(user=stray)
    res = admin_client.post(
        "/admin/accounts/coachprofile/",
        {"action": "verify", "_selected_action": [str(good.pk), str(stray.pk)]},
        follow=True,
    )
    assert res.status_code == 200
    assert "is not a coach account" in res.content.decode()
    assert CoachProfile.objects.get(user=good).is_verified
    # ...and a profile on a non-coach account never shows up in the public list.
    CoachProfile.objects.filter(user=stray).update(is_verified=True)
    listed = {c["id"] for c in client_for(CustomerFactory()).get("/api/v1/coaches").json()["results"]}
    assert str(stray.pk) not in listed


def test_admin_edits_of_a_profile_are_checked_and_normalised_like_the_api(admin_client):
    profile = CoachFactory().coach_profile
    url = f"/admin/accounts/coachprofile/{profile.pk}/change/"

    res = admin_client.post(url, _profile_form(profile, currency="usd", categories='["Career", " Life "]'))
    assert res.status_code == 302, res.content.decode()[:2000]
    profile.refresh_from_db()
    assert profile.currency == "USD" and profile.categories == ["career", "life"]

    for bad in ({"currency": "ZZZ"}, {"categories": '{"a": 1}'}, {"languages": '["x" , true]'}):
        res = admin_client.post(url, _profile_form(profile, **bad))
        assert res.status_code == 200, bad  # the form again, with the error
        assert res.context["adminform"].form.errors, bad
    profile.refresh_from_db()
    assert profile.currency == "USD"


def test_staff_cannot_put_an_unverified_coach_online(admin_client):
    profile = CoachFactory(coach_profile__is_verified=False, coach_profile__availability="OFFLINE").coach_profile
    res = admin_client.post(
        f"/admin/accounts/coachprofile/{profile.pk}/change/", _profile_form(profile, availability="ONLINE")
    )
    assert res.status_code == 200
    assert "availability" in res.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.availability == "OFFLINE"


def test_a_coach_whose_role_staff_took_away_cannot_be_booked_and_stays_editable(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import AppointmentFactory

    coach = CoachFactory()
    slot = AppointmentFactory(coach=coach, start=timezone.now() + timedelta(days=1))
    User.objects.filter(pk=coach.pk).update(role=User.Role.CUSTOMER)
    client = client_for(CustomerFactory())

    instant = client.post(
        "/api/v1/sessions", {"type": "INSTANT", "coach_id": str(coach.pk), "duration_minutes": 30}, format="json"
    )
    scheduled = client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.pk)}, format="json")
    assert (instant.status_code, scheduled.status_code) == (400, 400)

    profile = CoachProfile.objects.get(user=coach)
    res = admin_client.post(
        f"/admin/accounts/coachprofile/{profile.pk}/change/", _profile_form(profile, availability="OFFLINE")
    )
    assert res.status_code == 302
