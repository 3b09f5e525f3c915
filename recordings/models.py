from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Recording(models.Model):
    """One Agora cloud recording of a session (or an MP4 attached by hand with ``import_recording``).

    ``available_until`` is computed: the session's end plus ``RECORDING_RETENTION_DAYS``, or
    ``retention_extended_until`` when staff extended it further.
    """

    class Status(models.TextChoices):
        STARTING = "STARTING", "Starting"
        RECORDING = "RECORDING", "Recording"
        PROCESSING = "PROCESSING", "Processing"
        AVAILABLE = "AVAILABLE", "Available"
        FAILED = "FAILED", "Failed"
        EXPIRED = "EXPIRED", "Expired"

    class Source(models.TextChoices):
        AGORA = "AGORA", "Agora cloud recording"
        IMPORT = "IMPORT", "Imported by hand"

    ACTIVE_STATUSES = (Status.STARTING, Status.RECORDING)
    # What the retention job deletes once the window is over (active ones are stopped first).
    EXPIRABLE_STATUSES = (Status.PROCESSING, Status.AVAILABLE, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("sessions_app.Session", on_delete=models.PROTECT, related_name="recordings")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTING)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.AGORA)
    recorder_uid = models.PositiveBigIntegerField(null=True, blank=True)
    resource_id = models.CharField(max_length=512, blank=True)
    sid = models.CharField(max_length=128, blank=True, db_index=True)
    file_prefix = models.CharField(max_length=255, blank=True, help_text="Storage folder Agora writes into.")
    upload_completed = models.BooleanField(
        default=False, help_text="Agora reported that every file reached (or is on its way to) the bucket."
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    retention_extended_until = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # The retention job's lease: a run claims a batch by writing its token, so two workers
    # never process the same row; a crashed run's lease lapses after EXPIRY_LEASE.
    expiry_claim = models.CharField(max_length=36, blank=True, db_index=True)
    expiry_claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Claimed by the one request or task that calls Agora's stop (a conditional update), so
    # concurrent stops make one call; a claim older than a few minutes (a crash) can be retaken.
    stop_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    EXPIRY_LEASE = timedelta(minutes=15)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "created_at"]),
            models.Index(fields=["status", "session"]),
        ]
        constraints = [
            # One running recording per session: the loser of two concurrent starts hits this
            # and answers 409 already_recording.
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(status__in=["STARTING", "RECORDING"]),
                name="one_active_recording_per_session",
            ),
        ]

    def __str__(self) -> str:
        # The session's number, not the recording's id: the title staff read on its page and in History.
        return f"Recording of {self.session.display_number} ({self.get_status_display()})"

    @property
    def available_until(self) -> datetime | None:
        ended_at = self.session.ended_at
        if ended_at is None:
            return self.retention_extended_until
        until = ended_at + timedelta(days=settings.RECORDING_RETENTION_DAYS)
        if self.retention_extended_until and self.retention_extended_until > until:
            return self.retention_extended_until
        return until

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class RecordingFile(models.Model):
    """A file of a recording in the recordings storage (only MP4 files are registered)."""

    id = models.BigAutoField(primary_key=True)
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=500, help_text="Key in the recordings storage.")
    content_type = models.CharField(max_length=100, default="video/mp4")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["recording", "name"], name="recording_file_name_unique")]

    def __str__(self) -> str:
        return self.name


class WebhookEvent(models.Model):
    """One Agora Notification Center event, stored once: Agora may deliver an event twice."""

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=255, unique=True)
    notice_id = models.CharField(max_length=255, blank=True)
    product_id = models.IntegerField(null=True, blank=True)
    event_type = models.IntegerField(null=True, blank=True)
    sid = models.CharField(max_length=128, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sid", "event_type"])]

    def __str__(self) -> str:
        return self.key
