"""Reads of the availability domain."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from availability.models import TimeOff
from availability.services.time_off import time_off_conflicts
from config.api.errors import NotFoundError


def time_off_list(*, coach: User) -> QuerySet[TimeOff]:
    return TimeOff.objects.filter(coach=coach).order_by("start")


def time_off_get(*, coach: User, time_off_id) -> TimeOff:
    """The coach's own time off; anyone else's is a 404."""
    time_off = TimeOff.objects.filter(coach=coach, pk=time_off_id).first()
    if time_off is None:
        raise NotFoundError("No such time off.")
    return time_off


def conflicts_by_time_off(*, coach: User, time_offs: list[TimeOff]) -> dict:
    """``{time_off id: [live sessions inside it]}`` for a page of time off, in one query."""
    sessions = time_off_conflicts(coach_id=coach.pk, ranges=[(t.start, t.end) for t in time_offs])
    return {t.pk: [s for s in sessions if s.scheduled_start < t.end and s.scheduled_end > t.start] for t in time_offs}
