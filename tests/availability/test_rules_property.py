"""Property tests: weekly rules become slots at the rule's wall-clock times, in zones with and
without daylight saving, on dates around their transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from availability.models import WeeklyRule
from availability.services import Rule, Schedule, local_to_utc, rule_slots, schedule_publish, schedule_replace
from sessions_app.models import Appointment
from tests.factories import CoachFactory

ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Riyadh",  # no DST
    "Asia/Kolkata",  # no DST, +05:30
]


@cache
def transition_days(zone_name: str) -> list[date]:
    """Local dates on which the zone's UTC offset changes (none for Riyadh and Kolkata: then a few
    ordinary dates, so those zones are exercised too)."""
    zone = ZoneInfo(zone_name)
    days = []
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        today = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        tomorrow = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).utcoffset()
        if today != tomorrow:
            days.append(day + timedelta(days=1) if zone_name.startswith("Australia") else day)
        day += timedelta(days=1)
    return days or [date(2026, 3, 29), date(2026, 10, 25)]


@st.composite
def rule_around_a_transition(draw):
    zone_name = draw(st.sampled_from(ZONES))
    day = draw(st.sampled_from(transition_days(zone_name))) + timedelta(days=draw(st.integers(-2, 2)))
    duration = draw(st.sampled_from([30, 60]))
    start_minute = draw(st.integers(0, (1440 - duration) // 15)) * 15
    slots = draw(st.integers(1, 6))
    end_minute = min(1440, start_minute + slots * duration)
    end_minute -= (end_minute - start_minute) % duration
    return zone_name, day, Rule(day.weekday(), start_minute, end_minute, duration)


def wall_times(rule: Rule) -> list[int]:
    return list(range(rule.start_minute, rule.end_minute - rule.duration_minutes + 1, rule.duration_minutes))


def exists(day: date, minute: int, zone: ZoneInfo) -> bool:
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


def assert_slots_follow_the_rule(slots, rule: Rule, zone: ZoneInfo, days: list[date]) -> None:
    slots = sorted(slots)
    for start, end in slots:
        local = start.astimezone(zone)
        assert local.weekday() == rule.weekday
        assert local.hour * 60 + local.minute in wall_times(rule)
        # The first occurrence of an ambiguous time (fold=0), the only occurrence otherwise.
        assert start == datetime.combine(local.date(), local.time(), tzinfo=zone).astimezone(UTC)
        assert end - start == timedelta(minutes=rule.duration_minutes)
    for (_, end), (next_start, _) in zip(slots, slots[1:], strict=False):
        assert end <= next_start, "two slots overlap"
    expected = {
        (day, minute)
        for day in days
        if day.weekday() == rule.weekday
        for minute in wall_times(rule)
        if exists(day, minute, ZoneInfo(str(zone)))
    }
    got = {(s.astimezone(zone).date(), s.astimezone(zone).hour * 60 + s.astimezone(zone).minute) for s, _ in slots}
    # Every wall-clock time that exists that day has its slot; the ones in a gap have none.
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(rule_around_a_transition())
def test_rule_slots_keep_wall_clock_times_across_transitions(case):
    zone_name, day, rule = case
    zone = ZoneInfo(zone_name)
    days = [day + timedelta(days=d) for d in range(-7, 8)]
    slots = list(rule_slots(rule, zone=zone, first_day=days[0], last_day=days[-1]))
    assert_slots_follow_the_rule(slots, rule, zone, days)


def test_the_hour_that_does_not_exist_is_skipped_and_the_repeated_one_takes_its_first_occurrence():
    ny = ZoneInfo("America/New_York")
    # 8 March 2026: 02:00 jumps to 03:00. 1 November 2026: 01:00-02:00 happens twice.
    assert local_to_utc(date(2026, 3, 8), 2 * 60 + 30, ny) is None
    assert local_to_utc(date(2026, 11, 1), 90, ny) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # EDT, not EST
    spring = Rule(weekday=6, start_minute=60, end_minute=4 * 60, duration_minutes=60)  # Sundays 01:00-04:00
    starts = [s for s, _ in rule_slots(spring, zone=ny, first_day=date(2026, 3, 8), last_day=date(2026, 3, 8))]
    assert starts == [datetime(2026, 3, 8, 6, 0, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)]  # 01:00, 03:00
    # A 09:00 Berlin slot is 08:00 UTC in winter and 07:00 UTC in summer: local time stays.
    berlin = ZoneInfo("Europe/Berlin")
    nine = Rule(weekday=0, start_minute=9 * 60, end_minute=10 * 60, duration_minutes=60)
    starts = [s for s, _ in rule_slots(nine, zone=berlin, first_day=date(2026, 3, 23), last_day=date(2026, 4, 5))]
    assert starts == [datetime(2026, 3, 23, 8, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)]


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule_around_a_transition())
def test_published_slots_follow_the_rule_and_republishing_is_a_no_op(case):
    zone_name, day, rule = case
    zone = ZoneInfo(zone_name)
    coach = CoachFactory()
    now = datetime.combine(day - timedelta(days=10), time(12), tzinfo=UTC)
    schedule = Schedule(zone_name, [rule], 0, 0, None, 28)

    first = schedule_replace(coach=coach, schedule=schedule, now=now)

    slots = list(Appointment.objects.filter(coach=coach).values_list("start", "end"))
    assert first.created == len(slots) > 0
    assert set(Appointment.objects.filter(coach=coach).values_list("source", flat=True)) == {"schedule"}
    local_today = now.astimezone(zone).date()
    horizon = now + timedelta(days=28)
    days = [local_today + timedelta(days=d) for d in range(30)]
    published = [(s, e) for s, e in slots]
    assert_slots_follow_the_rule(published, rule, zone, days=[d for d in days if d <= horizon.astimezone(zone).date()])
    assert all(now < s <= horizon for s, _ in published)

    again = schedule_publish(coach_ids=[coach.pk], now=now)
    assert (again.created, again.withdrawn) == (0, 0)
    assert sorted(Appointment.objects.filter(coach=coach).values_list("start", "end")) == sorted(slots)
    assert WeeklyRule.objects.filter(coach=coach).count() == 1
