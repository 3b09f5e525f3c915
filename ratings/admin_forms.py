"""Forms and presentation pieces of the ratings admin (the console itself is ``ratings/admin.py``)."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join

from ratings import moderation
from ratings.models import CRITERIA_BY_RATER_ROLE, Rating

# What moderators pick from most days; the text lands in the reason box, where it can be edited.
CANNED_REJECTION_REASONS = [
    "Ratings may not contain contact details (e-mail addresses, phone numbers or links).",
    "Offensive or abusive language is not allowed.",
    "The text is not about this session.",
    "It shares personal information about someone.",
    "Advertising or spam.",
]

# Compact score labels for the list ("C4 K5 P3 H4"); the full names are in the cell's tooltip.
SCORE_LABELS = {
    "communication": "C",
    "knowledge": "K",
    "punctuality": "P",
    "helpfulness": "H",
    "engagement": "E",
    "preparation": "Pr",
}

APPROVE, REJECT = "approve", "reject"
NEXT_SUFFIX = "_next"


class RatingDecisionForm(forms.ModelForm):
    """The only editable part of a rating's page: the moderator's decision.

    The page's buttons post ``decision`` = approve / reject, or approve_next / reject_next to go
    on to the next waiting rating afterwards."""

    decision = forms.ChoiceField(
        choices=[
            ("", "— no change —"),
            (APPROVE, "Approve (make public)"),
            (REJECT, "Reject"),
            (APPROVE + NEXT_SUFFIX, "Approve and next"),
            (REJECT + NEXT_SUFFIX, "Reject and next"),
        ],
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
        help_text="Only staff see it (in the rating's History).",
    )

    class Meta:
        model = Rating
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision") or ""
        self.go_next = decision.endswith(NEXT_SUFFIX)
        decision = decision.removesuffix(NEXT_SUFFIX)
        cleaned["decision"] = decision
        if decision == REJECT and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for the rejection.")
        target = {APPROVE: Rating.Status.APPROVED, REJECT: Rating.Status.REJECTED}.get(decision)
        if target and self.instance.status == target:
            self.add_error(None, f"The rating is already {self.instance.get_status_display().lower()}.")
        return cleaned


class RejectForm(forms.Form):
    canned = forms.ChoiceField(
        choices=[("", "— write your own —"), *[(r, r) for r in CANNED_REJECTION_REASONS]],
        required=False,
        label="Common reasons",
    )
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


class ApproveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        required=False,
        max_length=2000,
        label="Internal note",
    )


def highlighted(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` escaped, with each span the moderation rules matched in a ``<mark>``."""
    parts, at = [], 0
    for start, end, reason in spans:
        parts.append(format_html("{}", text[at:start]))
        parts.append(format_html('<mark title="{}">{}</mark>', moderation.describe_reason(reason), text[start:end]))
        at = end
    parts.append(format_html("{}", text[at:]))
    return format_html_join("", "{}", ((p,) for p in parts))


def compact_scores(rating: Rating) -> str:
    # In the criteria's own order: PostgreSQL's jsonb does not keep the keys' order.
    raw = rating.scores or {}
    order = CRITERIA_BY_RATER_ROLE.get(rating.rater_role, ())
    scores = {name: raw[name] for name in order if name in raw} | raw
    short = " ".join(f"{SCORE_LABELS.get(name, name[:2].title())}{value}" for name, value in scores.items())
    full = ", ".join(f"{name} {value}" for name, value in scores.items())
    return format_html('<span class="scores" title="{}"><b>{}/5</b> {}</span>', full, rating.overall, short)


def decision_time(rating: Rating):
    """When the rating's current status was decided: by a moderator, or else by the automatic check."""
    if rating.moderated_at:
        return rating.moderated_at
    if rating.auto_moderated_at and rating.status != Rating.Status.PENDING:
        return rating.auto_moderated_at
    return None
