"""A held slot on PostgreSQL: the database keeps it from being booked, whatever the order of the racers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sessions_app.models import PostponeRequest, Session
from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory, SessionFactory
from tests.helpers.api import client_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _in(hours: float):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def _at_once(calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def held(postgres):
    coach, customer = CoachFactory(), CustomerFactory()
    mine = AppointmentFactory(coach=coach, start=_in(48))
    res = client_for(customer).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(mine.id)}, format="json"
    )
    session = Session.objects.get(pk=res.json()["id"])
    target = AppointmentFactory(coach=coach, start=_in(72))
    proposed = client_for(coach).post(
        f"/api/v1/sessions/{session.id}/postpone-requests", {"appointment_id": str(target.id)}, format="json"
    )
    assert proposed.status_code == 201
    return session, target


def test_two_concurrent_bookings_of_a_held_slot_both_fail(held):
    _, target = held
    clients = [client_for(CustomerFactory()) for _ in range(2)]
    payload = {"type": "SCHEDULED", "appointment_id": str(target.id)}
    results = _at_once([lambda c=c: c.post("/api/v1/sessions", payload, format="json").status_code for c in clients])
    assert results == [409, 409]
    assert not Session.objects.filter(appointment=target).exists()


def test_the_database_refuses_a_session_in_a_held_slot_even_past_the_services(held):
    session, target = held
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionFactory(appointment=target, coach=target.coach, scheduled_start=target.start)


def test_the_database_refuses_holding_a_booked_slot(held):
    session, target = held
    PostponeRequest.objects.filter(session=session).update(status="WITHDRAWN")
    booked = client_for(CustomerFactory()).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(target.id)}, format="json"
    )
    assert booked.status_code == 201
    with pytest.raises(IntegrityError), transaction.atomic():
        PostponeRequest.objects.filter(session=session).update(status="PENDING")


def test_a_hold_and_a_booking_racing_for_one_slot_leave_exactly_one(postgres):
    for _ in range(5):
        coach, customer = CoachFactory(), CustomerFactory()
        mine = AppointmentFactory(coach=coach, start=_in(48))
        res = client_for(customer).post(
            "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(mine.id)}, format="json"
        )
        session_id = res.json()["id"]
        target = AppointmentFactory(coach=coach, start=_in(72))
        coach_client, rival = client_for(coach), client_for(CustomerFactory())
        hold_url = f"/api/v1/sessions/{session_id}/postpone-requests"
        payload = {"appointment_id": str(target.id)}
        booking = {"type": "SCHEDULED", "appointment_id": str(target.id)}

        def hold(client=coach_client, url=hold_url, body=payload):
            return client.post(url, body, format="json").status_code

        def book(client=rival, body=booking):
            return client.post("/api/v1/sessions", body, format="json").status_code

        results = _at_once([hold, book])
        assert sorted(results) == [201, 409], results
        holds = PostponeRequest.objects.filter(proposed_appointment=target, status="PENDING").count()
        bookings = Session.objects.filter(appointment=target).exclude(status="CANCELLED").count()
        assert holds + bookings == 1
