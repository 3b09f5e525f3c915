"""Receivers of the session lifecycle's domain signals (connected in ``RecordingsConfig.ready``)."""

from __future__ import annotations

from config.tasks import enqueue_on_commit
from recordings.models import Recording

# By name: config.tasks loads recordings.tasks on first use, so connecting this receiver at start-up
# does not import the tasks (and through them every recordings service).
STOP_TASK = "recordings.tasks.stop_session_recordings"


def stop_recordings_when_session_ends(sender, session, actor=None, **kwargs) -> None:
    """A recording never outlives its session: completing or cancelling it stops the recorder."""
    if Recording.objects.filter(session_id=session.pk, status__in=Recording.ACTIVE_STATUSES).exists():
        enqueue_on_commit(STOP_TASK, str(session.pk))
