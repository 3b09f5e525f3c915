"""The chat's parts of the session core's answers (see ``sessions_app/registry.py``): the latest
messages in ``start-call``, the message and media counts in the report, the conversation on the
session's admin page."""

from __future__ import annotations

from rest_framework import serializers

from chat import selectors
from chat.admin import MessageInline
from chat.serializers import MessageSerializer
from sessions_app import registry


def _render_messages(messages: list, request) -> dict:
    return {"messages": MessageSerializer(messages, many=True, context={"request": request}).data}


call_messages = registry.Part(
    select=lambda session: selectors.messages_latest(session=session),
    render=_render_messages,
    schema=lambda: {"messages": serializers.ListField(child=serializers.DictField())},
)

report_counts = registry.Part(
    select=lambda session: selectors.message_counts(session=session),
    render=lambda counts, request: dict(counts),
    schema=lambda: {"messages_count": serializers.IntegerField(), "media_count": serializers.IntegerField()},
)


def register() -> None:
    registry.register_part(registry.START_CALL, call_messages)
    registry.register_part(registry.REPORT, report_counts)
    registry.register_session_inline(MessageInline)
