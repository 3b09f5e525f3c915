"""The transactional outbox: one row per change client apps care about (SPEC section 7).

An event is written in the same transaction as its change, so a rollback leaves none. Each
consumer (webhooks, notifications) records that it handled an event with an ``EventReceipt``
row, written in the same transaction as the consumer's own rows (deliveries, notifications):
the unique (event, consumer) pair is what makes a fan-out happen once, whatever the number of
relays or sweeps racing for it.
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

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["session_id", "created_at"])]

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
