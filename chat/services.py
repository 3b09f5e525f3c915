"""Writes of the chat: sending a message (with its media) and the per-user send rate."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from chat import broadcast
from chat.errors import ChatClosed, Throttled
from chat.media import prepare_upload
from chat.models import Message
from chat.storage import media_delete, media_save
from config.dependencies import cache_required
from config.ratelimit import window_hit
from sessions_app.models import Session

logger = logging.getLogger(__name__)

_WINDOW_SECONDS = 60


def message_send_ensure_open(*, session: Session) -> None:
    """409 ``chat_closed`` unless the session is ``IN_PROGRESS`` or ``END_REQUEST_PENDING``."""
    if session.status not in Session.ACTIVE_STATUSES:
        raise ChatClosed()


def message_send_throttle(*, actor: User, now: float | None = None) -> None:
    """Count one send attempt of ``actor``; 429 ``throttled`` past ``CHAT_MESSAGES_PER_MINUTE``.

    A fixed one-minute window in the cache (Redis when configured, so every web process shares it).
    Called before the body is read, so a flood of uploads is refused cheaply.
    """
    limit = settings.CHAT_MESSAGES_PER_MINUTE
    if limit <= 0:
        return
    now = time.time() if now is None else now
    window = int(now // _WINDOW_SECONDS)
    # The window's number is in the key: the count starts afresh each minute; the key outlives
    # its minute a little so a late hit still finds it. Without the cache the limit cannot be kept:
    # 503 dependency_unavailable, not an unlimited chat.
    with cache_required("chat's send rate"):
        count = window_hit(f"chat:send:{actor.pk}:{window}", window_seconds=_WINDOW_SECONDS * 2)
    if count > limit:
        retry_after = max(1, int((window + 1) * _WINDOW_SECONDS - now))
        raise Throttled(
            f"At most {limit} messages a minute. Try again in {retry_after} seconds.", retry_after=retry_after
        )


def message_send(*, session: Session, sender: User, text: str = "", file=None, now: datetime | None = None) -> Message:
    """Send a message with ``text``, an uploaded ``file``, or both.

    The file is checked completely (type from its bytes, size, image decoding) before anything is
    stored; the session's state is checked again under a row lock, so a message never lands after
    the session ended (a file stored for a message that did not make it is deleted again).
    Subscribers get ``message.created`` once the row is committed.
    """
    message_send_ensure_open(session=session)
    text = text if text.strip() else ""
    prepared = prepare_upload(file) if file is not None else None

    stored_name = ""
    try:
        if prepared is not None:
            # Stored before the row lock is taken: a large upload to S3 must not hold up the
            # session's other messages, its end or its cancellation for as long as it takes.
            stored_name = media_save(
                session_id=session.pk,
                extension=prepared.type.extension,
                content=prepared.content,
                content_type=prepared.content_type,
            )
        with transaction.atomic():
            locked = Session.objects.select_for_update().only("id", "status").get(pk=session.pk)
            message_send_ensure_open(session=locked)
            message = Message(session_id=session.pk, sender=sender, text=text, created_at=now or timezone.now())
            if prepared is not None:
                message.media.name = stored_name
                message.media_kind = prepared.kind
                message.media_content_type = prepared.content_type
                message.media_size = prepared.size
            message.full_clean(exclude=["session", "sender", "media"])
            message.save(force_insert=True)
            transaction.on_commit(lambda: broadcast.message_created(message_id=message.pk))
    except BaseException:
        if stored_name:
            # The row did not make it: leave no orphan file behind.
            media_delete(stored_name)
        raise
    return message
