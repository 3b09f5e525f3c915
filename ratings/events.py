"""``rating.published`` in the outbox (SPEC section 7): ``{"rating", "coach_id"}``, the rating as the
public list shows it, when it becomes APPROVED (automatically or by a moderator)."""

from __future__ import annotations

from events.services import event_emit, event_render, events_enabled
from ratings.models import Rating
from ratings.serializers import PublicRatingSerializer


def rating_published_emit(*, rating_id) -> None:
    """Call in the transaction that approved the rating (one read, one insert)."""
    if not events_enabled():
        return
    rating = Rating.objects.select_related("rater", "session").get(pk=rating_id)
    data = {"rating": event_render(PublicRatingSerializer(rating)), "coach_id": str(rating.session.coach_id)}
    event_emit(type="rating.published", data=data, session_id=rating.session_id)
