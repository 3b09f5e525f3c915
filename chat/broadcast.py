"""Pushes to a session's WebSocket group, through the channel layer (Redis when configured).

Called after the transaction that made the change commits. A failing channel layer is logged and
swallowed: the REST answer and the stored data never depend on live delivery.
"""

from __future__ import annotations

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from rest_framework.renderers import JSONRenderer

from chat.models import Message
from chat.serializers import MessageSerializer
from sessions_app.serializers import SessionSerializer

logger = logging.getLogger(__name__)


def session_group(session_id) -> str:
    return f"chat.session.{session_id}"


def _plain(data) -> dict:
    # Serializer output holds UUIDs, Decimals and ordered dicts; the Redis layer wants plain JSON types.
    return json.loads(JSONRenderer().render(data))


def _send(session_id, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(session_group(session_id), event)
    except Exception:
        logger.exception("Could not push %s to session %s", event.get("type"), session_id)


def message_created(*, message_id) -> None:
    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None:
        return
    _send(message.session_id, {"type": "message.created", "message": _plain(MessageSerializer(message).data)})


def session_updated(*, session) -> None:
    _send(session.pk, {"type": "session.updated", "session": _plain(SessionSerializer(session).data)})
