from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from backoffice.audit import staff_audit
from backoffice.display import duration, when
from config.api.errors import ApplicationError
from recordings import services
from recordings.models import Recording, RecordingFile, WebhookEvent
from sessions_app.selectors import session_number_from


@admin.display(description="play")
def play_link(recording: Recording) -> str:
    """For AVAILABLE recordings: the staff play view, which makes a fresh time-limited link on click
    (no storage call per listed row, and no link that expires while the page stays open)."""
    if recording.status != Recording.Status.AVAILABLE:
        return "-"
    url = reverse("admin:recordings_recording_play", args=[recording.pk])
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">Play</a>', url)


@admin.display(description="size", ordering="size_bytes")
def human_size(recording: Recording) -> str:
    return filesizeformat(recording.size_bytes) if recording.size_bytes is not None else "-"


@admin.display(description="length", ordering="duration_seconds")
def human_duration(recording: Recording) -> str:
    return duration(recording.duration_seconds)


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
    fields = ["status", "started_at", "stopped_at", human_duration, human_size, "expires", play_link, "failure_reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session")  # available_until reads it

    @admin.display(description="available until")
    def expires(self, obj: Recording) -> str:
        return when(obj.available_until)


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = [
        "session_number",
        "status",
        "source",
        "started_at",
        human_duration,
        human_size,
        "expires",
        play_link,
    ]
    list_filter = ["status", "source", "created_at"]
    search_fields = [
        "=id",
        "=sid",
        "session__channel_name",
        "session__coach__email",
        "session__customer__email",
        "session__coach__first_name",
        "session__coach__last_name",
        "session__customer__first_name",
        "session__customer__last_name",
    ]
    search_help_text = "Session number (SESS-000026 or 26), names, e-mails, id or Agora sid."
    list_select_related = ["session"]
    readonly_fields = [f.name for f in Recording._meta.fields] + ["expires", play_link]

    def get_urls(self):
        play = path(
            "<path:object_id>/play/", self.admin_site.admin_view(self.play_view), name="recordings_recording_play"
        )
        return [play, *super().get_urls()]

    def play_view(self, request, object_id):
        recording = self.get_object(request, object_id)
        if recording is None or not self.has_view_permission(request, recording):
            raise PermissionDenied
        try:  # the participants' stream service: the same retention and availability rules
            link = services.recording_stream_link(recording=recording)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:recordings_recording_change", args=[recording.pk]))
        return HttpResponseRedirect(link.url)

    def get_search_results(self, request, queryset, search_term):
        if (number := session_number_from(search_term)) is not None:
            return queryset.filter(session__number=number), False
        return super().get_search_results(request, queryset, search_term)

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
    def expires(self, obj: Recording) -> str:
        return when(obj.available_until)

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
            recording.refresh_from_db()
            until = f" (available until {recording.available_until:%Y-%m-%d %H:%M} UTC)" if verb == "extended" else ""
            staff_audit(request, recording, f"{verb.capitalize()} by staff action{until}.")  # who, in History
        self.message_user(request, f"{done} recording(s) {verb}.", messages.SUCCESS)


class UnprocessedFilter(admin.SimpleListFilter):
    title = "processed"
    parameter_name = "unprocessed"

    def lookups(self, request, model_admin):
        return [("1", "Not processed yet")]

    def queryset(self, request, queryset):
        return queryset.filter(processed_at__isnull=True) if self.value() == "1" else queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["id", "product_id", "event_type", "sid", "received_at", "processed_at", "result"]
    list_filter = [UnprocessedFilter, "product_id", "event_type"]
    search_fields = ["=sid", "=notice_id", "key"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
