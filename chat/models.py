from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TEXT_MAX_LENGTH = 4000


class Message(models.Model):
    """A chat message of a session: text, a media file, or both. Kept for good (no user delete)."""

    class MediaKind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    # The name is made by the server (chat/<session_id>/<uuid>.<ext>); never the client's file name.
    media = models.FileField(max_length=255, blank=True)
    media_kind = models.CharField(max_length=8, choices=MediaKind.choices, blank=True)
    media_content_type = models.CharField(max_length=64, blank=True)
    media_size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The cursor pagination walks (session, created_at, id) in both directions.
            models.Index(fields=["session", "created_at", "id"], name="chat_msg_session_cursor"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text="") | ~Q(media=""), name="chat_message_text_or_media"),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} @ {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def has_media(self) -> bool:
        return bool(self.media and self.media.name)
