"""The staff side of the session policies: the problem-report queue and staff postpone proposals.

Every staff decision here goes through its service and is then appended, in words, to the object's
History (``backoffice.audit.staff_audit``): shown on the object's own page and in the session's
timeline, never overwritten by a later one.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from backoffice.audit import history_table, staff_audit, with_note
from backoffice.display import when
from config.api.errors import ApplicationError
from sessions_app.admin_search import SessionNumberSearchMixin, people_search
from sessions_app.models import Appointment, PostponeRequest, ProblemReport, Session, SessionLog
from sessions_app.services import postpone, problems

PEOPLE_SEARCH = people_search("session__coach", "session__customer")


def _person(user) -> str:
    # Text, not a link: a read-only foreign key's link would lead viewers without accounts.view_user to a 403.
    return f"{user.get_full_name()} <{user.email}>" if user else "-"


def _session_link(session: Session) -> str:
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    return format_html('<a href="{}">{}</a>', url, session.display_number)


class InternalNoteForm(forms.Form):
    note = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        label="Internal note",
        help_text="Only staff see it, in the request's History and the session's timeline.",
    )


class _PolicyAdmin(SessionNumberSearchMixin, admin.ModelAdmin):
    """Shared by both queues: search by session number and names; read-only pages without Save."""

    list_select_related = ["session", "session__coach", "session__customer"]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session", "session__coach", "session__customer")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the History and the session's record stay

    def log_change(self, request, obj, message):
        # Django's generic "Changed decision and note." says nothing: the decision is written in words.
        return None

    @admin.display(description="session", ordering="session__number")
    def session_number(self, obj) -> str:
        return obj.session.display_number

    @admin.display(description="session")
    def session_link(self, obj) -> str:
        return _session_link(obj.session)

    @admin.display(description="coach → customer")
    def people(self, obj) -> str:
        return f"{obj.session.coach.get_full_name()} → {obj.session.customer.get_full_name()}"

    @admin.display(description="decisions (UTC)")
    def staff_history(self, obj) -> str:
        return history_table(obj)


@admin.register(PostponeRequest)
class PostponeRequestAdmin(_PolicyAdmin):
    list_display = ["session_number", "status", "proposed_start", "people", "requested_by_name", "created_at"]
    list_display_links = ["session_number"]
    list_filter = ["status"]
    list_select_related = [*_PolicyAdmin.list_select_related, "requested_by"]
    search_fields = PEOPLE_SEARCH
    search_help_text = "Session number (SESS-000026 or 26), coach or customer names and e-mails."
    readonly_fields = [
        "session_link",
        "status",
        "scheduled_start",
        "proposed_start",
        "proposed_end",
        "requested_by_name",
        "reason",
        "created_at",
        "expires_at",
        "answered_at",
        "staff_history",
    ]
    fields = readonly_fields
    actions = ["withdraw"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by")

    @admin.display(description="requested by")
    def requested_by_name(self, obj: PostponeRequest) -> str:
        return _person(obj.requested_by)

    @admin.display(description="now scheduled")
    def scheduled_start(self, obj: PostponeRequest) -> str:
        return when(obj.session.scheduled_start)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_withdraw": self.has_change_permission(request),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return super().change_view(request, object_id, form_url, extra_context=extra)

    @admin.action(description="Withdraw the selected open requests (asks to confirm)", permissions=["change"])
    def withdraw(self, request, queryset):
        requests = list(queryset.select_related("session", "requested_by").order_by("created_at"))
        form = InternalNoteForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            context = {
                **self.admin_site.each_context(request),
                "title": "Withdraw postpone requests",
                "opts": self.opts,
                "form": form,
                "rows": requests,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/sessions_app/confirm_withdraw.html", context)
        note, done = form.cleaned_data["note"].strip(), 0
        for item in requests:
            try:
                withdrawn = postpone.postpone_request_withdraw(request=item, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{item.session.display_number}: {exc.message}", messages.WARNING)
                continue
            done += 1
            staff_audit(request, withdrawn, with_note("Withdrawn by staff", note=note))
        if done:
            self.message_user(request, f"{done} request(s) withdrawn.", messages.SUCCESS)
        return None


class ProposeForm(InternalNoteForm):
    appointment = forms.ModelChoiceField(queryset=Appointment.objects.none(), label="Another free slot of the coach")
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="The customer reads it with the proposal.",
    )
    field_order = ["appointment", "reason", "note"]

    def __init__(self, *args, session: Session, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment"].queryset = (
            Appointment.objects.filter(coach_id=session.coach_id, is_instant=False, start__gt=timezone.now())
            .with_booking()
            .filter(is_booked=False)
            .not_held()
            .order_by("start")
        )


def propose_view(model_admin: admin.ModelAdmin, request, session_id):
    """Staff propose another time for a session, as the coach would (SPEC 11)."""
    session = get_object_or_404(Session.objects.select_related("coach", "customer"), pk=session_id)
    if not model_admin.has_change_permission(request, session):
        raise PermissionDenied
    form = ProposeForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        reason, note = form.cleaned_data["reason"].strip(), form.cleaned_data["note"].strip()
        try:
            proposed = postpone.postpone_request_create(
                session=session, actor=request.user, appointment_id=form.cleaned_data["appointment"].pk, reason=reason
            )
        except ApplicationError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            message = f"Proposed by staff: {when(proposed.proposed_start)} instead of {when(session.scheduled_start)}"
            staff_audit(
                request,
                proposed,
                with_note(message, reason=reason, note=note, reason_label="Reason given to the customer"),
            )
            model_admin.message_user(request, "Proposed; the customer will answer.", messages.SUCCESS)
            return redirect(reverse("admin:sessions_app_session_change", args=[session.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Propose another time for {session.display_number}",
        "session": session,
        "form": form,
        "opts": model_admin.opts,
    }
    return TemplateResponse(request, "admin/sessions_app/propose.html", context)


def propose_urls(model_admin: admin.ModelAdmin) -> list:
    view = model_admin.admin_site.admin_view(lambda request, session_id: propose_view(model_admin, request, session_id))
    return [path("<uuid:session_id>/propose/", view, name="sessions_app_session_propose")]


class ResolveForm(forms.ModelForm):
    # No default: upholding or dismissing is chosen, never left preselected.
    decision = forms.ChoiceField(
        choices=[
            ("", "— choose —"),
            (ProblemReport.Status.UPHELD, "Uphold"),
            (ProblemReport.Status.DISMISSED, "Dismiss"),
        ],
        required=True,
    )
    note = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Both participants read this."
    )
    internal_note = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only staff see it, in the report's History and the session's timeline.",
    )

    class Meta:
        model = ProblemReport
        fields: list[str] = []


@admin.register(ProblemReport)
class ProblemReportAdmin(_PolicyAdmin):
    """The queue: open reports first, oldest first; each with the session's record beside both statements."""

    list_display = ["session_number", "kind", "status", "reported_by_name", "answered", "people", "created_at"]
    list_display_links = ["session_number"]
    list_filter = ["status", "kind"]
    list_select_related = [*_PolicyAdmin.list_select_related, "reported_by"]
    search_fields = [*PEOPLE_SEARCH, "text"]
    search_help_text = "Session number (SESS-000026 or 26), coach or customer names and e-mails, the report's text."
    form = ResolveForm
    ordering = [
        Case(
            When(status=ProblemReport.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
        ).asc(),
        "created_at",
    ]
    readonly_fields = [
        "session_link",
        "kind",
        "reported_by_name",
        "created_at",
        "text",
        "response",
        "responded_at",
        "attendance",
        "timeline",
        "status",
        "resolution",
        "resolved_by_name",
        "resolved_at",
        "staff_history",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reported_by", "resolved_by")

    def get_fieldsets(self, request, obj=None):
        decision = ["status", "resolution", "resolved_by_name", "resolved_at"]
        if obj is not None and obj.status == ProblemReport.Status.OPEN:
            decision = ["status", "decision", "note", "internal_note"]
        # Read first (both statements, the session's record), then decide, just above the button.
        return [
            ("Report", {"fields": ["session_link", "kind", "reported_by_name", "created_at", "text"]}),
            ("The other participant's answer", {"fields": ["response", "responded_at"]}),
            ("The session's record", {"fields": ["attendance", "timeline"]}),
            ("Decision", {"fields": decision}),
            ("Staff history", {"fields": ["staff_history"]}),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        deciding = report is not None and report.status == ProblemReport.Status.OPEN
        extra = {
            **(extra_context or {}),
            "show_save": deciding and self.has_change_permission(request, report),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context=extra)

    @admin.display(boolean=True, description="Answered")
    def answered(self, obj: ProblemReport) -> bool:
        return obj.responded_at is not None

    @admin.display(description="reported by")
    def reported_by_name(self, obj: ProblemReport) -> str:
        return _person(obj.reported_by)

    @admin.display(description="decided by")
    def resolved_by_name(self, obj: ProblemReport) -> str:
        return _person(obj.resolved_by)

    @admin.display(description="Attendance")
    def attendance(self, obj: ProblemReport) -> str:
        s = obj.session
        if not s.outcome:
            if s.status == Session.Status.COMPLETED:
                return "Not recorded."
            return f"Not decided yet (the session is {s.get_status_display().lower()})."
        return f"Coach {s.attendance_coach}, customer {s.attendance_customer}: {s.get_outcome_display()}"

    @admin.display(description="Timeline (UTC)")
    def timeline(self, obj: ProblemReport) -> str:
        session = obj.session
        logs = SessionLog.objects.filter(session=session).select_related("actor").order_by("created_at", "id")
        roles = {session.coach_id: "coach", session.customer_id: "customer"}

        def who(actor) -> str:
            return f"{actor.get_full_name()} ({roles.get(actor.pk, 'staff')})" if actor else "system"

        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((when(log.created_at), log.action, who(log.actor), log.text) for log in logs[:500]),
        )
        return format_html("<table><tr><th>When</th><th>What</th><th>Who</th><th>Note</th></tr>{}</table>", rows)

    def save_model(self, request, obj, form, change) -> None:
        # The decision goes through the service (it checks the state and writes the session's log);
        # History gets the decision in words, with the note both read and the internal one.
        decision = form.cleaned_data.get("decision")
        if not decision:
            return  # the report was decided meanwhile: its page no longer had the decision box
        note, internal = form.cleaned_data["note"].strip(), form.cleaned_data.get("internal_note", "").strip()
        try:
            decided = problems.problem_report_resolve(report=obj, actor=request.user, decision=decision, note=note)
        except ApplicationError as exc:
            self.message_user(request, f"Not decided: {exc.message}", messages.ERROR)
            return
        request._problem_decided = True
        message = f"{decided.get_status_display()} by staff"
        staff_audit(
            request, decided, with_note(message, reason=note, note=internal, reason_label="Note to both participants")
        )

    def save_related(self, request, form, formsets, change) -> None:
        pass

    def response_change(self, request, obj):
        if not getattr(request, "_problem_decided", False):
            if "decision" not in request.POST or obj.status != ProblemReport.Status.OPEN:
                self.message_user(request, "This report was already decided; nothing changed.", messages.WARNING)
            return HttpResponseRedirect(request.path)  # no "changed successfully"
        number = obj.session.display_number
        self.message_user(request, f"{number}: decided; both participants read the note.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sessions_app_problemreport_changelist"))
