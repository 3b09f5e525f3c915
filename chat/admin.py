"""Messages are evidence of what happened in a session: read-only for staff, never edited or deleted.
Reading them takes the ``chat.view_message`` permission (superusers have it): being staff is not enough,
so a "moderators" member does not read private chats.

Staff are not participants, so the API's media endpoint is closed to them; the admin links to the
file directly with a fresh time-limited URL (presigned on S3, signed locally).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from chat.models import Message
from chat.storage import media_url
from sessions_app.admin_search import SessionNumberSearchMixin, people_search


@admin.display(description="Media")
def media_link(message: Message) -> str:
    if not message.has_media:
        return "-"
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">{} ({}, {} bytes)</a>',
        media_url(message=message),
        message.media_kind,
        message.media_content_type,
        message.media_size,
    )


class _ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MessageInline(_ReadOnly, admin.TabularInline):
    """For the session admin page: the whole conversation, oldest first."""

    model = Message
    extra = 0
    can_delete = False
    fields = ["created_at", "sender", "text", media_link]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender")


@admin.register(Message)
class MessageAdmin(SessionNumberSearchMixin, _ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "session", "sender", "short_text", "media_kind", media_link]
    list_filter = ["media_kind", "created_at"]
    list_select_related = ["session", "sender"]
    search_fields = ["text", *people_search("sender")]
    search_help_text = "Session number (SESS-000026 or 26), the sender's name or e-mail, or the text."
    date_hierarchy = "created_at"
    fields = [
        "id",
        "session",
        "sender",
        "text",
        "media_kind",
        "media_content_type",
        "media_size",
        media_link,
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="Text")
    def short_text(self, message: Message) -> str:
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"
