"""The session page and list for staff, over ``sessions_app``'s own admin: a summary header, one merged
timeline (logs, chat, recordings, ratings, staff actions), technical fields folded away, and staff
cancel/complete with a confirmation page, a reason people see and an internal note for History."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from backoffice.audit import staff_audit, with_note
from backoffice.display import duration, person
from backoffice.selectors import session_timeline, sessions_real_end
from chat.admin import MessageInline  # replaced by the merged timeline
from config.api.errors import ApplicationError
from sessions_app import services
from sessions_app.admin import SessionAdmin, SessionLogInline
from sessions_app.models import PostponeRequest, ProblemReport, Session


class LiveFilter(admin.SimpleListFilter):
    title = "live"
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("1", "Live now (in progress or end requested)")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(status__in=Session.ACTIVE_STATUSES)
        return queryset


class StuckFilter(admin.SimpleListFilter):
    """What the periodic job should have moved and did not: the dashboard's "stuck" links."""

    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("active", "Running past end + grace"), ("pending", "Pending past their end")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            grace = timedelta(minutes=settings.SESSION_GRACE_MINUTES)
            return queryset.filter(status__in=Session.ACTIVE_STATUSES, scheduled_end__lte=now - grace)
        if self.value() == "pending":
            return queryset.filter(status=Session.Status.PENDING, scheduled_end__lte=now)
        return queryset


class StaffMoveForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Both participants see this (the session's cancel reason, or the completion log).",
    )
    note = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        label="Internal note",
        help_text="Only staff see it, in the session's History and timeline.",
    )


TECHNICAL_FIELDS = [
    "id",
    "appointment_id",
    "channel_name",
    "coach_uid",
    "customer_uid",
    "end_requested_by_name",
    "end_requested_at",
    "created_at",
    "updated_at",
]


class StaffSessionAdmin(SessionAdmin):
    change_form_template = "backoffice/session_change_form.html"
    list_display = ["display_number", "status", "type", "coach_name", "customer_name", "scheduled_start", "length"]
    list_filter = [LiveFilter, StuckFilter, *SessionAdmin.list_filter]
    search_help_text = "Number (SESS-000026 or 26), names, e-mails or topic."
    fieldsets = [
        (
            "Session",
            {
                "fields": [
                    "number",
                    "type",
                    "status",
                    "topic",
                    ("scheduled_start", "scheduled_end"),
                    "duration_minutes",
                    ("price", "currency"),
                    ("started_at", "ended_at"),
                    ("cancelled_at", "cancelled_by_name"),
                    "cancel_reason",
                ]
            },
        ),
        ("Technical", {"classes": ["collapse"], "fields": TECHNICAL_FIELDS}),
    ]

    # People as plain text in the read-only fields: a foreign key's link would lead viewers without
    # accounts.view_user to a 403. The summary on top links coach and customer for those allowed.
    readonly_fields = [*SessionAdmin.readonly_fields, "cancelled_by_name", "end_requested_by_name", "appointment_id"]

    @admin.display(description="cancelled by")
    def cancelled_by_name(self, obj: Session) -> str:
        return obj.cancelled_by.get_full_name() if obj.cancelled_by_id else "-"

    @admin.display(description="end requested by")
    def end_requested_by_name(self, obj: Session) -> str:
        return obj.end_requested_by.get_full_name() if obj.end_requested_by_id else "-"

    @admin.display(description="coach", ordering="coach__last_name")
    def coach_name(self, obj: Session) -> str:
        return obj.coach.get_full_name()

    @admin.display(description="customer", ordering="customer__last_name")
    def customer_name(self, obj: Session) -> str:
        return obj.customer.get_full_name()

    @admin.display(description="length", ordering="duration_minutes")
    def length(self, obj: Session) -> str:
        return duration(obj.duration_minutes * 60)

    def get_inlines(self, request, obj):
        # The merged timeline shows logs and chat; the report, recordings and other apps' inlines stay.
        replaced = {SessionLogInline, MessageInline}
        return [inline for inline in super().get_inlines(request, obj) if inline not in replaced]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, object_id)
        extra = {
            **(extra_context or {}),
            # Every field is read-only: no Save buttons. Cancel and complete have their own.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if session is not None:
            timeline, hidden = session_timeline(session=session, user=request.user)
            extra.update(
                session=session,
                coach=person(request.user, session.coach),
                customer=person(request.user, session.customer),
                session_length=duration(session.duration_minutes * 60),
                actual_length=duration((session.ended_at - session.started_at).total_seconds())
                if session.started_at and session.ended_at
                else "",
                timeline=timeline,
                timeline_hidden=hidden,
                can_move=self.has_change_permission(request, session),
                policy_links=self._policy_links(request, session),
                action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _policy_links(self, request, session: Session) -> list[tuple[str, str]]:
        """The session's postpone requests and problem reports, for those who may read them."""
        links = []
        for model, label in ((PostponeRequest, "postpone requests"), (ProblemReport, "problem reports")):
            if request.user.has_perm(f"sessions_app.view_{model._meta.model_name}"):
                url = reverse(f"admin:sessions_app_{model._meta.model_name}_changelist")
                links.append((f"its {label}", f"{url}?{urlencode({'q': session.display_number})}"))
        return links

    # --- staff cancel and complete: confirm, then through the services ----------------------------

    def _confirm(self, request, sessions, *, action: str, verb: str, form, ends=None):
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verb} sessions",
            "opts": self.model._meta,
            "form": form,
            "rows": [(s, (ends or {}).get(s.pk)) for s in sessions],
            "verb": verb,
            "action_name": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "backoffice/confirm_sessions.html", context)

    def _move(self, request, sessions, move, *, verb: str, done_verb: str, reason: str, note: str) -> None:
        done, refused = 0, []
        for session in sessions:
            try:
                moved = move(session)
            except ApplicationError as exc:
                refused.append(f"{session.display_number}: {exc.message}")
                continue
            done += 1
            staff_audit(request, moved, with_note(f"{verb} by staff", reason=reason, note=note))
        if done:
            self.message_user(request, f"{done} session(s) {done_verb}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(
        description="Cancel the selected sessions (not started only; asks for a reason)", permissions=["change"]
    )
    def cancel_sessions(self, request, queryset):
        sessions = list(queryset.select_related("coach", "customer").order_by("scheduled_start"))
        form = StaffMoveForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self._confirm(request, sessions, action="cancel_sessions", verb="Cancel", form=form)
        reason, note = form.cleaned_data["reason"].strip(), form.cleaned_data["note"].strip()
        self._move(
            request,
            sessions,
            lambda s: services.session_cancel(session=s, actor=request.user, reason=reason),
            verb="Cancelled",
            done_verb="cancelled",
            reason=reason,
            note=note,
        )
        return None

    @admin.action(
        description="Complete the selected sessions (in progress only; asks to confirm)", permissions=["change"]
    )
    def complete_sessions(self, request, queryset):
        sessions = list(queryset.select_related("coach", "customer").order_by("scheduled_start"))
        # A session stuck for days ended when its time was over or its last activity, not today.
        ends = sessions_real_end(sessions=sessions)
        form = StaffMoveForm(
            request.POST if "apply" in request.POST else None, initial={"reason": "Completed by staff."}
        )
        if not (form.is_bound and form.is_valid()):
            return self._confirm(request, sessions, action="complete_sessions", verb="Complete", form=form, ends=ends)
        reason, note = form.cleaned_data["reason"].strip(), form.cleaned_data["note"].strip()
        self._move(
            request,
            sessions,
            lambda s: services.session_complete(session=s, actor=request.user, reason=reason, ended_at=ends[s.pk]),
            verb="Completed",
            done_verb="completed",
            reason=reason,
            note=note,
        )
        return None
