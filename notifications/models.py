"""Notifications: the inbox rows, their per-channel deliveries, push devices and preferences.

A notification is ``PLANNED`` (a reminder or a join-window notice with its ``due_at``, made at
booking), ``CLAIMED`` (a worker took it with a conditional update and is releasing it) or ``SENT``
(rendered in the recipient's language, in the inbox, its deliveries made). Immediate notifications
are ``SENT`` from the start. Each channel's attempt at it is a :class:`Delivery`: the admin's log.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind


class Notification(models.Model):
    class State(models.TextChoices):
        PLANNED = "PLANNED", _("Planned")
        CLAIMED = "CLAIMED", _("Claimed")
        SENT = "SENT", _("Sent")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.SENT)
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    # Ids a client needs to open the right screen: session_id, rating_id, recording_id.
    data = models.JSONField(default=dict, blank=True)
    session = models.ForeignKey(
        "sessions_app.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The outbox event it came from (none for planned releases and account e-mails).
    event_id = models.UUIDField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    # Reminders: minutes before the start (the join-window notice: JOIN_EARLY_MINUTES).
    offset_minutes = models.PositiveIntegerField(null=True, blank=True)
    # When it reached the inbox (planned rows: when released); the inbox is ordered by it.
    created_at = models.DateTimeField(default=timezone.now)
    planned_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "state", "-created_at"], name="notification_inbox"),
            models.Index(fields=["state", "due_at"], name="notification_due"),
            models.Index(fields=["session", "state"], name="notification_session"),
            models.Index(fields=["claim_token"], name="notification_claim"),
        ]
        constraints = [
            # The last guard against planning one reminder twice (two relays of one event).
            models.UniqueConstraint(
                fields=["session", "recipient", "kind", "offset_minutes"],
                condition=Q(state="PLANNED"),
                name="notification_one_planned_per_offset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.recipient_id}"


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PUSH = "push", _("Push")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SENDING = "SENDING", _("Sending")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Failed")
        SKIPPED = "SKIPPED", _("Skipped")

    id = models.BigAutoField(primary_key=True)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class Device(models.Model):
    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", "Web"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices")
    platform = models.CharField(max_length=8, choices=Platform.choices)
    # An FCM registration token: one device, one owner (the same token again moves it).
    token = models.CharField(max_length=512, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.platform} {self.token[:12]}..."


class NotificationPreference(models.Model):
    """Only what the user changed; everything else is the default of ``notifications.kinds``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_preference"
    )
    email = models.JSONField(default=dict, blank=True)
    push = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
