"""Receivers of the session lifecycle's domain signals (connected in ``RecordingsConfig.ready``)."""

from __future__ import annotations

from recordings.models import Recording


def stop_recordings_when_session_ends(sender, session, actor=None, **kwargs) -> None:
    """A recording never outlives its session: completing or cancelling it stops the recorder."""
    from recordings.tasks import enqueue_stop

    if Recording.objects.filter(session_id=session.pk, status__in=Recording.ACTIVE_STATUSES).exists():
        enqueue_stop(session_id=session.pk)
