"""Relays and senders racing on PostgreSQL: every event reaches every endpoint once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from events.models import Event, EventReceipt
from events.services import event_dispatch, events_dispatch_pending
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = 60


def _together(*jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    errors: list = []

    def run(job):
        try:
            barrier.wait(timeout=30)
            job()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a relay hung"
    return errors


def test_two_relays_and_senders_at_once_deliver_each_event_once_per_endpoint(postgres, endpoint_for, receiver):
    endpoint_for("/a")
    endpoint_for("/b", events=["coach.verified"])
    old = timezone.now() - timedelta(minutes=5)
    # Committed events whose tasks never ran: both relays find all of them.
    events = [Event.objects.create(type="coach.verified", data={"n": i}, created_at=old) for i in range(EVENTS)]
    ids = [e.pk for e in events]

    errors = _together(
        lambda: events_dispatch_pending(batch_size=7),  # the sweep, in batches
        lambda: events_dispatch_pending(batch_size=13),  # a second beat, overlapping
        lambda: [event_dispatch(event_id=i) for i in ids],  # the per-event tasks, late
        lambda: [event_dispatch(event_id=i) for i in reversed(ids)],
        lambda: services.webhooks_send_due(workers=2),  # deliver_webhooks, by hand, meanwhile
    )
    assert errors == []
    # What is still due (a sender that found the endpoint taken left it) goes out now.
    services.webhooks_send_due(workers=2)

    assert EventReceipt.objects.filter(consumer="webhooks").count() == EVENTS
    assert WebhookDelivery.objects.count() == 2 * EVENTS
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"SUCCEEDED"}
    for path in ("/a", "/b"):
        per_id = Counter(r.headers["webhook-id"] for r in receiver.at(path))
        assert per_id == Counter({str(i): 1 for i in ids}), path
    assert WebhookAttempt.objects.count() == 2 * EVENTS


def test_two_senders_claiming_one_endpoint_never_send_one_attempt_twice(postgres, endpoint_for, receiver):
    endpoint, _ = endpoint_for("/claimed")
    old = timezone.now() - timedelta(minutes=5)
    events = [Event.objects.create(type="coach.verified", data={}, created_at=old) for _ in range(EVENTS)]
    events_dispatch_pending()  # eager: the first sender already ran; make everything due again
    assert len(receiver.at("/claimed")) == EVENTS
    WebhookDelivery.objects.update(status="PENDING", next_attempt_at=timezone.now())

    # Two senders past the endpoint lease (as if each thought the other dead): only the claims guard.
    def sender():
        from webhooks.services.sending import _claim

        while True:
            _, batch = _claim(endpoint_id=endpoint.pk, now=timezone.now(), limit=5)
            if not batch:
                return
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in batch]).update(status="SUCCEEDED", claim_token="")
            claimed.extend(d.pk for d in batch)

    claimed: list = []
    assert _together(sender, sender, sender) == []
    assert len(claimed) == EVENTS and len(set(claimed)) == EVENTS
    assert len(events) == EVENTS
