"""One customer booking two overlapping slots of two coaches at the same moment.

Each booking locks its own coach, so the two run side by side; both inserts then meet in the
exclusion constraint on the customer's time range, each waiting for the other, and PostgreSQL kills
one with a deadlock (40P01). Booking now locks the customer's row first (one lock order for every
booking of that customer), and a deadlock or serialization failure that gets through anyway is a
409 ``slot_unavailable``, never a 500.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from sessions_app.models import Session
from sessions_app.services import session_book_scheduled
from sessions_app.services.postpone import postpone_request_create
from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory
from tests.helpers.api import client_for
from tests.helpers.threads import fire_at_once as _fire_at_once

ROUNDS = 25


@pytest.mark.django_db(transaction=True)
def test_one_customer_booking_two_coaches_at_once_never_deadlocks_into_a_500(postgres):
    first_coach, second_coach = CoachFactory(), CoachFactory()
    for round_ in range(ROUNDS):
        customer = CustomerFactory()
        clients = [client_for(customer), client_for(customer)]
        start = (timezone.now() + timedelta(days=1, hours=round_)).replace(second=0, microsecond=0)
        slots = [AppointmentFactory(coach=coach, start=start) for coach in (first_coach, second_coach)]
        requests = [
            lambda c=c, s=s: c.post(
                "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(s.pk)}, format="json"
            )
            for c, s in zip(clients, slots, strict=True)
        ]

        results = _fire_at_once(requests)

        statuses = sorted(status for status, _ in results)
        assert statuses == [201, 409], (round_, results)
        loser = next(body for status, body in results if status == 409)
        assert loser["error"]["code"] == "slot_unavailable"
        assert Session.objects.filter(customer=customer).count() == 1


def _raw_connection():
    """A connection of our own, outside Django's, standing for another transaction."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=False)


@pytest.mark.django_db(transaction=True)
def test_booking_locks_the_customer_before_the_coach(postgres):
    """While something holds the customer's row, a booking of theirs waits before touching the coach:
    it never holds a coach's lock while it waits for the customer (the order that could deadlock)."""
    coach, customer = CoachFactory(), CustomerFactory()
    slot = AppointmentFactory(coach=coach)
    api = client_for(customer)
    holder = _raw_connection()
    holder.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [customer.pk])
    result: dict = {}

    def book():
        try:
            result["response"] = api.post(
                "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.pk)}, format="json"
            )
        finally:
            connection.close()

    thread = threading.Thread(target=book)
    thread.start()
    try:
        time.sleep(1.0)  # the booking is now waiting for the customer's row
        assert thread.is_alive()
        probe = _raw_connection()
        try:
            # The coach's row is free: the waiting booking has not locked it.
            rows = probe.execute(
                "SELECT user_id FROM accounts_coachprofile WHERE user_id = %s FOR UPDATE SKIP LOCKED", [coach.pk]
            ).fetchall()
            assert rows == [(coach.pk,)]
        finally:
            probe.rollback()
            probe.close()
    finally:
        holder.rollback()
        holder.close()
        thread.join(timeout=30)
    assert result["response"].status_code == 201
    assert Session.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db(transaction=True)
def test_accepting_a_postpone_while_booking_the_same_time_elsewhere_never_deadlocks(postgres):
    """Accepting moves the customer's session into the proposed time, the same range of the customer's as
    a booking of theirs with another coach then: exactly one of the two wins, the other is a 409."""
    coach, other_coach = CoachFactory(), CoachFactory()
    for round_ in range(ROUNDS // 2):
        customer = CustomerFactory()
        base = (timezone.now() + timedelta(days=3, hours=2 * round_)).replace(second=0, microsecond=0)
        session = session_book_scheduled(
            customer=customer, appointment_id=AppointmentFactory(coach=coach, start=base).pk
        )
        later = base + timedelta(days=1)
        proposal = postpone_request_create(
            session=session, actor=coach, appointment_id=AppointmentFactory(coach=coach, start=later).pk
        )
        elsewhere = AppointmentFactory(coach=other_coach, start=later)
        accept_url = f"/api/v1/sessions/{session.pk}/postpone-requests/{proposal.pk}/accept"
        booking = {"type": "SCHEDULED", "appointment_id": str(elsewhere.pk)}
        first, second = client_for(customer), client_for(customer)
        requests = [
            lambda c=first, url=accept_url: c.post(url),
            lambda c=second, body=booking: c.post("/api/v1/sessions", body, format="json"),
        ]

        results = _fire_at_once(requests)

        statuses = sorted(status for status, _ in results)
        assert statuses in ([200, 409], [201, 409]), (round_, results)
        assert next(body for status, body in results if status == 409)["error"]["code"] == "slot_unavailable"
        at_later = Session.objects.filter(customer=customer, scheduled_start=later).count()
        assert at_later == 1, (round_, results)
