"""From a change to the receiver: the outbox, its consumer, the sender (eager tasks, as `make run`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from events.models import Event, EventReceipt
from events.services import event_emit, events_dispatch_pending
from sessions_app import services as sessions
from tests.factories import AppointmentFactory
from tests.webhooks.receiver import signature_valid
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)


def _in(hours: float):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def test_a_booking_reaches_subscribed_active_endpoints_once(api, coach, customer, endpoint_for, receiver):
    _, all_secret = endpoint_for("/all")
    endpoint_for("/bookings", events=["session.booked"])
    endpoint_for("/coaches", events=["coach.verified"])
    off, _ = endpoint_for("/off")
    WebhookEndpoint.objects.filter(pk=off.pk).update(is_active=False)
    appointment = AppointmentFactory(coach=coach, start=_in(3))

    res = api(customer).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(appointment.id)}, format="json"
    )

    assert res.status_code == 201
    (got,) = receiver.at("/all")
    assert signature_valid(all_secret, got.headers, got.body)
    assert got.json["type"] == "session.booked"
    assert got.json["data"]["session"] == res.json()
    assert got.json["data"]["actor"] == {"id": str(customer.id), "role": "customer"}
    assert len(receiver.at("/bookings")) == 1
    assert receiver.at("/coaches") == [] and receiver.at("/off") == []
    event = Event.objects.get()
    assert set(WebhookDelivery.objects.values_list("endpoint__url", "status")) == {
        (receiver.url("/all"), "SUCCEEDED"),
        (receiver.url("/bookings"), "SUCCEEDED"),
    }
    assert EventReceipt.objects.filter(event=event, consumer="webhooks").count() == 1
    # Relays and sweeps that come later find the receipt: nothing fans out twice.
    assert events_dispatch_pending(older_than=timedelta(0)) == 0
    assert WebhookDelivery.objects.count() == 2


def test_a_rolled_back_booking_sends_nothing(coach, customer, endpoint_for, receiver):
    endpoint_for("/all")
    appointment = AppointmentFactory(coach=coach, start=_in(3))
    with pytest.raises(RuntimeError), transaction.atomic():
        sessions.session_book_scheduled(customer=customer, appointment_id=appointment.id)
        raise RuntimeError("something after the booking failed")
    assert not Event.objects.exists() and not WebhookDelivery.objects.exists()
    assert receiver.at("/all") == []


def test_an_event_whose_task_was_lost_is_sent_by_the_sweep(endpoint_for, receiver):
    endpoint_for("/late")
    # Committed, but its dispatch task never ran (a broker outage at the commit, a lost message).
    event = Event.objects.create(
        type="coach.verified", data={"coach_id": "x"}, created_at=timezone.now() - timedelta(minutes=1)
    )
    assert not WebhookDelivery.objects.exists()

    assert events_dispatch_pending() == 1  # the events sweep (beat, 30 s) fans it out and wakes the sender
    (got,) = receiver.at("/late")
    assert got.headers["webhook-id"] == str(event.pk)


def test_deliver_webhooks_sends_what_is_due(endpoint_for, receiver, capsys):
    endpoint, _ = endpoint_for("/retry")
    receiver.script("/retry", 500)
    event_emit(type="coach.verified", data={"coach_id": "x"})  # eager: first attempt at once, a 500
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("PENDING", 1)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())  # the 5 s are over

    call_command("deliver_webhooks")

    assert "1 attempts: 1 succeeded" in capsys.readouterr().out
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 2)
    assert len(receiver.at("/retry")) == 2


def test_a_sender_killed_mid_batch_leaves_claims_that_lapse(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/crash")
    soon = timezone.now() + timedelta(minutes=2)
    # What a worker killed after claiming leaves: its claim and its sender lease, both still live.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(sender_token="dead", sender_until=soon)
    event_emit(type="coach.verified", data={"coach_id": "x"})
    WebhookDelivery.objects.update(claim_token="dead", claimed_until=soon)
    assert services.webhooks_wake_senders() == 0
    call_command("deliver_webhooks")
    assert receiver.at("/crash") == []

    past = timezone.now() - timedelta(seconds=1)  # two minutes later: both have lapsed
    WebhookDelivery.objects.update(claimed_until=past)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(sender_until=past)
    assert services.webhooks_wake_senders() == 1  # the beat job (every 5 s)
    (got,) = receiver.at("/crash")
    assert WebhookDelivery.objects.get().status == "SUCCEEDED"
