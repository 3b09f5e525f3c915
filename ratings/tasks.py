from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from backoffice.heartbeat import heartbeat
from ratings import services


@shared_task(
    name="ratings.tasks.moderate_rating",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def moderate_rating(rating_id: str) -> str | None:
    """Automatic moderation of one rating. Safe to run twice: the second run finds it claimed."""
    rating = services.rating_auto_moderate(rating_id=rating_id)
    return rating.status if rating else None


@shared_task(name="ratings.tasks.moderate_backlog")
def moderate_backlog() -> dict:
    """Beat job: moderates ratings whose task was lost (broker down, worker killed)."""
    result = services.ratings_moderate_backlog()
    heartbeat("ratings.tasks.moderate_backlog", f"{result.total} moderated")
    return {"approved": result.approved, "flagged": result.flagged, "pending": result.pending}
