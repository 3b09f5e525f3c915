"""The outbox consumer "webhooks": an event becomes one delivery per active endpoint subscribed to
its type, written in the transaction of the consumer's receipt (so once), then a sender is woken."""

from __future__ import annotations

from django.utils import timezone

from config.tasks import enqueue_on_commit
from events.models import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint

SEND_TASK = "webhooks.tasks.deliver_endpoint"


def webhooks_fan_out(event: Event) -> None:
    webhooks_fan_out_many([event])


def webhooks_fan_out_many(events: list[Event]) -> None:
    """Two queries whatever the number of events: the active endpoints, one insert of deliveries."""
    now = timezone.now()
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).only("pk", "event_types", "sender_until"))
    rows = [
        WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now, created_at=now, updated_at=now)
        for event in events
        for endpoint in endpoints
        if endpoint.subscribes_to(event.type)
    ]
    if not rows:
        return
    # The receipt makes this run once per event; the unique (event, endpoint) pair is the last guard.
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    for endpoint_id in {row.endpoint_id for row in rows}:
        endpoint = next(e for e in endpoints if e.pk == endpoint_id)
        # A sender at work on this endpoint picks the new rows up itself (it looks again before it
        # lets go): waking another would only queue a task that finds the endpoint taken.
        if endpoint.sender_until is None or endpoint.sender_until <= now:
            enqueue_on_commit(SEND_TASK, str(endpoint_id))
