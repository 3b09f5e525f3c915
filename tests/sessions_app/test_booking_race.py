"""Double-booking is impossible on PostgreSQL: concurrent requests and the database's own constraints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions_app.models import Appointment, Session
from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory, SessionFactory
from tests.helpers.api import client_for
from tests.helpers.threads import fire_at_once

THREADS = 20
ROUNDS = 3


def _assert_one_winner(results, loser_code: str) -> None:
    statuses = sorted(status for status, _ in results)
    assert None not in statuses, [body for status, body in results if status is None]
    assert 500 not in statuses
    assert statuses.count(201) == 1, results
    losers = [body for status, body in results if status != 201]
    assert len(losers) == len(results) - 1
    assert {body["error"]["code"] for body in losers} == {loser_code}, losers
    assert {status for status, _ in results if status != 201} == {409}


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_have_exactly_one_winner(postgres):
    coach = CoachFactory()
    clients = [client_for(CustomerFactory()) for _ in range(THREADS)]
    for round_ in range(ROUNDS):
        start = (timezone.now() + timedelta(days=1, hours=2 * round_)).replace(second=0, microsecond=0)
        appointment = AppointmentFactory(coach=coach, start=start)
        payload = {"type": "SCHEDULED", "appointment_id": str(appointment.id)}

        results = fire_at_once([lambda c=c, p=payload: c.post("/api/v1/sessions", p, format="json") for c in clients])

        _assert_one_winner(results, "slot_unavailable")
        assert Session.objects.filter(appointment=appointment).count() == 1
        winner = next(body for status, body in results if status == 201)
        assert str(Session.objects.get(appointment=appointment).pk) == winner["id"]
    assert Session.objects.count() == ROUNDS


@pytest.mark.django_db(transaction=True)
def test_concurrent_instant_bookings_of_one_coach_have_exactly_one_winner(postgres):
    coach = CoachFactory()
    clients = [client_for(CustomerFactory()) for _ in range(THREADS)]
    payload = {"type": "INSTANT", "coach_id": str(coach.id), "duration_minutes": 30}
    results = fire_at_once([lambda c=c: c.post("/api/v1/sessions", payload, format="json") for c in clients])
    _assert_one_winner(results, "coach_unavailable")
    assert Session.objects.filter(coach=coach).count() == 1
    assert Appointment.objects.filter(coach=coach).count() == 1


def _insert_overlapping(existing: Session, **overrides) -> None:
    start = existing.scheduled_start + timedelta(minutes=30)
    appointment = Appointment.objects.create(
        coach=overrides.pop("appointment_coach", existing.coach),
        start=start + timedelta(days=365),  # a slot of its own far away: only the session overlaps
        end=start + timedelta(days=365, minutes=60),
        duration_minutes=60,
    )
    SessionFactory(
        appointment=appointment,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=60),
        **overrides,
    )


@pytest.mark.django_db
def test_exclusion_constraint_refuses_an_overlapping_session_of_one_coach(postgres):
    existing = SessionFactory()
    with pytest.raises(IntegrityError, match="session_no_overlap_per_coach"), transaction.atomic():
        _insert_overlapping(existing)
    assert Session.objects.count() == 1


@pytest.mark.django_db
def test_exclusion_constraint_refuses_an_overlapping_session_of_one_customer(postgres):
    existing = SessionFactory()
    other = CoachFactory()
    with pytest.raises(IntegrityError, match="session_no_overlap_per_customer"), transaction.atomic():
        _insert_overlapping(existing, appointment_coach=other, coach=other, customer=existing.customer)
    assert Session.objects.count() == 1


@pytest.mark.django_db
def test_exclusion_constraint_ignores_cancelled_sessions(postgres):
    existing = SessionFactory(status=Session.Status.CANCELLED)
    _insert_overlapping(existing)
    assert Session.objects.count() == 2
    # ...and an overlapping session may not be revived from CANCELLED either.
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=existing.pk).update(status=Session.Status.PENDING)


@pytest.mark.django_db
def test_exclusion_constraint_refuses_overlapping_slots_of_one_coach(postgres):
    existing = AppointmentFactory()
    with pytest.raises(IntegrityError, match="appointment_no_overlap_per_coach"), transaction.atomic():
        AppointmentFactory(coach=existing.coach, start=existing.start + timedelta(minutes=59))
    AppointmentFactory(coach=existing.coach, start=existing.end)  # touching is not overlapping
    AppointmentFactory(start=existing.start)  # another coach
    assert Appointment.objects.count() == 3
