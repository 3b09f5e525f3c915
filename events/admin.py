from __future__ import annotations

from django.contrib import admin

from events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "type", "session_id", "id"]
    list_filter = ["type"]
    search_fields = ["=id", "=session_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "type", "created_at", "session_id", "data"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
