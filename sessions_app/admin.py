from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.models import DELETION
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse

from backoffice.audit import staff_audit
from config.admin import ServiceActionMixin
from sessions_app import policy_admin, registry, services
from sessions_app.admin_search import people_search
from sessions_app.models import Appointment, Session, SessionLog, SessionReport
from sessions_app.selectors import session_number_from


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SessionLogInline(ReadOnlyInline):
    model = SessionLog
    fields = ["created_at", "action", "actor", "text"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class SessionReportInline(admin.StackedInline):
    model = SessionReport
    extra = 0
    can_delete = False
    readonly_fields = ["coach_summary", "coach_recommendations", "customer_notes", "updated_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(ServiceActionMixin, admin.ModelAdmin):
    list_display = [
        "display_number",
        "type",
        "status",
        "coach",
        "customer",
        "scheduled_start",
        "duration_minutes",
        "price",
        "currency",
    ]
    list_filter = ["status", "type", "scheduled_start"]
    date_hierarchy = "scheduled_start"
    search_fields = [
        "coach__email",
        "customer__email",
        "coach__first_name",
        "coach__last_name",
        "customer__first_name",
        "customer__last_name",
        "topic",
    ]
    list_select_related = ["coach", "customer"]
    readonly_fields = [f.name for f in Session._meta.fields]
    inlines = [SessionLogInline, SessionReportInline]
    actions = ["cancel_sessions", "complete_sessions", "propose_another_time"]

    def get_urls(self):
        return [*policy_admin.propose_urls(self), *super().get_urls()]

    @admin.action(description="Propose another time (one scheduled, pending session)", permissions=["change"])
    def propose_another_time(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one session to propose another time for.", messages.WARNING)
            return None
        return redirect(reverse("admin:sessions_app_session_propose", args=[queryset.get().pk]))

    def get_inlines(self, request, obj):
        # The satellites' inlines (chat messages, recordings) come from the registry they fill.
        return [*self.inlines, *registry.session_inlines()]

    @admin.display(description="Number", ordering="number")
    def display_number(self, obj: Session) -> str:
        return obj.display_number

    def get_search_results(self, request, queryset, search_term):
        if (number := session_number_from(search_term)) is not None:
            return queryset.filter(number=number), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request) -> bool:
        return False  # sessions are booked through the API, where every rule is checked

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # history is kept; cancel instead

    @admin.action(description="Cancel the selected sessions (not started only)", permissions=["change"])
    def cancel_sessions(self, request, queryset):
        self.run_for_each(
            request,
            queryset,
            lambda s: services.session_cancel(session=s, actor=request.user, reason="Cancelled by staff."),
            label=str,
            done="{count} session(s) cancelled.",
        )

    @admin.action(description="Complete the selected sessions (in progress only)", permissions=["change"])
    def complete_sessions(self, request, queryset):
        self.run_for_each(
            request,
            queryset,
            lambda s: services.session_complete(session=s, actor=request.user, reason="Completed by staff."),
            label=str,
            done="{count} session(s) completed.",
        )


@admin.register(Appointment)
class AppointmentAdmin(ServiceActionMixin, admin.ModelAdmin):
    list_display = ["coach", "start", "end", "duration_minutes", "is_instant", "booked"]
    list_filter = ["is_instant", "duration_minutes", "start"]
    date_hierarchy = "start"
    search_fields = people_search("coach")
    list_select_related = ["coach"]
    readonly_fields = ["is_instant", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_booking()

    @admin.display(boolean=True, description="Booked", ordering="is_booked")
    def booked(self, obj: Appointment) -> bool:
        return obj.is_booked

    def has_add_permission(self, request) -> bool:
        return False  # coaches publish slots through the API, where the rules are checked

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # use the action: it refuses booked slots

    actions = ["delete_free_slots"]

    def has_withdraw_permission(self, request) -> bool:
        # The model's delete permission, although the admin's own delete is off (the action checks bookings).
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.delete_{opts.model_name}")

    @admin.action(description="Delete the selected slots (free ones only)", permissions=["withdraw"])
    def delete_free_slots(self, request, queryset):
        def delete(slot: Appointment) -> None:
            # Written first, in the same transaction: after the delete the slot has no id left to
            # name, and a refused delete rolls its entry back.
            with transaction.atomic():
                when = f"{slot.start:%Y-%m-%d %H:%M} UTC, {slot.duration_minutes} min"
                staff_audit(
                    request, slot, f"Deleted by staff: the free slot of {slot.coach} at {when}.", action_flag=DELETION
                )
                services.appointment_delete(coach=slot.coach, appointment=slot)

        self.run_for_each(request, queryset.select_related("coach"), delete, label=str, done="{count} slot(s) deleted.")
