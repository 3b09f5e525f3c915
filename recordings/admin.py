from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from config.api.errors import ApplicationError
from recordings import services
from recordings.models import Recording, RecordingFile, WebhookEvent


class RecordingFileInline(admin.TabularInline):
    model = RecordingFile
    extra = 0
    can_delete = False
    readonly_fields = ["name", "content_type", "size_bytes", "duration_seconds", "deleted_at", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RecordingInline(admin.TabularInline):
    """Shown on the session's admin page."""

    model = Recording
    extra = 0
    can_delete = False
    fields = ["status", "started_at", "stopped_at", "duration_seconds", "size_bytes", "expires", "failure_reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session")  # available_until reads it

    @admin.display(description="available until")
    def expires(self, obj: Recording):
        return obj.available_until


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "session_number",
        "status",
        "source",
        "started_at",
        "duration_seconds",
        "size_bytes",
        "expires",
        "expired_at",
    ]
    list_filter = ["status", "source", "created_at"]
    search_fields = ["=id", "=sid", "session__channel_name", "session__coach__email", "session__customer__email"]
    list_select_related = ["session"]
    readonly_fields = [f.name for f in Recording._meta.fields] + ["expires"]
    inlines = [RecordingFileInline]
    actions = ["extend_retention", "expire_now"]

    def has_add_permission(self, request) -> bool:
        return False  # recordings come from Agora or `manage.py import_recording`

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting the row would orphan its files in the bucket: "Expire now" deletes both

    @admin.display(description="session", ordering="session__number")
    def session_number(self, obj: Recording):
        return format_html("{}", obj.session.display_number)

    @admin.display(description="available until")
    def expires(self, obj: Recording):
        return obj.available_until

    @admin.action(description="Extend retention by 30 days", permissions=["change"])
    def extend_retention(self, request, queryset):
        self._each(request, queryset, lambda r: services.recording_extend_retention(recording=r, days=30), "extended")

    @admin.action(description="Expire now (delete the files)", permissions=["change"])
    def expire_now(self, request, queryset):
        self._each(request, queryset, lambda r: services.recording_expire(recording=r), "expired")

    def _each(self, request, queryset, action, verb: str) -> None:
        done = 0
        for recording in queryset.select_related("session"):
            try:
                action(recording)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{recording.id}: {exc.message}", messages.WARNING)
                continue
            self.log_change(request, recording, f"{verb.capitalize()} by staff action.")  # who did it, in History
        self.message_user(request, f"{done} recording(s) {verb}.", messages.SUCCESS)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["id", "product_id", "event_type", "sid", "received_at", "processed_at", "result"]
    list_filter = ["product_id", "event_type"]
    search_fields = ["=sid", "=notice_id", "key"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
