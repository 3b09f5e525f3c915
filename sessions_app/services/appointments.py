"""Coaches' appointment slots: publish and withdraw."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import CoachProfile, User
from config.api.errors import PermissionDeniedError, ValidationFailed
from sessions_app.errors import (
    SlotUnavailable,
)
from sessions_app.models import Appointment
from sessions_app.services._common import Status, blocking_sessions, overlapping, resolve_now
from sessions_app.services.policy import Buffers, blocks, buffered_neighbours


def appointment_create(
    *, coach: User, start: datetime, duration_minutes: int, now: datetime | None = None
) -> Appointment:
    now = resolve_now(now)
    if not coach.is_coach:
        raise PermissionDeniedError("Only coaches publish appointments.")
    if not CoachProfile.objects.filter(pk=coach.pk, is_verified=True).exists():
        raise PermissionDeniedError("Your coach account is not verified yet.")
    if duration_minutes not in settings.APPOINTMENT_DURATIONS:
        allowed = ", ".join(str(d) for d in settings.APPOINTMENT_DURATIONS)
        raise ValidationFailed(fields={"duration_minutes": [f"Choose one of: {allowed}."]})
    start = start.replace(second=0, microsecond=0)
    if start <= now:
        raise ValidationFailed(fields={"start": ["The slot must start in the future."]})
    end = start + timedelta(minutes=duration_minutes)
    try:
        with transaction.atomic():
            # The coach's profile row is the per-coach lock: slot and booking checks for one
            # coach run one at a time; the exclusion constraints stay the last guard.
            profile = CoachProfile.objects.select_for_update().get(pk=coach.pk)
            slots = Appointment.objects.filter(coach=coach, is_instant=False)
            if overlapping(slots, start, end, "start", "end").exists():
                raise SlotUnavailable("This slot overlaps another of your slots.")
            # An instant session's own slot counts through its session, until that is cancelled.
            if overlapping(
                blocking_sessions().filter(coach=coach), start, end, "scheduled_start", "scheduled_end"
            ).exists():
                raise SlotUnavailable("This slot overlaps one of your sessions.")
            # Nothing is published into a session's buffered time (the slot's own buffers included).
            buffers = Buffers(profile.buffer_before_minutes, profile.buffer_after_minutes)
            if any(
                blocks(s, start=start, end=end, buffers=buffers)
                for s in buffered_neighbours(coach_ids=[coach.pk], start=start, end=end)
            ):
                raise SlotUnavailable("This slot is inside the break around one of your sessions.")
            return Appointment.objects.create(coach=coach, start=start, end=end, duration_minutes=duration_minutes)
    except IntegrityError as exc:
        raise SlotUnavailable("This slot overlaps another of your slots.") from exc


def appointment_delete(*, coach: User, appointment: Appointment) -> None:
    with transaction.atomic():
        CoachProfile.objects.select_for_update().get(pk=coach.pk)
        if appointment.sessions.exclude(status=Status.CANCELLED).exists():
            raise SlotUnavailable("This slot is booked; cancel the session first.")
        # Cancelled sessions of this slot keep their times; their appointment_id becomes null.
        appointment.delete()
