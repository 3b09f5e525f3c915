"""The cancellation window fixed at booking (SPEC 11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session
from sessions_app.services import session_cancel
from tests.factories import AppointmentFactory
from tests.helpers.api import client_for, error_code

pytestmark = pytest.mark.django_db


def _in(hours: float):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def _book(client, slot):
    res = client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.id)}, format="json")
    assert res.status_code == 201, res.json()
    return res.json()


def test_free_cancel_until_is_fixed_at_booking(api, coach, customer, settings):
    slot = AppointmentFactory(coach=coach, start=_in(48))
    body = _book(api(customer), slot)
    assert body["free_cancel_until"] == (slot.start - timedelta(hours=12)).isoformat().replace("+00:00", "Z")
    assert body["late_cancellation"] is False
    settings.CANCEL_FREE_HOURS = 1  # a later policy change does not touch a booked session
    session = Session.objects.get(pk=body["id"])
    assert session.free_cancel_until == slot.start - timedelta(hours=12)


@pytest.mark.parametrize("role", ["customer", "coach"])
@pytest.mark.parametrize(("hours_ahead", "late"), [(48, False), (5, True)])
def test_cancel_inside_and_outside_the_window(api, coach, customer, role, hours_ahead, late):
    session_id = _book(api(customer), AppointmentFactory(coach=coach, start=_in(hours_ahead)))["id"]
    actor = {"customer": customer, "coach": coach}[role]
    res = api(actor).post(f"/api/v1/sessions/{session_id}/cancel", {"reason": "ill"}, format="json")
    assert res.status_code == 200
    assert res.json()["late_cancellation"] is late
    session = Session.objects.get(pk=session_id)
    assert session.late_cancellation is late
    log = session.logs.get(action="CANCELLED")
    assert ("late cancellation" in log.text) is late


def test_staff_and_system_cancellations_are_never_late(coach, customer, staff):
    session = Session.objects.get(pk=_book(client_for(customer), AppointmentFactory(coach=coach, start=_in(5)))["id"])
    session_cancel(session=session, actor=staff, reason="Support")
    session.refresh_from_db()
    assert session.status == "CANCELLED" and session.late_cancellation is False


def test_customer_cannot_move_inside_the_window(api, coach, customer):
    session_id = _book(api(customer), AppointmentFactory(coach=coach, start=_in(5)))["id"]
    other = AppointmentFactory(coach=coach, start=_in(30))
    res = api(customer).patch(f"/api/v1/sessions/{session_id}", {"appointment_id": str(other.id)}, format="json")
    assert res.status_code == 400
    assert error_code(res) == "booking_too_late"
    assert Session.objects.get(pk=session_id).appointment_id != other.id


def test_instant_sessions_have_no_free_window(api, coach, customer):
    profile = coach.coach_profile
    profile.availability = "ONLINE"
    profile.save()
    res = api(customer).post(
        "/api/v1/sessions", {"type": "INSTANT", "coach_id": str(coach.id), "duration_minutes": 30}, format="json"
    )
    assert res.status_code == 201
    assert res.json()["free_cancel_until"] is None
    cancel = api(customer).post(f"/api/v1/sessions/{res.json()['id']}/cancel", {"reason": "x"}, format="json")
    assert cancel.json()["late_cancellation"] is False
