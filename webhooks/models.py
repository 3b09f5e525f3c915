"""Outgoing webhooks (SPEC section 7): the receiving endpoints, one delivery per (event, endpoint),
and every attempt of it.

A delivery row is written by the outbox consumer "webhooks" in the transaction that records its
receipt, so an event fans out once per endpoint; the unique (event, endpoint) pair guards it too.
Senders claim due deliveries with a conditional update (``claim_token`` / ``claimed_until``), and an
endpoint has at most one sender at a time (``sender_token`` / ``sender_until``), so one slow
receiver occupies one worker, never all of them. An endpoint that does not answer at all is paused
(``paused_until``): one probe on the retry schedule's pace instead of an attempt per delivery.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from events.models import Event


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.CharField("URL", max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    # Event types it receives; empty means every type.
    event_types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField("active", default=True)
    # Signs every delivery; shown once (at creation and at each rotation), never again.
    secret = models.CharField(max_length=100, editable=False)
    # The secret before the last rotation, still signing beside the new one until it expires.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    # Since when every attempt failed (None once one succeeds): past WEBHOOK_DISABLE_AFTER_DAYS, disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # It did not answer at all (refused, timed out, unresolvable, refused by the SSRF guard): its
    # deliveries wait, without attempts, until then; the first one sent afterwards probes it.
    paused_until = models.DateTimeField(null=True, blank=True, editable=False)
    sender_token = models.CharField(max_length=32, blank=True, editable=False)
    sender_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, now) -> list[str]:
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Attempts in the current round (a redelivery starts a new round; every attempt stays in history).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")]
        indexes = [
            # What a sender claims: an endpoint's due deliveries, oldest first.
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=models.Q(status="PENDING"),
            ),
            models.Index(fields=["status", "created_at"], name="webhook_delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="history")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    response_body = models.TextField(blank=True)  # the first KiB of the answer
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["delivery", "at"], name="webhook_attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"
