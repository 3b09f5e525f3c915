"""The weekly schedule: ``PUT coach/schedule`` replaces the rules and the booking policy, then publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from accounts.models import CoachProfile, User
from accounts.services import is_valid_timezone
from availability.models import WeeklyRule
from availability.services.publishing import PublishResult, schedule_publish
from availability.services.rules import Rule, rules_overlap
from config.api.errors import PermissionDeniedError, ValidationFailed
from sessions_app.services._common import resolve_now

MAX_RULES = 100
MAX_HORIZON_DAYS = 365
DEFAULT_HORIZON_DAYS = 28


@dataclass
class Schedule:
    timezone: str
    rules: list[Rule]
    buffer_before_minutes: int
    buffer_after_minutes: int
    max_sessions_per_day: int | None
    booking_horizon_days: int


def schedule_get(*, coach: User) -> Schedule:
    profile = CoachProfile.objects.get(pk=coach.pk)
    rules = [
        Rule(r.weekday, r.start_minute, r.end_minute, r.duration_minutes)
        for r in WeeklyRule.objects.filter(coach=coach).order_by("weekday", "start_minute")
    ]
    return Schedule(
        timezone=coach.timezone,
        rules=rules,
        buffer_before_minutes=profile.buffer_before_minutes,
        buffer_after_minutes=profile.buffer_after_minutes,
        max_sessions_per_day=profile.max_sessions_per_day,
        booking_horizon_days=profile.booking_horizon_days,
    )


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _validate(schedule: Schedule) -> None:
    errors: dict[str, list[str]] = {}
    if not is_valid_timezone(schedule.timezone):
        errors["timezone"] = ["Use an IANA time zone name, such as Asia/Riyadh or Europe/Berlin."]
    if len(schedule.rules) > MAX_RULES:
        errors["rules"] = [f"At most {MAX_RULES} rules."]
    allowed = settings.APPOINTMENT_DURATIONS
    for rule in schedule.rules:
        if rule.duration_minutes not in allowed:
            errors.setdefault("rules", []).append(
                f"duration_minutes {rule.duration_minutes}: choose one of {', '.join(map(str, allowed))}."
            )
        elif rule.end_minute - rule.start_minute < rule.duration_minutes:
            errors.setdefault("rules", []).append(
                f"{_fmt(rule.start_minute)}-{_fmt(rule.end_minute)} is shorter than one "
                f"{rule.duration_minutes}-minute slot."
            )
    if clash := rules_overlap(schedule.rules):
        a, b = clash
        errors.setdefault("rules", []).append(
            f"Rules of weekday {a.weekday} overlap: {_fmt(a.start_minute)}-{_fmt(a.end_minute)} and "
            f"{_fmt(b.start_minute)}-{_fmt(b.end_minute)}."
        )
    if errors:
        raise ValidationFailed(fields=errors)


def schedule_replace(*, coach: User, schedule: Schedule, now: datetime | None = None) -> PublishResult:
    """Replace the coach's rules and policy and publish at once. The schedule's time zone becomes the
    coach's ``timezone``. Future free slots of the old rules that the new ones do not want are
    withdrawn; booked and one-off slots stay. Unverified coaches cannot publish (403)."""
    now = resolve_now(now)
    if not coach.is_coach:
        raise PermissionDeniedError("Only coaches have a schedule.")
    _validate(schedule)
    with transaction.atomic():
        profile = CoachProfile.objects.select_for_update().get(pk=coach.pk)
        if not profile.is_verified:
            raise PermissionDeniedError("Your coach account is not verified yet.")
        CoachProfile.objects.filter(pk=coach.pk).update(
            buffer_before_minutes=schedule.buffer_before_minutes,
            buffer_after_minutes=schedule.buffer_after_minutes,
            max_sessions_per_day=schedule.max_sessions_per_day,
            booking_horizon_days=schedule.booking_horizon_days,
        )
        User.objects.filter(pk=coach.pk).update(timezone=schedule.timezone)
        coach.timezone = schedule.timezone
        WeeklyRule.objects.filter(coach=coach).delete()
        WeeklyRule.objects.bulk_create(
            WeeklyRule(
                coach=coach,
                weekday=r.weekday,
                start_minute=r.start_minute,
                end_minute=r.end_minute,
                duration_minutes=r.duration_minutes,
            )
            for r in schedule.rules
        )
        # In the same transaction, under the lock already held: the new rules and their slots
        # become visible together.
        return schedule_publish(coach_ids=[coach.pk], now=now)
