"""What chat gives an export (messages.json, the files the person sent) and deletes in an erasure."""

from __future__ import annotations

import posixpath

from django.db.models import Q

from chat.models import Message
from privacy import registry

STORAGE_ALIAS = "default"  # chat.storage.media_storage() is the default storage
FILE_DELETED_TEXT = "[file deleted]"


def export_messages(ctx: registry.ExportContext) -> list[dict]:
    """The chats of the person's sessions, as they saw them: both sides' messages (they are the
    conversation), but only the files the person sent themselves are copied into the ZIP."""
    user = ctx.user
    messages = (
        Message.objects.filter(Q(session__coach=user) | Q(session__customer=user))
        .select_related("session")
        .order_by("session__scheduled_start", "session_id", "created_at", "id")
    )
    chats: dict = {}
    for message in messages:
        chat = chats.setdefault(message.session_id, {"session_id": message.session_id, "messages": []})
        mine = message.sender_id == user.pk
        is_coach = message.sender_id == message.session.coach_id
        sender = "you" if mine else ("coach" if is_coach else "customer")
        media = None
        if message.has_media:
            media = {"kind": message.media_kind, "content_type": message.media_content_type, "file": None}
            if mine:
                extension = posixpath.splitext(message.media.name)[1]
                media["file"] = ctx.add_media(
                    storage_alias=STORAGE_ALIAS, name=message.media.name, arcname=f"{message.pk}{extension}"
                )
        chat["messages"].append(
            {"id": message.pk, "sender": sender, "text": message.text, "media": media, "created_at": message.created_at}
        )
    return list(chats.values())


def erase_media(ctx: registry.ErasureContext) -> dict:
    """The files the person sent are deleted; the text stays in the other participant's chat
    (the sender then shows as "Deleted user")."""
    deleted = deferred = 0
    sent = Message.objects.filter(sender=ctx.user).exclude(media="")
    for message in sent:
        name = message.media.name
        gone = ctx.delete_file(storage_alias=STORAGE_ALIAS, name=name)
        # The row forgets the file either way: a deferred deletion is the retry job's now.
        Message.objects.filter(pk=message.pk).update(
            media="",
            media_kind="",
            media_content_type="",
            media_size=None,
            text=message.text or FILE_DELETED_TEXT,
        )
        deleted += gone
        deferred += not gone
    return {"chat_files_deleted": deleted, "chat_files_deferred": deferred}


def register() -> None:
    registry.register_export_part("messages.json", export_messages)
    registry.register_erasure_step("chat.media", erase_media, order=30)
