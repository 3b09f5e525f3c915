"""What availability does when sessions change (connected in ``AvailabilityConfig.ready``)."""

from __future__ import annotations

from django.utils import timezone

from config.tasks import enqueue


def republish_when_a_session_is_cancelled(sender, session, actor=None, **kwargs) -> None:
    """A cancelled future session frees its time and its buffers: the schedule's slots that were
    kept out of that time come back now rather than at the next daily run. Sent after commit."""
    if session.scheduled_end > timezone.now():
        enqueue("availability.tasks.publish_coach_schedule", str(session.coach_id))
