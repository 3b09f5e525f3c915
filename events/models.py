"""The transactional outbox: one row per change client apps care about (SPEC section 7).

An event is written in the same transaction as its change, so a rollback leaves none. Each
consumer (webhooks, notifications) records that it handled an event with an ``EventReceipt``
row, written in the same transaction as the consumer's own rows (deliveries, notifications):
the unique (event, consumer) pair is what makes a fan-out happen once, whatever the number of
relays or sweeps racing for it.

Relays find their work through ``relayed_at``: an event is pending until every consumer has handled
it. A relay claims a batch of pending events with ``SELECT ... FOR UPDATE SKIP LOCKED`` in the
transaction that writes the consumers' rows and marks the batch relayed, so two relays never hold
one event, and a relay that dies leaves its batch unlocked and still pending.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # {"session": {...}, "actor": {...} | None, "previous": {...}} and the like: the SPEC's payload.
    data = models.JSONField(default=dict)
    # For staff to find the events of a session, and for consumers that need it without parsing data.
    session_id = models.UUIDField(null=True, blank=True)
    # When every consumer had handled it (None: pending, for the relay and the sweep).
    relayed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A consumer failed on it: not claimed again before this (the sweep's pace), then retried.
    relay_retry_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["session_id", "created_at"]),
            # What relays claim, oldest first: only the pending rows, so it stays small.
            models.Index(fields=["created_at"], name="event_pending_idx", condition=models.Q(relayed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    def as_payload(self) -> dict:
        """The event as the SPEC writes it: ``{id, type, created_at, data}``."""
        return {
            "id": str(self.id),
            "type": self.type,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }


class EventReceipt(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="receipts")
    consumer = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "consumer"], name="event_receipt_once")]
