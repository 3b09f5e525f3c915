"""The outbox consumer "webhooks": an event becomes one delivery per active endpoint subscribed to
its type, written in the transaction of the consumer's receipt (so once), then a sender is woken."""

from __future__ import annotations

from django.utils import timezone

from config.bulk import insert_rows
from config.tasks import enqueue_on_commit
from events.models import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint

SEND_TASK = "webhooks.tasks.deliver_endpoint"
_DELIVERY_COLUMNS = (
    "event_id",
    "endpoint_id",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "claim_token",
    "created_at",
    "updated_at",
)


def webhooks_fan_out(event: Event) -> None:
    webhooks_fan_out_many([event])


def webhooks_fan_out_many(events: list[Event]) -> None:
    """Two queries whatever the number of events: the active endpoints, one insert of deliveries."""
    now = timezone.now()
    endpoints = list(
        WebhookEndpoint.objects.filter(is_active=True).only("pk", "event_types", "sender_until", "paused_until")
    )
    pending = WebhookDelivery.Status.PENDING
    rows = [
        (event.pk, endpoint.pk, pending, 0, now, "", "", now, now)
        for event in events
        for endpoint in endpoints
        if endpoint.subscribes_to(event.type)
    ]
    if not rows:
        return
    # The receipt makes this run once per event; the unique (event, endpoint) pair is the last guard.
    insert_rows(WebhookDelivery, _DELIVERY_COLUMNS, rows, ignore_conflicts=True)
    for endpoint in endpoints:
        if not any(row[1] == endpoint.pk for row in rows):
            continue
        # A sender at work on this endpoint picks the new rows up itself (it looks again before it
        # lets go): waking another would only queue a task that finds the endpoint taken. A paused
        # endpoint's deliveries wait for the pause to end (the beat job wakes a sender then).
        busy = endpoint.sender_until is not None and endpoint.sender_until > now
        paused = endpoint.paused_until is not None and endpoint.paused_until > now
        if not busy and not paused:
            enqueue_on_commit(SEND_TASK, str(endpoint.pk))
