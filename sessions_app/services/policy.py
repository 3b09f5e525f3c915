"""The coach's booking policy: buffers, the daily cap and the booking horizon.

The values live on ``CoachProfile`` (set by ``PUT coach/schedule``) and are read here under the
coach's row lock, which every booking, slot write and schedule publication takes first: a policy
change and a booking of the same coach never interleave. On PostgreSQL the exclusion constraint
over each session's buffered range (migration 0009) is the last guard for the buffers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from accounts.models import CoachProfile
from sessions_app.errors import BookingLimitReached, BookingTooFarAhead, SlotUnavailable
from sessions_app.models import Session

# The largest buffer a coach may set (a check constraint on CoachProfile says the same): a session
# that could block [start, end) lies within this much of it, which bounds the search below.
MAX_BUFFER_MINUTES = 240


@dataclass(frozen=True)
class Buffers:
    before: int = 0
    after: int = 0


def blocked_range(*, start: datetime, end: datetime, buffers: Buffers) -> tuple[datetime, datetime]:
    return start - timedelta(minutes=buffers.before), end + timedelta(minutes=buffers.after)


def buffered_neighbours(*, coach_ids, start: datetime, end: datetime):
    """Live sessions of ``coach_ids`` that might block something in [start, end): a coarse range,
    the exact buffered test is :func:`blocks`. Completed sessions free their time, as in 0004."""
    margin = timedelta(minutes=2 * MAX_BUFFER_MINUTES)
    return Session.objects.exclude(status__in=Session.FINAL_STATUSES).filter(
        coach_id__in=coach_ids, scheduled_start__lt=end + margin, scheduled_end__gt=start - margin
    )


def blocks(session: Session, *, start: datetime, end: datetime, buffers: Buffers) -> bool:
    """Would a session at [start, end) with ``buffers`` meet ``session``'s buffered time?
    Both buffered ranges are compared, as the exclusion constraint does: two sessions of one coach
    lie at least the first one's ``after`` plus the second one's ``before`` apart."""
    lo, hi = blocked_range(start=start, end=end, buffers=buffers)
    return session.blocked_start < hi and session.blocked_end > lo


def booking_policy_check(
    *,
    coach_id,
    start: datetime,
    end: datetime,
    now: datetime,
    moving: Session | None = None,
    unavailable: type[Exception] = SlotUnavailable,
) -> Buffers:
    """Check a booking of [start, end) against the coach's policy; return the buffers to fix on
    the session (a moved session keeps its own). Call it under the coach's lock."""
    profile = (
        CoachProfile.objects.filter(pk=coach_id)
        .values(
            "buffer_before_minutes",
            "buffer_after_minutes",
            "max_sessions_per_day",
            "booking_horizon_days",
            "user__timezone",
        )
        .get()
    )
    if start > now + timedelta(days=profile["booking_horizon_days"]):
        raise BookingTooFarAhead(f"This coach takes bookings up to {profile['booking_horizon_days']} days ahead.")
    if moving is not None:
        buffers = Buffers(moving.buffer_before_minutes, moving.buffer_after_minutes)
    else:
        buffers = Buffers(profile["buffer_before_minutes"], profile["buffer_after_minutes"])
    neighbours = buffered_neighbours(coach_ids=[coach_id], start=start, end=end)
    if moving is not None:
        neighbours = neighbours.exclude(pk=moving.pk)
    if any(blocks(s, start=start, end=end, buffers=buffers) for s in neighbours):
        raise unavailable("The coach needs a break between sessions; this time is too close to another one.")
    if (cap := profile["max_sessions_per_day"]) is not None:
        _check_daily_cap(
            coach_id=coach_id, start=start, cap=cap, zone=ZoneInfo(profile["user__timezone"]), moving=moving
        )
    return buffers


def _check_daily_cap(*, coach_id, start: datetime, cap: int, zone: ZoneInfo, moving: Session | None) -> None:
    """At most ``cap`` non-cancelled sessions start on the coach's local calendar day of ``start``.
    The day is compared as a local date (a day is 23 to 25 hours long, and some zones skip midnight),
    so the query takes two days either side and the dates are compared here."""
    day = start.astimezone(zone).date()
    same_days = Session.objects.filter(
        coach_id=coach_id,
        scheduled_start__gte=start - timedelta(days=2),
        scheduled_start__lt=start + timedelta(days=2),
    ).exclude(status=Session.Status.CANCELLED)
    if moving is not None:
        same_days = same_days.exclude(pk=moving.pk)
    taken = sum(1 for s in same_days.values_list("scheduled_start", flat=True) if s.astimezone(zone).date() == day)
    if taken >= cap:
        raise BookingLimitReached(f"The coach takes at most {cap} sessions a day, and that day is full.")
