"""Concurrent requests on one session or slot, on PostgreSQL: never a 500, never a state that breaks a rule."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from chat.models import Message
from sessions_app.models import Appointment, Session, SessionLog
from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory
from tests.helpers.api import client_for
from tests.helpers.sessions import book_open_session, session_in_state
from tests.helpers.threads import fire_at_once

Action = SessionLog.Action
ROUNDS = 5


@pytest.mark.django_db(transaction=True)
def test_withdrawing_a_slot_while_customers_book_it_is_never_a_500(postgres):
    coach = CoachFactory()
    coach_client = client_for(coach)
    customers = [client_for(CustomerFactory()) for _ in range(8)]
    for round_ in range(ROUNDS):
        start = (timezone.now() + timedelta(days=2, hours=2 * round_)).replace(second=0, microsecond=0)
        slot = AppointmentFactory(coach=coach, start=start)
        payload = {"type": "SCHEDULED", "appointment_id": str(slot.id)}
        requests = [partial(c.post, "/api/v1/sessions", payload, format="json") for c in customers]
        requests.insert(
            round_ % len(requests), lambda s=slot: coach_client.delete(f"/api/v1/coach/appointments/{s.id}")
        )

        results = fire_at_once(requests)

        statuses = [status for status, _ in results]
        assert None not in statuses and 500 not in statuses, results
        booked = Session.objects.filter(appointment_id=slot.id)
        if Appointment.objects.filter(pk=slot.id).exists():
            # The booking won: one session, and the coach was told the slot is booked.
            assert statuses.count(201) == 1 and booked.count() == 1, results
            assert 204 not in statuses
        else:
            # The withdrawal won: nobody holds a session on a slot that no longer exists.
            assert statuses.count(204) == 1 and 201 not in statuses, results
            assert not Session.objects.filter(coach=coach, scheduled_start=start).exists()
        assert set(statuses) <= {201, 204, 400, 409}, results


@pytest.mark.django_db(transaction=True)
def test_withdrawing_a_slot_while_a_customer_moves_into_it_is_never_a_500(postgres):
    coach, customer = CoachFactory(), CustomerFactory()
    coach_client, customer_client = client_for(coach), client_for(customer)
    first = AppointmentFactory(coach=coach, start=timezone.now() + timedelta(days=1))
    session = client_for(customer).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(first.id)}, format="json"
    )
    session_id = session.json()["id"]
    for round_ in range(ROUNDS):
        start = (timezone.now() + timedelta(days=3, hours=2 * round_)).replace(second=0, microsecond=0)
        slot = AppointmentFactory(coach=coach, start=start)
        results = fire_at_once(
            [
                lambda s=slot: customer_client.patch(
                    f"/api/v1/sessions/{session_id}", {"appointment_id": str(s.id)}, format="json"
                ),
                lambda s=slot: coach_client.delete(f"/api/v1/coach/appointments/{s.id}"),
            ]
        )
        assert None not in [status for status, _ in results], results
        statuses = sorted(status for status, _ in results)
        assert statuses in ([200, 409], [204, 409], [204, 400]), results
        current = Session.objects.get(pk=session_id)
        if 200 in statuses:
            assert current.appointment_id == slot.id and current.scheduled_start == start
        else:
            assert current.appointment_id != slot.id and current.appointment_id is not None


@pytest.mark.django_db(transaction=True)
def test_both_participants_joining_at_once_both_get_a_token(postgres):
    for _ in range(ROUNDS):
        coach, customer = CoachFactory(), CustomerFactory()
        session = book_open_session(coach=coach, customer=customer)
        url = f"/api/v1/sessions/{session.id}/start-call"
        results = fire_at_once([partial(client_for(u).post, url) for u in (coach, customer)])

        assert [status for status, _ in results] == [200, 200], results
        assert {body["uid"] for _, body in results} == {session.coach_uid, session.customer_uid}
        logs = list(SessionLog.objects.filter(session=session).values_list("action", "actor_id"))
        assert logs.count((Action.STARTED, coach.pk)) + logs.count((Action.STARTED, customer.pk)) == 1
        assert (Action.ENTERED, coach.pk) in logs and (Action.ENTERED, customer.pk) in logs
        assert Session.objects.get(pk=session.pk).status == Session.Status.IN_PROGRESS


@pytest.mark.django_db(transaction=True)
def test_both_participants_asking_to_end_at_once_end_the_session(postgres):
    for _ in range(ROUNDS):
        coach, customer = CoachFactory(), CustomerFactory()
        session = session_in_state(Session.Status.IN_PROGRESS, coach=coach, customer=customer)
        url = f"/api/v1/sessions/{session.id}/end"
        results = fire_at_once([partial(client_for(u).post, url) for u in (coach, customer)])

        assert [status for status, _ in results] == [200, 200], results
        assert {body["status"] for _, body in results} == {"END_REQUEST_PENDING", "COMPLETED"}
        session.refresh_from_db()
        assert session.status == Session.Status.COMPLETED
        assert SessionLog.objects.filter(session=session, action=Action.COMPLETED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_written_after_the_end_when_messages_race_the_completion(postgres):
    for _ in range(ROUNDS):
        coach, customer = CoachFactory(), CustomerFactory()
        session = session_in_state("END_REQUEST_PENDING(customer)", coach=coach, customer=customer)
        coach_client, customer_client = client_for(coach), client_for(customer)
        base = f"/api/v1/sessions/{session.id}"
        requests = [
            partial(customer_client.post, f"{base}/messages", {"text": f"hello {i}"}, format="multipart")
            for i in range(6)
        ]
        requests += [
            partial(coach_client.post, f"{base}/logs", {"action": "MIC_OFF", "text": f"n{i}"}, format="json")
            for i in range(6)
        ]
        requests.insert(6, partial(coach_client.post, f"{base}/end"))

        results = fire_at_once(requests)

        assert all(status in (200, 201, 409) for status, _ in results), results
        session.refresh_from_db()
        assert session.status == Session.Status.COMPLETED
        refused = [body["error"]["code"] for status, body in results if status == 409]
        assert set(refused) <= {"chat_closed", "session_ended"}, refused
        assert not Message.objects.filter(session=session, created_at__gt=session.ended_at).exists()
        assert not SessionLog.objects.filter(session=session, created_at__gt=session.ended_at).exists()
        last = SessionLog.objects.filter(session=session).order_by("-created_at", "-id").first()
        assert last.action == Action.COMPLETED
