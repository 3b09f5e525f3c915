"""Weekly rules as wall-clock slots: the one place where local times become UTC.

A rule says "every Monday, 60-minute slots from 09:00 until 12:00" in the coach's zone. For each
date the wall-clock times are converted with that date's offset (``zoneinfo``), so a 09:00 slot
stays 09:00 local across daylight-saving changes, and its UTC time moves instead. Two choices,
for the two kinds of local time a transition makes:

- a local time that does not exist that day (clocks jump over it, e.g. 02:30 on the day New York
  springs forward) is skipped: no slot is published for it;
- a local time that happens twice (clocks fall back, e.g. 01:30 on the day New York falls back)
  takes its first occurrence (``fold=0``, the offset before the change).

Every slot lasts ``duration_minutes`` of real time. A slot just before a gap ends later on the
wall clock than its start plus the duration; if that end runs past the next slot's start (only a
slot longer than the gap that straddles it can), the next slot is skipped, so slots never overlap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rule:
    weekday: int  # 0 is Monday
    start_minute: int
    end_minute: int  # up to 1440 (midnight at the end of the day)
    duration_minutes: int


def local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of wall-clock ``minute`` of ``day`` in ``zone``; ``None`` if that local time
    does not exist (it lies in a gap); the first occurrence if it happens twice (``fold=0``)."""
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)  # fold=0
    utc = local.astimezone(UTC)
    # A time in a gap does not survive the round trip: it comes back shifted by the gap.
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def rule_slots(rule: Rule, *, zone: ZoneInfo, first_day: date, last_day: date) -> Iterator[tuple[datetime, datetime]]:
    """UTC ``(start, end)`` of every slot of ``rule`` on the local dates ``first_day``..``last_day``."""
    duration = timedelta(minutes=rule.duration_minutes)
    day = first_day + timedelta(days=(rule.weekday - first_day.weekday()) % 7)
    while day <= last_day:
        previous_end: datetime | None = None
        minute = rule.start_minute
        while minute + rule.duration_minutes <= rule.end_minute:
            start = local_to_utc(day, minute, zone)
            if start is not None and (previous_end is None or start >= previous_end):
                previous_end = start + duration
                yield start, previous_end
            minute += rule.duration_minutes
        day += timedelta(days=7)


def rules_overlap(rules: list[Rule]) -> tuple[Rule, Rule] | None:
    """Two rules of one weekday whose wall-clock spans overlap (touching is fine), else ``None``."""
    ordered = sorted(rules, key=lambda r: (r.weekday, r.start_minute))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.weekday == after.weekday and after.start_minute < before.end_minute:
            return before, after
    return None
