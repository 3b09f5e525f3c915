"""Reads of the chat. ``message_counts`` and ``messages_latest`` feed the chat's parts of the
session report and of ``start-call`` (``chat/parts.py``)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from chat.models import Message
from config.api.errors import NotFoundError
from sessions_app.models import Session
from sessions_app.selectors import session_get_for_user


def message_list(*, session: Session) -> QuerySet[Message]:
    """A session's messages, oldest first; the sender is joined so a page costs one query."""
    return Message.objects.filter(session=session).select_related("sender").order_by("created_at", "id")


def message_get_for_user(*, user: User, session_id, message_id) -> Message:
    """A message of a session ``user`` takes part in; 404 for anyone else, whatever the ids."""
    session = session_get_for_user(user=user, session_id=session_id)
    message = Message.objects.select_related("sender").filter(session=session, pk=message_id).first()
    if message is None:
        raise NotFoundError("No such message.")
    return message


def message_counts(*, session: Session) -> dict[str, int]:
    """``{"messages_count", "media_count"}`` of a session."""
    counts = Message.objects.filter(session=session).aggregate(
        messages_count=Count("id"), media_count=Count("id", filter=~Q(media=""))
    )
    return {"messages_count": counts["messages_count"], "media_count": counts["media_count"]}


def messages_latest(*, session: Session, limit: int = 50) -> list[Message]:
    """The latest ``limit`` messages of a session, oldest first."""
    latest = list(message_list(session=session).order_by("-created_at", "-id")[:limit])
    latest.reverse()
    return latest
