"""The staff review console: the moderation queue, decisions through the services, a dashboard.

Moderating needs the ``ratings.moderate_rating`` permission (the "moderators" group has it, see
migration 0002); staff without it can at most look. Every decision goes through
``rating_approve`` / ``rating_reject``, which record who, when and why and keep the coach's
aggregates right; each one is also appended to the rating's History in words (reason and note),
so a later decision never erases an earlier one.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.timesince import timesince

from backoffice.audit import history_table, staff_audit, with_note
from backoffice.display import person
from config.admin import ServiceActionMixin
from config.api.errors import ApplicationError
from ratings import moderation, selectors, services
from ratings.admin_filters import QueueFilter
from ratings.admin_forms import (
    APPROVE,
    CANNED_REJECTION_REASONS,
    REJECT,
    ApproveForm,
    RatingDecisionForm,
    RejectForm,
    compact_scores,
    decision_time,
    highlighted,
)
from ratings.models import BlocklistWord, Rating, short_name
from sessions_app.selectors import session_number_from

MODERATE_PERMISSION = "ratings.moderate_rating"
FEEDBACK_IN_LIST = 300


def _spans(rating: Rating, text: str) -> list[tuple[int, int, str]]:
    # The blocklist words that flagged it are in its reasons: no query per row.
    words = [r[len(moderation.BLOCKLIST_PREFIX) :] for r in rating.flag_reasons or [] if ":" in r]
    return moderation.match_spans(text, blocklist=words)


def _history_message(decided: Rating, *, how: str = "", note: str = "") -> str:
    return with_note(
        f"{decided.get_status_display()}{how}",
        reason=decided.rejection_reason,
        note=note,
        reason_label="Reason given to the rater",
    )


@admin.register(Rating)
class RatingAdmin(ServiceActionMixin, admin.ModelAdmin):
    form = RatingDecisionForm
    change_list_template = "ratings/admin/change_list.html"
    change_form_template = "ratings/admin/change_form.html"
    # Seven columns that fit 1440 px beside the filters: the decision sits under the status, the
    # date over the time, and the feedback (the key column) takes what is left.
    list_display = [
        "feedback_display",
        "flags_display",
        "status_display",
        "scores_display",
        "session_number",
        "people",
        "created",
    ]
    list_display_links = ["feedback_display"]
    list_filter = [QueueFilter, "status", "rater_role", "overall", "created_at"]
    search_fields = [
        "feedback",
        "rater__email",
        "ratee__email",
        "rater__first_name",
        "rater__last_name",
        "ratee__first_name",
        "ratee__last_name",
    ]
    search_help_text = "Feedback, names, e-mails, or a session number (SESS-000026 or 26)."
    list_select_related = ["session", "rater", "ratee", "moderated_by"]
    actions = ["approve_ratings", "reject_ratings"]
    list_per_page = 50
    readonly_fields = [
        "session_number",
        "created_at",
        "rater_display",
        "ratee_display",
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
        "decision_history",
    ]
    fieldsets = [
        # The people as text: a foreign key's read-only link would lead viewers without
        # accounts.view_user to a 403 (the summary on top links them for those allowed).
        (None, {"fields": ["session_number", "created_at", "rater_display", "ratee_display", "rater_role"]}),
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
                    "decision_history",
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

    def get_search_results(self, request, queryset, search_term):
        if (number := session_number_from(search_term)) is not None:
            return queryset.filter(session__number=number), False
        return super().get_search_results(request, queryset, search_term)

    # --- columns ----------------------------------------------------------------------------

    @admin.display(description="session", ordering="session__number")
    def session_number(self, rating: Rating) -> str:
        return rating.session.display_number

    @admin.display(description="scores")
    def scores_display(self, rating: Rating) -> str:
        return compact_scores(rating)

    @admin.display(description="feedback")
    def feedback_display(self, rating: Rating) -> str:
        text = Truncator(rating.feedback).chars(FEEDBACK_IN_LIST)
        return format_html('<span class="feedback">{}</span>', highlighted(text, _spans(rating, text)))

    @admin.display(description="flag reasons")
    def flags_display(self, rating: Rating) -> str:
        if not rating.flag_reasons:
            return "-"
        return format_html_join(", ", "{}", ((moderation.describe_reason(r),) for r in rating.flag_reasons))

    @admin.display(description="rater")
    def rater_display(self, rating: Rating) -> str:
        return f"{rating.rater.get_full_name()} <{rating.rater.email}>"

    @admin.display(description="ratee")
    def ratee_display(self, rating: Rating) -> str:
        return f"{rating.ratee.get_full_name()} <{rating.ratee.email}>"

    @admin.display(description="rater → ratee")
    def people(self, rating: Rating) -> str:
        role = rating.get_rater_role_display().lower()
        return format_html(
            "{} → {}<br><small>by the {}</small>", short_name(rating.rater), short_name(rating.ratee), role
        )

    @admin.display(description="status", ordering="status")
    def status_display(self, rating: Rating) -> str:
        when = decision_time(rating)
        if when is None:
            return rating.get_status_display()
        return format_html(
            '{}<br><small class="decided">{}<br>{}</small>',
            rating.get_status_display(),
            short_name(rating.moderated_by) if rating.moderated_by_id else "automatic",
            when.strftime("%Y-%m-%d %H:%M UTC"),
        )

    @admin.display(description="created", ordering="created_at")
    def created(self, rating: Rating) -> str:
        return format_html("{}<br><small>{}</small>", f"{rating.created_at:%Y-%m-%d}", f"{rating.created_at:%H:%M} UTC")

    @admin.display(description="decided by")
    def decided_by(self, rating: Rating) -> str:
        if rating.moderated_by_id:
            return str(rating.moderated_by)
        if rating.auto_moderated_at and rating.status != Rating.Status.PENDING:
            return "automatic moderation"
        return "-"

    @admin.display(description="decided at", ordering="moderated_at")
    def decided_at(self, rating: Rating) -> str:
        when = decision_time(rating)
        return when.strftime("%Y-%m-%d %H:%M UTC") if when else "-"

    @admin.display(description="decisions, oldest first")
    def decision_history(self, rating: Rating) -> str:
        return history_table(rating)  # every decision with its reason and note: a revision erases none

    # --- one by one: the decision on the rating's page ------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session", "rater", "ratee", "moderated_by")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rating = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if rating is not None:
            extra.update(self._rating_context(request, rating))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _rating_context(self, request, rating: Rating) -> dict:
        """What a moderator decides with: the text with its matches marked, the people (linked
        only for those allowed to open them), and the rater's earlier ratings."""
        user = request.user

        session = rating.session.display_number
        if user.has_perm("sessions_app.view_session"):
            url = reverse("admin:sessions_app_session_change", args=[rating.session_id])
            session = format_html('<a href="{}">{}</a>', url, session)
        earlier = Rating.objects.filter(rater_id=rating.rater_id).exclude(pk=rating.pk)
        counts = earlier.aggregate(
            total=Count("pk"),
            rejected=Count("pk", filter=Q(status=Rating.Status.REJECTED)),
            approved=Count("pk", filter=Q(status=Rating.Status.APPROVED)),
        )
        return {
            "rating": rating,
            "rating_feedback": highlighted(rating.feedback, _spans(rating, rating.feedback)),
            "rating_flags": [moderation.describe_reason(r) for r in rating.flag_reasons or []],
            "rating_rater": person(user, rating.rater),
            "rating_ratee": person(user, rating.ratee),
            "rating_session": session,
            "rater_earlier": earlier.select_related("session", "ratee").order_by("-created_at")[:10],
            "rater_counts": counts,
            "can_moderate": self.has_moderate_permission(request),
            "canned_reasons": CANNED_REJECTION_REASONS,
        }

    def save_model(self, request, obj: Rating, form, change: bool) -> None:
        # Never obj.save(): the decision goes through the services, which lock; History gets our words.
        decision = form.cleaned_data.get("decision")
        note = (form.cleaned_data.get("note") or "").strip()
        try:
            if decision == APPROVE:
                decided = services.rating_approve(rating=obj, moderator=request.user, note=note)
            elif decision == REJECT:
                decided = services.rating_reject(
                    rating=obj, moderator=request.user, reason=form.cleaned_data["reason"], note=note
                )
            else:
                return
        except ApplicationError as exc:
            self.message_user(request, f"Not changed: {exc.message}", messages.ERROR)
            return
        self._audit(request, decided, note=note)

    def save_related(self, request, form, formsets, change) -> None:
        pass

    def log_change(self, request, obj, message):
        # Django's generic "Changed decision, reason and Internal note." says nothing: save_model
        # wrote the decision itself, in words.
        return None

    def response_change(self, request, obj):
        form_next = getattr(request, "_rating_go_next", False)
        if not form_next:
            return super().response_change(request, obj)
        following = (
            Rating.objects.filter(status__in=Rating.WAITING_STATUSES)
            .exclude(pk=obj.pk)
            .order_by("created_at")
            .values_list("pk", flat=True)
            .first()
        )
        self.message_user(request, f"{obj}: {obj.get_status_display().lower()}.", messages.SUCCESS)
        if following is None:
            self.message_user(request, "Nothing else is waiting.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:ratings_rating_changelist"))
        return HttpResponseRedirect(reverse("admin:ratings_rating_change", args=[following]))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class Form(form_class):
            def clean(form):
                cleaned = super().clean()
                request._rating_go_next = form.go_next
                return cleaned

        return Form

    def _audit(self, request, decided: Rating, *, how: str = "", note: str = "") -> None:
        staff_audit(request, decided, _history_message(decided, how=how, note=note))

    # --- in bulk: actions with a preview and a confirmation ----------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _apply(self, request, queryset, decide, *, note: str = "") -> None:
        done, skipped = 0, []
        for rating in queryset.select_related("session", "rater", "ratee").order_by("created_at"):
            try:
                decided = decide(rating)
                done += 1
            except ApplicationError as exc:
                skipped.append(f"{rating.session.display_number}: {exc.message}")
                continue
            self._audit(request, decided, how=" (bulk action)", note=note)
        if done:
            self.message_user(request, f"{done} rating(s) updated.", messages.SUCCESS)
        if skipped:
            self.message_user(request, "Skipped " + "; ".join(skipped), messages.WARNING)

    def _confirm_page(self, request, queryset, *, action: str, form, title: str):
        ratings = list(queryset.select_related("session", "rater", "ratee").order_by("created_at"))
        rows = [(r, highlighted(r.feedback, _spans(r, r.feedback))) for r in ratings]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "rows": rows,
            "count": len(ratings),
            "flagged": [r for r in ratings if r.status == Rating.Status.FLAGGED],
            "decided": [r for r in ratings if not r.is_waiting],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": action,
            "verb": "Approve" if action == "approve_ratings" else "Reject",
        }
        return TemplateResponse(request, "ratings/admin/decide_ratings.html", context)

    @admin.action(description="Approve selected ratings (asks to confirm)", permissions=["moderate"])
    def approve_ratings(self, request, queryset):
        form = ApproveForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            note = form.cleaned_data["note"].strip()
            self._apply(
                request,
                queryset,
                lambda rating: services.rating_approve(rating=rating, moderator=request.user, note=note),
                note=note,
            )
            return None  # back to the list
        return self._confirm_page(request, queryset, action="approve_ratings", form=form, title="Approve ratings")

    @admin.action(description="Reject selected ratings (asks for a reason)", permissions=["moderate"])
    def reject_ratings(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason, note = form.cleaned_data["reason"], form.cleaned_data["note"].strip()
            self._apply(
                request,
                queryset,
                lambda rating: services.rating_reject(rating=rating, moderator=request.user, reason=reason, note=note),
                note=note,
            )
            return None  # back to the list
        return self._confirm_page(request, queryset, action="reject_ratings", form=form, title="Reject ratings")

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
