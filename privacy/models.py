"""Data exports, erasure audit records and the storage deletions still to retry (SPEC 10)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class DataExport(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        READY = "READY", "Ready"
        FAILED = "FAILED", "Failed"
        EXPIRED = "EXPIRED", "Expired"

    # A build whose worker died is taken over after this long (the claim is a lease).
    BUILD_LEASE = timedelta(minutes=15)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file_name = models.CharField(max_length=255, blank=True, help_text="Key in the default storage.")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    build_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"Export {self.id} ({self.status})"


class ErasureRecord(models.Model):
    """The audit of one erasure: who asked, when, and what each step did (counts, no content)."""

    class Source(models.TextChoices):
        SELF = "SELF", "The person (DELETE me)"
        STAFF = "STAFF", "Staff (erase_user)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The account row is kept (anonymised) so sessions keep their participants; the id stays
    # readable here even if somebody deletes the row later.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_ref = models.UUIDField(editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user_ref", "started_at"])]

    def __str__(self) -> str:
        return f"Erasure of {self.user_ref} at {self.started_at:%Y-%m-%d %H:%M}"


class PendingDeletion(models.Model):
    """Something an erasure could not delete at once (the storage was down): retried by a job."""

    KIND_FILE = "file"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=32, default=KIND_FILE)
    storage_alias = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=500)
    erasure = models.ForeignKey(
        ErasureRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="pending_deletions"
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["done_at", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"
