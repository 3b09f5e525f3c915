"""Weekly schedules, time off and calendar feeds.

This app depends on ``accounts`` and ``sessions_app``, never the other way round: what booking
needs of a schedule (buffers, daily cap, horizon) lives on ``CoachProfile``; the slots a schedule
publishes are ordinary ``Appointment`` rows marked ``source=schedule``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class WeeklyRule(models.Model):
    """Every ``weekday``, slots of ``duration_minutes`` from ``start_minute`` to ``end_minute``,
    wall-clock minutes of the day in the coach's time zone (``User.timezone``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_rules")
    weekday = models.PositiveSmallIntegerField()  # 0 is Monday, as datetime.weekday()
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()  # up to 1440: a rule may end at midnight
    duration_minutes = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_rule_weekday_0_6"),
            models.CheckConstraint(
                condition=Q(end_minute__gt=F("start_minute"), end_minute__lte=1440), name="weekly_rule_within_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_minute // 60:02d}:{self.start_minute % 60:02d} ({self.duration_minutes})"


class TimeOff(models.Model):
    """A coach's time off, in UTC: no slot is published in it, free ones are withdrawn."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["coach", "end"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="time_off_end_after_start")]

    def __str__(self) -> str:
        return f"{self.coach_id} {self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """A user's secret iCalendar URL. The token is never stored: it is an HMAC (keyed with
    ``SECRET_KEY``) of the user and ``nonce``, so the URL can be shown again, and the database
    keeps only its SHA-256 (``token_hash``) to find the feed. Rotating draws a new nonce."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="calendar_feed"
    )
    nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"
