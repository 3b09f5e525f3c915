"""What an erasure does to availability (SPEC 10): the calendar feed goes, and a coach's schedule with it.

A deleted coach publishes nothing more: their weekly rules and time off are deleted (time off
carries a free-text reason), and so is every user's calendar feed, whose URL would otherwise go
on listing the sessions. There is nothing of availability in an export beyond the sessions
themselves, which sessions.json already holds.
"""

from __future__ import annotations

from availability.models import CalendarFeed, TimeOff, WeeklyRule
from privacy import registry


def erase_availability(ctx: registry.ErasureContext) -> dict:
    feeds, _ = CalendarFeed.objects.filter(user=ctx.user).delete()
    rules, _ = WeeklyRule.objects.filter(coach=ctx.user).delete()
    time_off, _ = TimeOff.objects.filter(coach=ctx.user).delete()
    return {"calendar_feeds": feeds, "weekly_rules": rules, "time_off": time_off}


def register() -> None:
    # After the lock-out (10) and before the identity goes (90), like the other apps' steps.
    registry.register_erasure_step("availability.schedule_and_feed", erase_availability, order=40)
