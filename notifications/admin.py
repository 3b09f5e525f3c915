"""The delivery log: per notification, each channel's status, attempts and last error."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications.models import Delivery, Device, Notification


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "status", "attempts", "last_error", "next_attempt_at", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "state", "due_at", "delivery_summary", "read_at"]
    list_filter = ["kind", "state", "deliveries__status", "deliveries__channel"]
    search_fields = ["recipient__email", "=session__id", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    inlines = [DeliveryInline]
    readonly_fields = [
        "id",
        "recipient",
        "kind",
        "state",
        "title",
        "body",
        "data",
        "session",
        "event_id",
        "due_at",
        "offset_minutes",
        "planned_at",
        "claimed_at",
        "created_at",
        "read_at",
    ]
    exclude = ["claim_token"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("deliveries")

    @admin.display(description=_("Deliveries"))
    def delivery_summary(self, obj: Notification) -> str:
        return ", ".join(f"{d.channel}: {d.get_status_display()} ({d.attempts})" for d in obj.deliveries.all()) or "-"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["updated_at", "channel", "status", "attempts", "notification", "short_error"]
    list_filter = ["channel", "status"]
    search_fields = ["notification__recipient__email", "=notification__id"]
    list_select_related = ["notification"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    @admin.display(description=_("Error"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:120]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["created_at", "platform", "user"]
    list_filter = ["platform"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["id", "user", "platform", "token", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False
