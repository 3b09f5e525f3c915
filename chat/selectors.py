"""Reads of the chat. The session lifecycle uses the two functions below (report, start-call)."""

from __future__ import annotations


def message_counts(*, session) -> dict:
    """``{"messages_count", "media_count"}`` of a session, for its report."""
    return {"messages_count": 0, "media_count": 0}


def messages_for_call(*, session, request, limit: int = 50) -> list[dict]:
    """The latest messages, oldest first, serialized as the API shows them (start-call)."""
    return []
