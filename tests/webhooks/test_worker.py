"""Once through a real Celery worker on Redis: booking -> outbox -> worker relay -> receiver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from events.tasks import dispatch_pending_events
from tests.factories import AppointmentFactory
from tests.webhooks.receiver import signature_valid
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_booking_is_relayed_by_a_real_worker(live_celery_worker, api, coach, customer, endpoint_for, receiver):
    _, secret = endpoint_for("/worker")
    appointment = AppointmentFactory(coach=coach, start=(timezone.now() + timedelta(hours=3)).replace(second=0))

    res = api(customer).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(appointment.id)}, format="json"
    )

    assert res.status_code == 201
    # Nothing was sent in the request: the worker relays it.
    (got,) = receiver.wait_for("/worker", 1)
    assert signature_valid(secret, got.headers, got.body)
    assert got.json["type"] == "session.booked" and got.json["data"]["session"]["id"] == res.json()["id"]
    delivery = WebhookDelivery.objects.get()
    for _ in range(100):
        delivery.refresh_from_db()
        if delivery.status == "SUCCEEDED":
            break
        import time

        time.sleep(0.05)
    assert delivery.status == "SUCCEEDED"


def test_the_beat_sweep_on_a_worker_relays_an_event_whose_task_was_lost(live_celery_worker, endpoint_for, receiver):
    endpoint_for("/swept")
    event = Event.objects.create(
        type="coach.verified", data={"coach_id": "x"}, created_at=timezone.now() - timedelta(minutes=1)
    )
    assert dispatch_pending_events.delay().get(timeout=20) == 1
    (got,) = receiver.wait_for("/swept", 1)
    assert got.headers["webhook-id"] == str(event.pk)
