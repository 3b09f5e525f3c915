"""The staff side of the session policies: the problem-report queue and staff postpone proposals."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from config.api.errors import ApplicationError
from sessions_app.models import Appointment, PostponeRequest, ProblemReport, Session, SessionLog
from sessions_app.services import postpone, problems


@admin.register(PostponeRequest)
class PostponeRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "session", "status", "proposed_start", "requested_by", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["session", "requested_by"]
    search_fields = ["session__coach__email", "session__customer__email"]
    readonly_fields = [f.name for f in PostponeRequest._meta.fields]
    actions = ["withdraw"]

    def has_add_permission(self, request) -> bool:
        return False  # staff propose from the session page ("Propose another time")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Withdraw the selected open requests", permissions=["change"])
    def withdraw(self, request, queryset):
        for item in queryset.select_related("session"):
            try:
                postpone.postpone_request_withdraw(request=item, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{item}: {exc.message}", messages.WARNING)


class ProposeForm(forms.Form):
    appointment = forms.ModelChoiceField(queryset=Appointment.objects.none(), label="Another free slot of the coach")
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

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
        raise PermissionError
    form = ProposeForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            postpone.postpone_request_create(
                session=session,
                actor=request.user,
                appointment_id=form.cleaned_data["appointment"].pk,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
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
    decision = forms.ChoiceField(
        choices=[(ProblemReport.Status.UPHELD, "Uphold"), (ProblemReport.Status.DISMISSED, "Dismiss")], required=True
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Both participants read this.")

    class Meta:
        model = ProblemReport
        fields: list[str] = []


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    """The queue: open reports first, oldest first; each with the session's record beside both statements."""

    list_display = ["created_at", "session", "kind", "reported_by", "status", "answered"]
    list_filter = ["status", "kind"]
    list_select_related = ["session", "reported_by"]
    search_fields = ["session__coach__email", "session__customer__email", "text"]
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
        "reported_by",
        "created_at",
        "text",
        "response",
        "responded_at",
        "attendance",
        "timeline",
        "status",
        "resolution",
        "resolved_by",
        "resolved_at",
    ]

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status == ProblemReport.Status.OPEN:
            fields += ["decision", "note"]
        return fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(boolean=True, description="Answered")
    def answered(self, obj: ProblemReport) -> bool:
        return obj.responded_at is not None

    @admin.display(description="Session")
    def session_link(self, obj: ProblemReport) -> str:
        url = reverse("admin:sessions_app_session_change", args=[obj.session_id])
        return format_html('<a href="{}">{}</a> (chat and recordings on its page)', url, obj.session.display_number)

    @admin.display(description="Attendance")
    def attendance(self, obj: ProblemReport) -> str:
        s = obj.session
        if not s.outcome:
            return "Not decided yet (the session has not completed)."
        return f"Coach {s.attendance_coach}, customer {s.attendance_customer}: {s.get_outcome_display()}"

    @admin.display(description="Timeline (UTC)")
    def timeline(self, obj: ProblemReport) -> str:
        logs = SessionLog.objects.filter(session=obj.session_id).select_related("actor").order_by("created_at", "id")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (log.created_at.strftime("%Y-%m-%d %H:%M:%S"), log.action, log.actor or "system", log.text)
                for log in logs[:500]
            ),
        )
        return format_html("<table><tr><th>When</th><th>What</th><th>Who</th><th>Note</th></tr>{}</table>", rows)

    def save_model(self, request, obj, form, change) -> None:
        # The decision goes through the service (it checks the state and writes the session's log);
        # the admin's own History entry records who decided.
        decision, note = form.cleaned_data.get("decision"), form.cleaned_data.get("note", "")
        if decision:
            try:
                problems.problem_report_resolve(report=obj, actor=request.user, decision=decision, note=note)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
