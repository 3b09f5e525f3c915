"""What ratings give an export (ratings.json) and do in an erasure (withdraw the given ones)."""

from __future__ import annotations

from privacy import registry
from ratings.models import Rating
from ratings.services import ratings_withdraw_given


def _rating(rating: Rating) -> dict:
    return {
        "id": rating.pk,
        "session_id": rating.session_id,
        "rater_role": rating.rater_role,
        "overall": rating.overall,
        "scores": rating.scores,
        "feedback": rating.feedback,
        "created_at": rating.created_at,
    }


def export_ratings(ctx: registry.ExportContext) -> dict:
    user = ctx.user
    given = Rating.objects.filter(rater=user).order_by("created_at", "id")
    # Received: only the approved ones, as the person could read them; ratings still in
    # moderation or rejected were never shown to them, and the rater's identity stays out.
    received = Rating.objects.filter(ratee=user, status=Rating.Status.APPROVED).order_by("created_at", "id")
    return {
        "given": [
            {
                **_rating(r),
                "status": r.status,
                "rejection_reason": r.rejection_reason if r.status == Rating.Status.REJECTED else None,
            }
            for r in given
        ],
        "received": [_rating(r) for r in received],
    }


def erase_ratings(ctx: registry.ErasureContext) -> dict:
    return {"ratings_withdrawn": ratings_withdraw_given(rater=ctx.user, now=ctx.now)}


def register() -> None:
    registry.register_export_part("ratings.json", export_ratings)
    registry.register_erasure_step("ratings.given", erase_ratings, order=50)
