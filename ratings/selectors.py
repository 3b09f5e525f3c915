"""Reads of the rating domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from config.api.errors import NotFoundError
from ratings.models import Rating
from sessions_app.selectors import session_get_for_user


def rating_get_own(*, user: User, session_id) -> Rating:
    """The caller's rating of a session they took part in; 404 for other sessions or no rating yet."""
    session = session_get_for_user(user=user, session_id=session_id)
    rating = Rating.objects.filter(session=session, rater=user).first()
    if rating is None:
        raise NotFoundError("You have not rated this session yet.")
    return rating


def rating_list_public_for_coach(*, coach_id) -> QuerySet[Rating]:
    """What everybody may see about a coach: approved ratings by customers, newest first."""
    return (
        Rating.objects.filter(
            ratee_id=coach_id,
            ratee__is_active=True,  # an erased (or deactivated) coach's ratings are not listed
            rater_role=Rating.RaterRole.CUSTOMER,
            status=Rating.Status.APPROVED,
        )
        .select_related("rater")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class QueueStats:
    pending: int
    flagged: int
    oldest_waiting_at: datetime | None
    now: datetime

    @property
    def size(self) -> int:
        return self.pending + self.flagged

    @property
    def oldest_age(self) -> timedelta | None:
        return self.now - self.oldest_waiting_at if self.oldest_waiting_at else None


def rating_queue_stats(*, now: datetime | None = None) -> QueueStats:
    """The moderation queue (PENDING and FLAGGED ratings) in one query."""
    row = Rating.objects.filter(status__in=Rating.WAITING_STATUSES).aggregate(
        pending=Count("pk", filter=Q(status=Rating.Status.PENDING)),
        flagged=Count("pk", filter=Q(status=Rating.Status.FLAGGED)),
        oldest=Min("created_at"),
    )
    return QueueStats(
        pending=row["pending"], flagged=row["flagged"], oldest_waiting_at=row["oldest"], now=now or timezone.now()
    )
