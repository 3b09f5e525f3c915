"""Time off: free slots inside it are withdrawn and none are published there; booked sessions stay."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef

from accounts.models import CoachProfile, User
from availability.models import TimeOff
from availability.services.publishing import schedule_publish
from config.api.errors import PermissionDeniedError, ValidationFailed
from sessions_app.models import Appointment, Session
from sessions_app.services._common import blocking_sessions, overlapping, resolve_now

MAX_TIME_OFF = timedelta(days=366)


def time_off_conflicts(*, coach_id, ranges: list[tuple[datetime, datetime]]) -> list[Session]:
    """Live sessions of the coach overlapping any of ``ranges`` (one query)."""
    if not ranges:
        return []
    lo = min(start for start, _ in ranges)
    hi = max(end for _, end in ranges)
    candidates = overlapping(
        blocking_sessions().filter(coach_id=coach_id), lo, hi, "scheduled_start", "scheduled_end"
    ).select_related("coach", "customer")
    return [
        s
        for s in candidates.order_by("scheduled_start")
        if any(s.scheduled_start < end and s.scheduled_end > start for start, end in ranges)
    ]


def time_off_create(
    *, coach: User, start: datetime, end: datetime, reason: str = "", now: datetime | None = None
) -> tuple[TimeOff, list[Session]]:
    """Record time off; withdraw the free slots (of any source) that overlap it; return it with the
    booked sessions inside it, which stay: the coach decides what to do with them."""
    now = resolve_now(now)
    if not coach.is_coach:
        raise PermissionDeniedError("Only coaches take time off.")
    if end <= start:
        raise ValidationFailed(fields={"end": ["The end must be after the start."]})
    if end <= now:
        raise ValidationFailed(fields={"end": ["This time off is already over."]})
    if end - start > MAX_TIME_OFF:
        raise ValidationFailed(fields={"end": ["Time off lasts at most 366 days; add another one after it."]})
    with transaction.atomic():
        CoachProfile.objects.select_for_update().get(pk=coach.pk)
        time_off = TimeOff.objects.create(coach=coach, start=start, end=end, reason=reason)
        live = Session.objects.filter(appointment=OuterRef("pk")).exclude(status=Session.Status.CANCELLED)
        free = Appointment.objects.filter(coach=coach, is_instant=False, end__gt=now).exclude(Exists(live))
        overlapping(free, start, end, "start", "end").delete()
        conflicts = time_off_conflicts(coach_id=coach.pk, ranges=[(start, end)])
    return time_off, conflicts


def time_off_delete(*, coach: User, time_off: TimeOff, now: datetime | None = None) -> None:
    """Remove time off; the schedule publishes into that time again at once."""
    with transaction.atomic():
        CoachProfile.objects.select_for_update().get(pk=coach.pk)
        time_off.delete()
        schedule_publish(coach_ids=[coach.pk], now=resolve_now(now))
