"""The publisher: weekly rules become ordinary appointment slots for each coach's horizon.

It runs on ``PUT coach/schedule``, on time-off changes, and daily from beat
(``manage.py publish_schedules``). For each coach it computes the slots the rules want now, and
compares them with the coach's free slots that came from the schedule (``source=schedule``):

- wanted and already there: nothing happens (so a second run publishes nothing);
- wanted and missing: created with one ``bulk_create``, unless the time is taken: by another slot
  (one-off slots, booked slots of either kind), by time off, or by a live session's buffered time;
- there and no longer wanted (the rules changed, time off, a buffer, the horizon shrank): withdrawn,
  only if still free. Booked slots and one-off slots are never touched.

Coaches are handled in chunks, each in one transaction holding the chunk's coach-profile locks (the
lock every booking takes first), so nothing is booked into a slot while it is being withdrawn, and a
chunk costs the same few queries however many coaches it holds; memory stays flat.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Exists, OuterRef

from accounts.models import CoachProfile, User
from availability.models import TimeOff, WeeklyRule
from availability.services.rules import Rule, rule_slots
from sessions_app.models import Appointment, Session
from sessions_app.services._common import resolve_now
from sessions_app.services.policy import buffered_neighbours

logger = logging.getLogger(__name__)
Source = Appointment.Source
CHUNK_SIZE = 100


@dataclass
class PublishResult:
    coaches: int = 0
    created: int = 0
    withdrawn: int = 0


def _batched(iterable, size: int):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Busy:
    """Disjoint sorted intervals; ``meets(lo, hi)`` in O(log n)."""

    def __init__(self, intervals: list[tuple[datetime, datetime]]) -> None:
        merged: list[list[datetime]] = []
        for lo, hi in sorted(intervals):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.starts = [lo for lo, _ in merged]
        self.ends = [hi for _, hi in merged]

    def meets(self, lo: datetime, hi: datetime) -> bool:
        i = bisect.bisect_left(self.starts, hi) - 1  # the last interval starting before hi
        return i >= 0 and self.ends[i] > lo


def schedule_publish(*, coach_ids=None, now: datetime | None = None, chunk_size: int = CHUNK_SIZE) -> PublishResult:
    """Publish (and withdraw) schedule slots of ``coach_ids``, or of every verified coach with rules.
    Idempotent: a second run with the same rules, time off and sessions changes nothing."""
    now = resolve_now(now)
    coaches = CoachProfile.objects.filter(is_verified=True, user__is_active=True, user__role=User.Role.COACH)
    if coach_ids is None:
        coaches = coaches.filter(Exists(WeeklyRule.objects.filter(coach_id=OuterRef("pk"))))
    else:
        coaches = coaches.filter(pk__in=list(coach_ids))
    result = PublishResult()
    for chunk in _batched(coaches.order_by("pk").values_list("pk", flat=True).iterator(), chunk_size):
        with transaction.atomic():
            _publish_chunk(coach_ids=chunk, now=now, result=result)
    return result


def _publish_chunk(*, coach_ids: list, now: datetime, result: PublishResult) -> None:
    # The coaches' locks first, in a fixed order: bookings, slot writes and other publishers of these
    # coaches wait until this chunk commits, and two publishers cannot deadlock.
    profiles = list(
        CoachProfile.objects.select_for_update(of=("self",))
        .filter(pk__in=coach_ids)
        .order_by("pk")
        .values("pk", "buffer_before_minutes", "buffer_after_minutes", "booking_horizon_days", "user__timezone")
    )
    if not profiles:
        return
    window_end = now + timedelta(days=max(p["booking_horizon_days"] for p in profiles))

    rules: dict = defaultdict(list)
    for r in WeeklyRule.objects.filter(coach_id__in=coach_ids).values_list(
        "coach_id", "weekday", "start_minute", "end_minute", "duration_minutes"
    ):
        rules[r[0]].append(Rule(*r[1:]))
    time_off: dict = defaultdict(list)
    for coach_id, start, end in TimeOff.objects.filter(
        coach_id__in=coach_ids, end__gt=now, start__lt=window_end
    ).values_list("coach_id", "start", "end"):
        time_off[coach_id].append((start, end))
    sessions: dict = defaultdict(list)
    for session in buffered_neighbours(coach_ids=coach_ids, start=now, end=window_end).only(
        "coach_id", "scheduled_start", "scheduled_end", "buffer_before_minutes", "buffer_after_minutes"
    ):
        sessions[session.coach_id].append(session)
    slots: dict = defaultdict(list)
    for slot in (
        Appointment.objects.filter(coach_id__in=coach_ids, is_instant=False, end__gt=now)
        .with_booking()
        .values_list("id", "coach_id", "start", "end", "source", "is_booked")
    ):
        slots[slot[1]].append(slot)

    to_create: list[Appointment] = []
    to_withdraw: list = []
    for profile in profiles:
        coach_id = profile["pk"]
        wanted = _wanted_slots(
            profile=profile,
            rules=rules[coach_id],
            time_off=time_off[coach_id],
            sessions=sessions[coach_id],
            slots=slots[coach_id],
            now=now,
        )
        if wanted is None:
            continue
        for slot_id, _, start, end, source, is_booked in slots[coach_id]:
            if source == Source.SCHEDULE and not is_booked and start > now and (start, end) not in wanted:
                to_withdraw.append(slot_id)
            wanted.discard((start, end))
        to_create.extend(
            Appointment(
                coach_id=coach_id,
                start=start,
                end=end,
                duration_minutes=int((end - start).total_seconds() // 60),
                source=Source.SCHEDULE,
            )
            for start, end in sorted(wanted)
        )
    result.coaches += len(profiles)
    if to_withdraw:
        live = Session.objects.filter(appointment=OuterRef("pk")).exclude(status=Session.Status.CANCELLED)
        # Free ones only, checked again in the delete itself; their cancelled sessions keep their
        # times and lose the link (as with a coach deleting a slot by hand).
        withdrawn = (
            Appointment.objects.filter(pk__in=to_withdraw, source=Source.SCHEDULE).exclude(Exists(live)).delete()
        )
        result.withdrawn += withdrawn[1].get(Appointment._meta.label, 0)
    if to_create:
        Appointment.objects.bulk_create(to_create, batch_size=2000)
        result.created += len(to_create)


def _wanted_slots(*, profile: dict, rules: list[Rule], time_off, sessions, slots, now: datetime) -> set | None:
    """The (start, end) pairs the rules want now, minus those whose time is taken; ``None``: leave
    this coach's slots alone."""
    if not rules:
        return set()
    try:
        zone = ZoneInfo(profile["user__timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        # The services only store IANA names; a zone this machine lost (or an admin's typo) must not
        # stop the other coaches' publishing. The coach's slots are left as they are.
        logger.warning(
            "Coach %s has an unknown time zone %r; schedule not published", profile["pk"], profile["user__timezone"]
        )
        return None
    horizon_end = now + timedelta(days=profile["booking_horizon_days"])
    before = timedelta(minutes=profile["buffer_before_minutes"])
    after = timedelta(minutes=profile["buffer_after_minutes"])
    # A slot [s, e) booked now would block [s - before, e + after): it must not meet a session's
    # blocked range, i.e. [s, e) must not meet [blocked_start - after, blocked_end + before).
    busy = _Busy(
        list(time_off)
        + [(s.blocked_start - after, s.blocked_end + before) for s in sessions]
        # Slots that stay whatever the rules say: one-off ones, booked ones, and any already started.
        + [
            (start, end)
            for _, _, start, end, source, is_booked in slots
            if source != Source.SCHEDULE or is_booked or start <= now
        ]
    )
    first_day = now.astimezone(zone).date()
    last_day = horizon_end.astimezone(zone).date()
    candidates = sorted(
        slot
        for rule in rules
        for slot in rule_slots(rule, zone=zone, first_day=first_day, last_day=last_day)
        if now < slot[0] <= horizon_end
    )
    wanted: set = set()
    previous_end = None
    for start, end in candidates:
        # Rules of one weekday never overlap on the wall clock, but a slot straddling a DST gap can
        # run into the next rule's first slot: the earlier one wins.
        if previous_end is not None and start < previous_end:
            continue
        if busy.meets(start, end):
            continue
        wanted.add((start, end))
        previous_end = end
    return wanted
