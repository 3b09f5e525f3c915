"""Writes of the rating domain: submitting, automatic and human moderation, coach aggregates.

Lock order, everywhere: the ratee's coach profile first (``select_for_update``), then the rating
row. Approvals, rejections and the automatic moderation of one coach's ratings therefore queue up
on the profile, and each recomputes the aggregates seeing the others' committed decisions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import CoachProfile, User
from config.api.errors import InvalidState, NotFoundError, PermissionDeniedError
from config.tasks import enqueue_on_commit
from ratings import moderation
from ratings.errors import AlreadyRated, RatingInvalid
from ratings.events import rating_published_emit
from ratings.models import (
    CRITERIA_BY_RATER_ROLE,
    FEEDBACK_MAX_LENGTH,
    FEEDBACK_MIN_LENGTH,
    SCORE_MAX,
    SCORE_MIN,
    BlocklistWord,
    Rating,
)
from sessions_app.models import Session

logger = logging.getLogger(__name__)

_CENTS = Decimal("0.01")


def _score_errors(value, *, name: str) -> list[str]:
    # bool is an int in Python; a JSON true is not a score.
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{name} must be a whole number from {SCORE_MIN} to {SCORE_MAX}."]
    if not SCORE_MIN <= value <= SCORE_MAX:
        return [f"{name} must be from {SCORE_MIN} to {SCORE_MAX}."]
    return []


def rating_validate(*, rater_role: str, overall, scores, feedback) -> dict[str, list[str]]:
    """The field errors of a rating for ``rater_role`` (empty when it is valid)."""
    errors: dict[str, list[str]] = {}
    if msgs := _score_errors(overall, name="overall"):
        errors["overall"] = msgs
    expected = CRITERIA_BY_RATER_ROLE[rater_role]
    if not isinstance(scores, dict):
        errors["scores"] = [f"An object with a score for each of: {', '.join(expected)}."]
    else:
        for criterion in expected:
            if criterion not in scores:
                errors[f"scores.{criterion}"] = ["This criterion is required."]
            elif msgs := _score_errors(scores[criterion], name=criterion):
                errors[f"scores.{criterion}"] = msgs
        for criterion in scores:
            if criterion not in expected:
                errors[f"scores.{criterion}"] = [
                    f"Unknown criterion for a {rater_role}'s rating; expected: {', '.join(expected)}."
                ]
    if not isinstance(feedback, str):
        errors["feedback"] = ["Text is required."]
    elif not FEEDBACK_MIN_LENGTH <= len(feedback.strip()) <= FEEDBACK_MAX_LENGTH:
        errors["feedback"] = [f"Write between {FEEDBACK_MIN_LENGTH} and {FEEDBACK_MAX_LENGTH} characters."]
    return errors


def rating_submit(*, session: Session, rater: User, overall: int, scores: dict, feedback: str) -> Rating:
    """The participant ``rater`` rates the other participant of the COMPLETED ``session``, once.

    The rating starts PENDING; the automatic moderation is enqueued once the row is committed.
    """
    rater_role = Rating.RaterRole.COACH if rater.pk == session.coach_id else Rating.RaterRole.CUSTOMER
    if not session.is_participant(rater):
        raise NotFoundError("No such session.")
    if errors := rating_validate(rater_role=rater_role, overall=overall, scores=scores, feedback=feedback):
        raise RatingInvalid(fields=errors)
    if session.status != Session.Status.COMPLETED:
        raise InvalidState("A session can be rated once it is completed.")
    if Rating.objects.filter(session=session, rater=rater).exists():
        raise AlreadyRated()
    try:
        # The unique constraint is the real guard: two requests at once both pass the check above.
        with transaction.atomic():
            rating = Rating.objects.create(
                session=session,
                rater=rater,
                ratee_id=session.other_participant_id(rater),
                rater_role=rater_role,
                overall=overall,
                scores={criterion: scores[criterion] for criterion in CRITERIA_BY_RATER_ROLE[rater_role]},
                feedback=feedback.strip(),
            )
    except IntegrityError:
        if Rating.objects.filter(session=session, rater=rater).exists():
            raise AlreadyRated()
        raise

    # Guarded: a broker that is down leaves the committed rating PENDING for the backlog sweep.
    enqueue_on_commit("ratings.tasks.moderate_rating", str(rating.pk))
    return rating


def _lock_coach_profile(*, user_id) -> CoachProfile | None:
    return CoachProfile.objects.select_for_update().filter(user_id=user_id).first()


def rating_recompute_for_coach(*, coach_id) -> CoachProfile | None:
    """Recompute the coach's average, count and per-criterion averages from APPROVED customer ratings.

    Runs in the caller's transaction (or its own), holding the coach profile's row lock, so
    concurrent decisions about the same coach are applied one after the other.
    """
    with transaction.atomic():
        profile = _lock_coach_profile(user_id=coach_id)
        if profile is None:
            return None
        criteria = CRITERIA_BY_RATER_ROLE[Rating.RaterRole.CUSTOMER]
        approved = Rating.objects.filter(
            ratee_id=coach_id, rater_role=Rating.RaterRole.CUSTOMER, status=Rating.Status.APPROVED
        )
        aggregates = approved.aggregate(
            count=Count("pk"),
            average=Avg("overall"),
            **{f"c_{name}": Avg(Cast(KT(f"scores__{name}"), IntegerField())) for name in criteria},
        )
        count = aggregates["count"]
        profile.rating_count = count
        if count:
            profile.rating_average = Decimal(str(aggregates["average"])).quantize(_CENTS, ROUND_HALF_UP)
            profile.rating_criteria = {
                name: float(Decimal(str(aggregates[f"c_{name}"])).quantize(_CENTS, ROUND_HALF_UP))
                for name in criteria
                if aggregates[f"c_{name}"] is not None
            }
        else:
            profile.rating_average = None
            profile.rating_criteria = {}
        profile.save(update_fields=["rating_count", "rating_average", "rating_criteria", "updated_at"])
        return profile


def _blocklist() -> list[str]:
    return list(BlocklistWord.objects.values_list("word", flat=True))


def rating_auto_moderate(*, rating_id) -> Rating | None:
    """The automatic moderation of one rating: FLAGGED with reasons, else APPROVED (or left PENDING
    for staff when ``RATINGS_AUTO_APPROVE`` is off).

    Claims the rating with a conditional update (PENDING and not yet auto-moderated), so running it
    twice, or on two workers at once, decides once. Returns None when there was nothing to do.
    """
    rating = Rating.objects.filter(pk=rating_id).only("pk", "ratee_id", "feedback").first()
    if rating is None:
        return None
    reasons = moderation.flag_reasons(rating.feedback, blocklist=_blocklist())
    if reasons:
        new_status = Rating.Status.FLAGGED
    elif settings.RATINGS_AUTO_APPROVE:
        new_status = Rating.Status.APPROVED
    else:
        new_status = Rating.Status.PENDING
    now = timezone.now()
    with transaction.atomic():
        _lock_coach_profile(user_id=rating.ratee_id)
        claimed = Rating.objects.filter(
            pk=rating_id, status=Rating.Status.PENDING, auto_moderated_at__isnull=True
        ).update(status=new_status, flag_reasons=reasons, auto_moderated_at=now, updated_at=now)
        if not claimed:
            return None
        if new_status == Rating.Status.APPROVED:
            rating_recompute_for_coach(coach_id=rating.ratee_id)
            rating_published_emit(rating_id=rating_id)
    logger.info("Rating %s auto-moderated: %s %s", rating_id, new_status, reasons)
    return Rating.objects.get(pk=rating_id)


@dataclass(frozen=True)
class BacklogResult:
    approved: int = 0
    flagged: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.approved + self.flagged + self.pending


def ratings_moderate_backlog(*, limit: int = 1000) -> BacklogResult:
    """Auto-moderate every rating a lost task left behind (PENDING, never auto-moderated)."""
    ids = list(
        Rating.objects.filter(status=Rating.Status.PENDING, auto_moderated_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {Rating.Status.APPROVED: 0, Rating.Status.FLAGGED: 0, Rating.Status.PENDING: 0}
    for rating_id in ids:
        rating = rating_auto_moderate(rating_id=rating_id)
        if rating is not None:
            counts[rating.status] += 1
    return BacklogResult(
        approved=counts[Rating.Status.APPROVED],
        flagged=counts[Rating.Status.FLAGGED],
        pending=counts[Rating.Status.PENDING],
    )


def _decide(*, rating: Rating, moderator: User, to: str, rejection_reason: str = "", note: str = "") -> Rating:
    if not moderator.has_perm("ratings.moderate_rating"):
        raise PermissionDeniedError("Only moderators can approve or reject ratings.")
    now = timezone.now()
    with transaction.atomic():
        _lock_coach_profile(user_id=rating.ratee_id)
        current = Rating.objects.select_for_update().get(pk=rating.pk)
        if current.status == to:
            raise InvalidState(f"This rating is already {current.get_status_display().lower()}.")
        was_public = current.status == Rating.Status.APPROVED
        current.status = to
        current.rejection_reason = rejection_reason
        current.moderation_note = note
        current.moderated_by = moderator
        current.moderated_at = now
        current.save(
            update_fields=[
                "status",
                "rejection_reason",
                "moderation_note",
                "moderated_by",
                "moderated_at",
                "updated_at",
            ]
        )
        if (was_public or to == Rating.Status.APPROVED) and current.rater_role == Rating.RaterRole.CUSTOMER:
            rating_recompute_for_coach(coach_id=current.ratee_id)
        if to == Rating.Status.APPROVED:
            rating_published_emit(rating_id=current.pk)
    logger.info("Rating %s %s by %s", current.pk, to, moderator.pk)
    return current


def rating_approve(*, rating: Rating, moderator: User, note: str = "") -> Rating:
    """A moderator makes the rating public (from PENDING, FLAGGED, or a REJECTED one re-moderated)."""
    return _decide(rating=rating, moderator=moderator, to=Rating.Status.APPROVED, note=note.strip())


def rating_reject(*, rating: Rating, moderator: User, reason: str, note: str = "") -> Rating:
    """A moderator rejects the rating with a ``reason`` the rater sees (also takes an approved one down)."""
    reason = (reason or "").strip()
    if not reason:
        raise RatingInvalid("A reason is required to reject a rating.", fields={"reason": ["This field is required."]})
    return _decide(rating=rating, moderator=moderator, to=Rating.Status.REJECTED, rejection_reason=reason, note=note)


ERASED_RATER_REASON = "The rater's account was deleted."


def ratings_withdraw_given(*, rater: User, now=None) -> int:
    """An erased person's ratings stop being public and leave the coaches' averages: they become
    REJECTED (which every public read and the aggregates already leave out) and lose their text.
    Returns how many were withdrawn; a second call withdraws nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        given = Rating.objects.filter(rater=rater)
        ratee_ids = set(given.filter(status=Rating.Status.APPROVED).values_list("ratee_id", flat=True))
        withdrawn = given.exclude(status=Rating.Status.REJECTED).update(
            status=Rating.Status.REJECTED,
            rejection_reason=ERASED_RATER_REASON,
            moderated_at=now,
            moderated_by=None,
            updated_at=now,
        )
        given.exclude(feedback="").update(feedback="", updated_at=now)
        for ratee_id in sorted(ratee_ids, key=str):  # a fixed order: no deadlock with another recompute
            rating_recompute_for_coach(coach_id=ratee_id)
    return withdrawn
