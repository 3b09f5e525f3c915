"""Buffers, the daily cap and the horizon, as booking enforces them (SQLite and PostgreSQL), and the
buffered exclusion constraint with a real race on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CoachProfile
from sessions_app import services
from sessions_app.models import Appointment, Session
from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory, SessionFactory
from tests.helpers.api import client_for
from tests.helpers.threads import fire_at_once as _fire_at_once


def set_policy(coach, **fields):
    CoachProfile.objects.filter(pk=coach.pk).update(**fields)


def tomorrow(hour: int, minute: int = 0) -> datetime:
    return (timezone.now() + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def book(client, slot):
    return client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.id)}, format="json")


@pytest.mark.django_db
def test_a_booking_fixes_the_coach_buffers_on_the_session(api, coach, customer):
    set_policy(coach, buffer_before_minutes=10, buffer_after_minutes=20)
    slot = AppointmentFactory(coach=coach, start=tomorrow(9))
    res = book(api(customer), slot)
    assert res.status_code == 201
    session = Session.objects.get(pk=res.json()["id"])
    assert (session.buffer_before_minutes, session.buffer_after_minutes) == (10, 20)
    # Changing the policy later leaves the booked session's buffers as they were.
    set_policy(coach, buffer_before_minutes=0, buffer_after_minutes=0)
    session.refresh_from_db()
    assert (session.buffer_before_minutes, session.buffer_after_minutes) == (10, 20)


@pytest.mark.django_db
def test_the_service_refuses_a_slot_inside_another_sessions_buffer(api, coach):
    set_policy(coach, buffer_after_minutes=30)
    first = AppointmentFactory(coach=coach, start=tomorrow(9))  # 09:00-10:00, blocks until 10:30
    second = AppointmentFactory(coach=coach, start=tomorrow(10), duration_minutes=30)
    third = AppointmentFactory(coach=coach, start=tomorrow(10, 30), duration_minutes=30)
    assert book(api(CustomerFactory()), first).status_code == 201

    res = book(api(CustomerFactory()), second)

    assert res.status_code == 409
    assert res.json()["error"]["code"] == "slot_unavailable"
    assert not Session.objects.filter(appointment=second).exists()
    assert book(api(CustomerFactory()), third).status_code == 201  # touching the buffer is fine


@pytest.mark.django_db
def test_the_buffer_before_counts_too_and_the_free_list_hides_blocked_slots(api, coach, customer):
    set_policy(coach, buffer_before_minutes=30)
    later = AppointmentFactory(coach=coach, start=tomorrow(11))
    earlier = AppointmentFactory(coach=coach, start=tomorrow(9, 45), duration_minutes=60)  # ends 10:45
    assert book(api(customer), later).status_code == 201

    listed = api(CustomerFactory()).get(f"/api/v1/coaches/{coach.pk}/appointments").json()["results"]

    # The earlier slot, booked now, would block until 10:45 and meet 10:30 (11:00 minus 30): hidden.
    assert [a["id"] for a in listed] == []
    assert book(api(CustomerFactory()), earlier).json()["error"]["code"] == "slot_unavailable"


@pytest.mark.django_db
def test_a_one_off_slot_inside_a_sessions_buffer_is_409(api, coach, customer):
    set_policy(coach, buffer_after_minutes=30)
    slot = AppointmentFactory(coach=coach, start=tomorrow(9))
    services.session_book_scheduled(customer=customer, appointment_id=slot.id)
    res = api(coach).post(
        "/api/v1/coach/appointments", {"start": tomorrow(10, 15).isoformat(), "duration_minutes": 30}, format="json"
    )
    assert res.status_code == 409
    assert res.json()["error"]["code"] == "slot_unavailable"
    assert Appointment.objects.filter(coach=coach).count() == 1


@pytest.mark.django_db
def test_an_instant_booking_inside_the_last_sessions_buffer_is_coach_unavailable(api, coach, customer):
    set_policy(coach, buffer_after_minutes=30)
    now = timezone.now()
    slot = AppointmentFactory(coach=coach, start=(now - timedelta(minutes=50)).replace(microsecond=0))
    SessionFactory(appointment=slot, status=Session.Status.CANCELLED)  # cancelled: blocks nothing
    SessionFactory(
        appointment=AppointmentFactory(coach=coach, start=now - timedelta(hours=3)),
        status=Session.Status.IN_PROGRESS,
        scheduled_start=now - timedelta(minutes=70),
        scheduled_end=now - timedelta(minutes=10),
        buffer_after_minutes=30,
    )
    res = api(customer).post(
        "/api/v1/sessions", {"type": "INSTANT", "coach_id": str(coach.pk), "duration_minutes": 30}, format="json"
    )
    assert res.status_code == 409
    assert res.json()["error"]["code"] == "coach_unavailable"


@pytest.mark.django_db
def test_the_daily_cap_counts_the_coaches_local_day(api, coach):
    # Asia/Kolkata is UTC+05:30: 20:00 UTC is already the next local day.
    coach.timezone = "Asia/Kolkata"
    coach.save(update_fields=["timezone"])
    set_policy(coach, max_sessions_per_day=2)
    day = (timezone.now() + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    a = AppointmentFactory(coach=coach, start=day + timedelta(hours=4))  # 09:30 local
    b = AppointmentFactory(coach=coach, start=day + timedelta(hours=6))
    c = AppointmentFactory(coach=coach, start=day + timedelta(hours=8))
    next_local_day = AppointmentFactory(coach=coach, start=day + timedelta(hours=20))  # 01:30 local, next day
    cancelled = AppointmentFactory(coach=coach, start=day + timedelta(hours=10))
    SessionFactory(appointment=cancelled, status=Session.Status.CANCELLED)  # does not count
    assert book(api(CustomerFactory()), a).status_code == 201
    assert book(api(CustomerFactory()), b).status_code == 201

    res = book(api(CustomerFactory()), c)

    assert res.status_code == 409
    assert res.json()["error"]["code"] == "booking_limit_reached"
    assert not Session.objects.filter(appointment=c).exists()
    assert book(api(CustomerFactory()), next_local_day).status_code == 201


@pytest.mark.django_db
def test_instant_bookings_count_against_the_daily_cap(coach, customer):
    from sessions_app.errors import BookingLimitReached

    set_policy(coach, max_sessions_per_day=1)
    now = tomorrow(12)  # UTC coach: noon, the completed session below is the same local day
    SessionFactory(
        appointment=AppointmentFactory(coach=coach, start=now - timedelta(hours=3)),
        status=Session.Status.COMPLETED,
        scheduled_start=now - timedelta(minutes=90),
        scheduled_end=now - timedelta(minutes=30),
    )
    with pytest.raises(BookingLimitReached):
        services.session_book_instant(customer=customer, coach_id=coach.pk, duration_minutes=30, now=now)
    assert Session.objects.filter(coach=coach).count() == 1
    set_policy(coach, max_sessions_per_day=2)
    services.session_book_instant(customer=customer, coach_id=coach.pk, duration_minutes=30, now=now)


@pytest.mark.django_db
def test_slots_beyond_the_horizon_are_not_listed_and_booking_them_is_400(api, coach, customer):
    set_policy(coach, booking_horizon_days=7)
    near = AppointmentFactory(coach=coach, start=tomorrow(9) + timedelta(days=5))
    far = AppointmentFactory(coach=coach, start=tomorrow(9) + timedelta(days=8))
    client = api(customer)

    listed = client.get(f"/api/v1/coaches/{coach.pk}/appointments").json()["results"]
    assert [a["id"] for a in listed] == [str(near.pk)]

    res = book(client, far)
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "booking_too_far_ahead"
    assert not Session.objects.exists()
    assert book(client, near).status_code == 201


@pytest.mark.django_db
def test_moving_a_session_keeps_its_buffers_and_respects_the_horizon(coach, customer, settings):
    # "Tomorrow 09:00" may lie inside the free-change window (docs/policies.md): no window here.
    settings.CANCEL_FREE_HOURS = 0
    set_policy(coach, buffer_after_minutes=15, booking_horizon_days=10)
    session = services.session_book_scheduled(
        customer=customer, appointment_id=AppointmentFactory(coach=coach, start=tomorrow(9)).id
    )
    far = AppointmentFactory(coach=coach, start=tomorrow(9) + timedelta(days=12))
    from sessions_app.errors import BookingTooFarAhead

    with pytest.raises(BookingTooFarAhead):
        services.session_reschedule(session=session, actor=customer, appointment_id=far.id)
    set_policy(coach, buffer_after_minutes=0)
    moved = services.session_reschedule(
        session=session, actor=customer, appointment_id=AppointmentFactory(coach=coach, start=tomorrow(14)).id
    )
    assert moved.buffer_after_minutes == 15
    assert moved.sequence == 1


# --- PostgreSQL: the database itself ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_exclusion_constraint_covers_the_buffered_range(postgres):
    existing = SessionFactory(buffer_after_minutes=30)  # blocks its coach until end + 30 minutes
    start = existing.scheduled_end + timedelta(minutes=15)
    slot = Appointment.objects.create(
        coach=existing.coach, start=start, end=start + timedelta(minutes=30), duration_minutes=30
    )
    with pytest.raises(IntegrityError, match="session_no_overlap_per_coach"), transaction.atomic():
        SessionFactory(appointment=slot, coach=existing.coach)
    # Outside the buffer is fine; so is the same time for another coach.
    later = Appointment.objects.create(
        coach=existing.coach,
        start=existing.scheduled_end + timedelta(minutes=45),
        end=existing.scheduled_end + timedelta(minutes=75),
        duration_minutes=30,
    )
    SessionFactory(appointment=later, coach=existing.coach)
    SessionFactory(appointment=AppointmentFactory(start=start), scheduled_start=start)
    assert Session.objects.count() == 3


@pytest.mark.django_db
def test_the_before_buffer_of_the_later_session_counts_in_the_constraint(postgres):
    existing = SessionFactory()
    start = existing.scheduled_end + timedelta(minutes=10)
    slot = Appointment.objects.create(
        coach=existing.coach, start=start, end=start + timedelta(minutes=30), duration_minutes=30
    )
    with pytest.raises(IntegrityError, match="session_no_overlap_per_coach"), transaction.atomic():
        SessionFactory(appointment=slot, coach=existing.coach, buffer_before_minutes=15)


@pytest.mark.django_db(transaction=True)
def test_racing_bookings_into_two_slots_closer_than_the_buffer_leave_one_booked(postgres):
    coach = CoachFactory()
    set_policy(coach, buffer_after_minutes=30, buffer_before_minutes=0)
    for round_ in range(3):
        base = (timezone.now() + timedelta(days=2 + round_)).replace(hour=9, minute=0, second=0, microsecond=0)
        a = AppointmentFactory(coach=coach, start=base)
        b = AppointmentFactory(coach=coach, start=base + timedelta(minutes=75))  # 15 min after a's end
        clients = [client_for(CustomerFactory()) for _ in range(10)]
        results = _fire_at_once([lambda c=c, s=(a if i % 2 else b): book(c, s) for i, c in enumerate(clients)])

        statuses = sorted(status for status, _ in results)
        assert statuses.count(201) == 1, results
        assert set(statuses) == {201, 409}, results
        assert {body["error"]["code"] for status, body in results if status == 409} == {"slot_unavailable"}
        assert Session.objects.filter(appointment__in=[a, b]).count() == 1


@pytest.mark.django_db
def test_the_free_list_hides_buffer_blocked_slots_on_postgres_too(postgres, api, coach, customer):
    set_policy(coach, buffer_after_minutes=30)
    first = AppointmentFactory(coach=coach, start=tomorrow(9))
    blocked = AppointmentFactory(coach=coach, start=tomorrow(10), duration_minutes=30)
    free = AppointmentFactory(coach=coach, start=tomorrow(10, 30), duration_minutes=30)
    services.session_book_scheduled(customer=customer, appointment_id=first.id)
    listed = api(CustomerFactory()).get(f"/api/v1/coaches/{coach.pk}/appointments").json()["results"]
    assert [a["id"] for a in listed] == [str(free.pk)]
    assert blocked.pk not in {a["id"] for a in listed}
