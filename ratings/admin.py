"""The staff review console: the moderation queue, decisions through the services, a dashboard.

Moderating needs the ``ratings.moderate_rating`` permission (the "moderators" group has it, see
migration 0002); staff without it can at most look. Every decision goes through
``rating_approve`` / ``rating_reject``, which record who, when and why and keep the coach's
aggregates right.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.utils.timesince import timesince

from config.admin import ServiceActionMixin
from config.api.errors import ApplicationError
from ratings import moderation, selectors, services
from ratings.models import BlocklistWord, Rating

MODERATE_PERMISSION = "ratings.moderate_rating"


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting (pending or flagged)"), ("decided", "Decided (approved or rejected)")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(status__in=Rating.WAITING_STATUSES)
        if self.value() == "decided":
            return queryset.exclude(status__in=Rating.WAITING_STATUSES)
        return queryset


class RatingDecisionForm(forms.ModelForm):
    """The only editable part of a rating's page: the moderator's decision."""

    decision = forms.ChoiceField(
        choices=[("", "— no change —"), ("approve", "Approve (make public)"), ("reject", "Reject")],
        required=False,
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="Required to reject. The rater sees it.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label="Internal note",
        help_text="Only staff see it.",
    )

    class Meta:
        model = Rating
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for the rejection.")
        target = {"approve": Rating.Status.APPROVED, "reject": Rating.Status.REJECTED}.get(decision or "")
        if target and self.instance.status == target:
            self.add_error("decision", f"The rating is already {self.instance.get_status_display().lower()}.")
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        max_length=2000,
        help_text="The raters see this reason.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        required=False,
        max_length=2000,
        label="Internal note",
    )


@admin.register(Rating)
class RatingAdmin(ServiceActionMixin, admin.ModelAdmin):
    form = RatingDecisionForm
    change_list_template = "ratings/admin/change_list.html"
    list_display = [
        "session_number",
        "rater",
        "ratee",
        "rater_role",
        "overall",
        "scores_display",
        "feedback_excerpt",
        "flags_display",
        "status",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    list_filter = [QueueFilter, "status", "rater_role", "overall", "created_at"]
    search_fields = ["feedback", "rater__email", "ratee__email", "rater__first_name", "ratee__first_name"]
    list_select_related = ["session", "rater", "ratee", "moderated_by"]
    actions = ["approve_ratings", "reject_ratings"]
    list_per_page = 50
    readonly_fields = [
        "session_number",
        "created_at",
        "rater",
        "ratee",
        "rater_role",
        "overall",
        "scores_display",
        "feedback",
        "status",
        "flags_display",
        "auto_moderated_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "moderation_note",
    ]
    _rating_fieldsets = [
        (None, {"fields": ["session_number", "created_at", "rater", "ratee", "rater_role"]}),
        ("Rating", {"fields": ["overall", "scores_display", "feedback"]}),
        (
            "Moderation",
            {
                "fields": [
                    "status",
                    "flags_display",
                    "auto_moderated_at",
                    "decided_by",
                    "decided_at",
                    "rejection_reason",
                    "moderation_note",
                ]
            },
        ),
    ]

    # --- permissions ------------------------------------------------------------------------

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm(MODERATE_PERMISSION)

    def has_add_permission(self, request) -> bool:
        return False  # ratings come from the API only

    def has_change_permission(self, request, obj=None) -> bool:
        # "Changing" a rating means deciding about it: the moderators' permission, not change_rating.
        return self.has_moderate_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # reject instead: the aggregates and the audit trail stay right

    # --- queue ------------------------------------------------------------------------------

    def get_ordering(self, request) -> list:
        # Pending and flagged first, oldest first: the queue reads top-down. An expression, not
        # ``ordering``, because the rank is not a model field.
        waiting_first = Case(
            When(status__in=Rating.WAITING_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [waiting_first.asc(), "created_at"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(self._rating_fieldsets)
        if obj is not None and self.has_moderate_permission(request):
            fieldsets.append(("Decision", {"fields": ["decision", "reason", "note"]}))
        return fieldsets

    # --- columns ----------------------------------------------------------------------------

    @admin.display(description="session", ordering="session__number")
    def session_number(self, rating: Rating) -> str:
        return rating.session.display_number

    @admin.display(description="scores")
    def scores_display(self, rating: Rating) -> str:
        return ", ".join(f"{name} {score}" for name, score in (rating.scores or {}).items())

    @admin.display(description="feedback")
    def feedback_excerpt(self, rating: Rating) -> str:
        return Truncator(rating.feedback).chars(80)

    @admin.display(description="flag reasons")
    def flags_display(self, rating: Rating) -> str:
        if not rating.flag_reasons:
            return "-"
        return format_html_join(", ", "{}", ((moderation.describe_reason(r),) for r in rating.flag_reasons))

    @admin.display(description="decided by")
    def decided_by(self, rating: Rating) -> str:
        if rating.moderated_by_id:
            return str(rating.moderated_by)
        if rating.auto_moderated_at and rating.status != Rating.Status.PENDING:
            return "automatic moderation"
        return "-"

    @admin.display(description="decided at", ordering="moderated_at")
    def decided_at(self, rating: Rating):
        if rating.moderated_at:
            return rating.moderated_at
        if rating.auto_moderated_at and rating.status != Rating.Status.PENDING:
            return rating.auto_moderated_at
        return None

    # --- one by one: the decision on the rating's page ------------------------------------------

    def save_model(self, request, obj: Rating, form, change: bool) -> None:
        # Never obj.save(): the decision goes through the services, which lock and audit.
        decision = form.cleaned_data.get("decision")
        note = form.cleaned_data.get("note") or ""
        try:
            if decision == "approve":
                services.rating_approve(rating=obj, moderator=request.user, note=note)
            elif decision == "reject":
                services.rating_reject(
                    rating=obj, moderator=request.user, reason=form.cleaned_data["reason"], note=note
                )
        except ApplicationError as exc:
            self.message_user(request, f"Not changed: {exc.message}", messages.ERROR)

    def save_related(self, request, form, formsets, change) -> None:
        pass

    # --- in bulk: actions -------------------------------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _apply(self, request, queryset, decide) -> None:
        self.run_for_each(
            request,
            queryset.order_by("created_at"),
            decide,
            label=lambda rating: f"Skipped {rating.session.display_number}",
            done="{count} rating(s) updated.",
            # The admin's history of the rating keeps every decision, not only the latest one.
            history=lambda decided: (
                f"{decided.status.capitalize()} (bulk action)"
                + (f": {decided.rejection_reason}" if decided.rejection_reason else "")
            ),
        )

    @admin.action(description="Approve selected ratings", permissions=["moderate"])
    def approve_ratings(self, request, queryset) -> None:
        self._apply(request, queryset, lambda rating: services.rating_approve(rating=rating, moderator=request.user))

    @admin.action(description="Reject selected ratings (asks for a reason)", permissions=["moderate"])
    def reject_ratings(self, request, queryset):
        if "apply" in request.POST:
            form = RejectForm(request.POST)
            if form.is_valid():
                reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
                self._apply(
                    request,
                    queryset,
                    lambda rating: services.rating_reject(
                        rating=rating, moderator=request.user, reason=reason, note=note
                    ),
                )
                return None  # back to the list
        else:
            form = RejectForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject ratings",
            "opts": self.model._meta,
            "form": form,
            "ratings": queryset.select_related("session", "rater", "ratee").order_by("created_at"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "reject_ratings",
        }
        return TemplateResponse(request, "ratings/admin/reject_ratings.html", context)

    # --- dashboard --------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="ratings_rating_dashboard"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        stats = selectors.rating_queue_stats()
        changelist = reverse("admin:ratings_rating_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Rating moderation dashboard",
            "opts": self.model._meta,
            "stats": stats,
            "oldest_age": timesince(stats.oldest_waiting_at, stats.now) if stats.oldest_waiting_at else None,
            "queue_url": f"{changelist}?queue=waiting",
            "flagged_url": f"{changelist}?status__exact=FLAGGED",
            "pending_url": f"{changelist}?status__exact=PENDING",
            "can_moderate": self.has_moderate_permission(request),
        }
        return TemplateResponse(request, "ratings/dashboard.html", context)


@admin.register(BlocklistWord)
class BlocklistWordAdmin(admin.ModelAdmin):
    list_display = ["word", "note", "created_at"]
    search_fields = ["word", "note"]
    ordering = ["word"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields[
            "word"
        ].help_text = "Matched as a whole word or phrase, ignoring case. Applies to ratings moderated from now on."
        return form
