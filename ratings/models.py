from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

# Who rates whom on what. The customer rates the coach, the coach rates the customer.
CRITERIA_BY_RATER_ROLE: dict[str, tuple[str, ...]] = {
    "customer": ("communication", "knowledge", "punctuality", "helpfulness"),
    "coach": ("punctuality", "engagement", "preparation"),
}
SCORE_MIN = 1
SCORE_MAX = 5
FEEDBACK_MIN_LENGTH = 10
FEEDBACK_MAX_LENGTH = 2000


def short_name(user) -> str:
    """ "Ines L.": enough for staff to tell people apart in titles, without the whole name."""
    initial = f" {user.last_name[:1]}." if user.last_name else ""
    return f"{user.first_name}{initial}".strip() or user.email


class Rating(models.Model):
    class RaterRole(models.TextChoices):
        COACH = "coach", "Coach"
        CUSTOMER = "customer", "Customer"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        FLAGGED = "FLAGGED", "Flagged"
        APPROVED = "APPROVED", "Approved"
        REJECTED = "REJECTED", "Rejected"

    # Waiting for a human (or, while PENDING and not yet auto-moderated, for the task).
    WAITING_STATUSES = (Status.PENDING, Status.FLAGGED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings_given")
    ratee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings_received")
    rater_role = models.CharField(max_length=16, choices=RaterRole.choices)
    overall = models.PositiveSmallIntegerField()
    scores = models.JSONField(default=dict)
    feedback = models.TextField(max_length=FEEDBACK_MAX_LENGTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    flag_reasons = models.JSONField(default=list, blank=True)
    # Set once by the automatic moderation: the claim that makes the task safe to run twice.
    auto_moderated_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, max_length=2000)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("moderate_rating", "Can moderate ratings")]
        indexes = [
            # The public list of a coach and the aggregate recomputation.
            models.Index(fields=["ratee", "status", "created_at"], name="rating_ratee_status_idx"),
            # The moderation queue and the backlog job.
            models.Index(fields=["status", "created_at"], name="rating_status_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "rater"], name="one_rating_per_rater_per_session"),
            models.CheckConstraint(
                condition=Q(overall__gte=SCORE_MIN) & Q(overall__lte=SCORE_MAX), name="rating_overall_1_to_5"
            ),
            models.CheckConstraint(condition=~Q(rater=models.F("ratee")), name="rating_rater_is_not_ratee"),
            models.CheckConstraint(condition=Q(rater_role__in=["coach", "customer"]), name="rating_rater_role_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "FLAGGED", "APPROVED", "REJECTED"]), name="rating_status_valid"
            ),
        ]

    def __str__(self) -> str:
        # Reads the rater, the ratee and the session: lists select them (``list_select_related``).
        return (
            f"Rating {self.overall}/5 by {short_name(self.rater)} for {short_name(self.ratee)}, "
            f"{self.session.display_number}"
        )

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING_STATUSES


class BlocklistWord(models.Model):
    """A word or phrase that sends a rating to staff (matched case-insensitively, on word boundaries)."""

    word = models.CharField(max_length=100)
    note = models.CharField(max_length=200, blank=True, help_text="Why this word is on the list (internal).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["word"]
        verbose_name = "blocklist word"
        constraints = [models.UniqueConstraint(Lower("word"), name="blocklist_word_unique_ci")]

    def __str__(self) -> str:
        return self.word
