"""Coaches publish, list and delete slots; everyone lists a coach's free future slots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app import services
from sessions_app.models import Appointment, Session
from tests.factories import AppointmentFactory, SessionFactory
from tests.helpers.api import error_code

pytestmark = pytest.mark.django_db


def _iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _at(days: float = 2, minutes: int = 0):
    return (timezone.now() + timedelta(days=days, minutes=minutes)).replace(second=0, microsecond=0)


def _publish(client, start, duration=60):
    return client.post(
        "/api/v1/coach/appointments", {"start": _iso(start), "duration_minutes": duration}, format="json"
    )


@pytest.mark.parametrize("duration", [30, 60])
def test_coach_publishes_a_slot(api, coach, duration):
    start = _at()
    res = _publish(api(coach), start, duration)
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["coach_id"] == str(coach.id)
    assert body["start"] == _iso(start)
    assert body["end"] == _iso(start + timedelta(minutes=duration))
    assert (body["duration_minutes"], body["is_booked"]) == (duration, False)
    appointment = Appointment.objects.get(pk=body["id"])
    assert (appointment.coach_id, appointment.start, appointment.duration_minutes) == (coach.id, start, duration)
    assert not appointment.is_instant


@pytest.mark.parametrize("duration", [15, 45, 90, 0, -30])
def test_durations_outside_the_configured_list_are_refused(api, coach, duration):
    res = _publish(api(coach), _at(), duration)
    assert res.status_code == 400
    assert "duration_minutes" in res.json()["error"]["fields"]
    assert not Appointment.objects.exists()


def test_configured_durations_are_honoured(api, coach, settings):
    settings.APPOINTMENT_DURATIONS = [45]
    assert _publish(api(coach), _at(), 45).status_code == 201
    assert _publish(api(coach), _at(days=3), 60).status_code == 400


def test_slot_in_the_past_is_refused(api, coach):
    res = _publish(api(coach), timezone.now() - timedelta(hours=1))
    assert res.status_code == 400
    assert error_code(res) == "validation_error"
    assert "start" in res.json()["error"]["fields"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(("offset", "duration"), [(0, 60), (30, 60), (-30, 60), (15, 30), (-59, 60)])
def test_overlapping_slots_are_refused(api, coach, offset, duration):
    start = _at()
    assert _publish(api(coach), start).status_code == 201
    res = _publish(api(coach), start + timedelta(minutes=offset), duration)
    assert res.status_code == 409
    assert error_code(res) == "slot_unavailable"
    assert Appointment.objects.count() == 1


def test_adjacent_slots_and_other_coaches_slots_do_not_overlap(api, coach, other_coach):
    start = _at()
    assert _publish(api(coach), start).status_code == 201
    assert _publish(api(coach), start + timedelta(minutes=60)).status_code == 201
    assert _publish(api(coach), start - timedelta(minutes=30), 30).status_code == 201
    assert _publish(api(other_coach), start).status_code == 201
    assert Appointment.objects.filter(coach=coach).count() == 3


def test_slot_over_a_cancelled_instant_session_can_be_published(api, coach, customer):
    session = services.session_book_instant(customer=customer, coach_id=coach.id, duration_minutes=60)
    start = (session.scheduled_start + timedelta(minutes=30)).replace(second=0)
    assert _publish(api(coach), start, 30).status_code == 409
    services.session_cancel(session=session, actor=customer)
    res = _publish(api(coach), start, 30)
    assert res.status_code == 201, res.json()


def test_coach_lists_own_slots_with_booking_state(api, coach, other_coach, customer):
    free = AppointmentFactory(coach=coach, start=_at(2))
    booked = AppointmentFactory(coach=coach, start=_at(3))
    SessionFactory(appointment=booked, customer=customer)
    AppointmentFactory(coach=other_coach)
    results = api(coach).get("/api/v1/coach/appointments").json()["results"]
    assert [(a["id"], a["is_booked"]) for a in results] == [(str(free.id), False), (str(booked.id), True)]


def test_free_slot_is_deleted(api, coach):
    appointment = AppointmentFactory(coach=coach)
    res = api(coach).delete(f"/api/v1/coach/appointments/{appointment.id}")
    assert res.status_code == 204
    assert not Appointment.objects.filter(pk=appointment.pk).exists()


def test_booked_slot_cannot_be_deleted(api, coach, customer):
    session = SessionFactory(appointment__coach=coach, customer=customer)
    res = api(coach).delete(f"/api/v1/coach/appointments/{session.appointment_id}")
    assert res.status_code == 409
    assert error_code(res) == "slot_unavailable"
    assert Appointment.objects.filter(pk=session.appointment_id).exists()
    assert Session.objects.get(pk=session.pk).status == "PENDING"


def test_deleting_an_unknown_slot_is_404(api, coach):
    import uuid

    res = api(coach).delete(f"/api/v1/coach/appointments/{uuid.uuid4()}")
    assert res.status_code == 404


# --- free slots of a coach ----------------------------------------------------------------------------


def test_free_slots_exclude_booked_past_and_instant_ones(api, coach, customer, outsider):
    free = AppointmentFactory(coach=coach, start=_at(2))
    SessionFactory(appointment=AppointmentFactory(coach=coach, start=_at(3)), customer=customer)
    reopened = AppointmentFactory(coach=coach, start=_at(4))
    SessionFactory(appointment=reopened, customer=customer, status="CANCELLED")
    AppointmentFactory(coach=coach, start=timezone.now() - timedelta(hours=3))
    AppointmentFactory(coach=coach, start=_at(5), is_instant=True)
    AppointmentFactory(start=_at(2))  # another coach's

    res = api(outsider).get(f"/api/v1/coaches/{coach.id}/appointments")
    assert res.status_code == 200
    results = res.json()["results"]
    assert [a["id"] for a in results] == [str(free.id), str(reopened.id)]
    assert all(a["is_booked"] is False for a in results)


def test_free_slots_filter_by_from_and_to(api, coach, customer):
    slots = [AppointmentFactory(coach=coach, start=_at(day)) for day in (1, 2, 3, 4)]
    params = {"from": _iso(slots[1].start), "to": _iso(slots[3].start)}
    res = api(customer).get(f"/api/v1/coaches/{coach.id}/appointments", params)
    assert [a["id"] for a in res.json()["results"]] == [str(slots[1].id), str(slots[2].id)]


def test_free_slots_of_a_non_coach_are_404(api, customer, outsider):
    res = api(customer).get(f"/api/v1/coaches/{outsider.id}/appointments")
    assert res.status_code == 404


def test_slot_whose_sessions_were_all_cancelled_is_free_and_can_be_deleted(api, coach, customer):
    appointment = AppointmentFactory(coach=coach, start=_at(days=2))
    session = services.session_book_scheduled(customer=customer, appointment_id=appointment.id)
    services.session_cancel(session=session, actor=customer, reason="No longer needed.")
    res = api(coach).delete(f"/api/v1/coach/appointments/{appointment.id}")
    assert res.status_code == 204
    assert not Appointment.objects.filter(pk=appointment.pk).exists()
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert session.appointment_id is None
    assert api(customer).get(f"/api/v1/sessions/{session.id}").json()["appointment_id"] is None
