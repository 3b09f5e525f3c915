"""An endpoint that does not answer at all is paused: one probe on the retry schedule's pace, not an
attempt per delivery; an endpoint that answers with an error is not (each delivery has its own
schedule); staff's redeliver and enable lift a pause."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from events.services import event_emit
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _event():
    event = event_emit(type="coach.verified", data={"coach_id": "c0ffee"})
    services.webhooks_fan_out(event)
    return event


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once it is closed: connection refused


def test_an_endpoint_that_refuses_connections_is_probed_not_hammered(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/back")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://127.0.0.1:{_closed_port()}/back")
    for _ in range(5):
        _event()
    now = timezone.now()

    first = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now)

    assert (first.attempts, first.failed, first.paused) == (1, 1, True)
    assert WebhookAttempt.objects.count() == 1
    assert "ConnectionRefusedError" in WebhookAttempt.objects.get().error
    # The other four wait, unclaimed and without an attempt of their own.
    assert WebhookDelivery.objects.filter(attempts=0, status="PENDING", claim_token="").count() == 4
    endpoint.refresh_from_db()
    assert endpoint.paused_until == now + timedelta(seconds=5) and endpoint.failing_since == now

    # While paused: the beat job wakes no sender for it, and a sender that comes anyway sends nothing.
    assert services.webhooks_wake_senders(now=now + timedelta(seconds=4)) == 0
    assert services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(seconds=4)).attempts == 0

    # The pause over, one probe; still down after 5 s of failing: the schedule's next step, 5 minutes.
    probe = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(seconds=5))
    assert (probe.attempts, probe.paused) == (1, True)
    endpoint.refresh_from_db()
    assert endpoint.paused_until == now + timedelta(seconds=5 + 300)

    # The receiver is back: the next probe succeeds and everything goes, on one connection.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url("/back"))
    back = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk, now=now + timedelta(seconds=305))
    assert (back.succeeded, back.paused) == (5, False)
    endpoint.refresh_from_db()
    assert (endpoint.paused_until, endpoint.failing_since) == (None, None)
    assert WebhookDelivery.objects.filter(status="SUCCEEDED").count() == 5
    assert len(receiver.at("/back")) == 5


def test_an_endpoint_that_answers_errors_is_not_paused(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/errors")
    receiver.script("/errors", default={"status": 500})
    for _ in range(3):
        _event()

    result = services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)

    assert (result.attempts, result.failed, result.paused) == (3, 3, False)
    endpoint.refresh_from_db()
    assert endpoint.paused_until is None


def test_a_paused_endpoint_receives_nothing_new_until_staff_redeliver(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/staff")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://127.0.0.1:{_closed_port()}/staff")
    _event()
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url("/staff"))
    # A new event does not wake a sender for a paused endpoint.
    _event()
    assert receiver.at("/staff") == []

    # Redeliver is staff saying "try now": the pause is lifted for it.
    delivery = WebhookDelivery.objects.filter(attempts=1).get()
    assert services.webhook_deliveries_redeliver(delivery_ids=[delivery.pk]) == 1
    services.webhook_endpoint_send_due(endpoint_id=endpoint.pk)
    assert len(receiver.at("/staff")) == 2
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).paused_until is None


def test_an_answer_with_nul_bytes_is_recorded(endpoint_for, receiver):
    endpoint, _ = endpoint_for("/binary")
    receiver.script("/binary", default={"status": 200, "body": b"ok\x00\xff"})
    _event()

    assert services.webhook_endpoint_send_due(endpoint_id=endpoint.pk).succeeded == 1
    assert WebhookAttempt.objects.get().response_body == "ok\ufffd\ufffd"
