"""Thin tasks: they take ids, call a service, and are safe to run twice.

They are enqueued through ``config.tasks.enqueue_on_commit`` (by name where the caller is a service
or receiver this module imports) and retry only what a retry can fix: Agora unreachable or a
database that dropped the connection. Anything else is a bug or bad data; the beat sweeps pick the
work up again, so a retry storm would only repeat the same traceback.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from backoffice.heartbeat import heartbeat
from recordings import services
from recordings.errors import AgoraUnreachable

# A lost connection, a deadlock or a serialisation failure: the next try may well succeed.
DATABASE_HICCUPS = (OperationalError, InterfaceError)


@shared_task(name="recordings.tasks.expire_recordings")
def expire_recordings() -> dict:
    """Beat job (hourly): delete the files of recordings past their window, mark them EXPIRED."""
    result = services.recordings_expire_due()
    heartbeat("recordings.tasks.expire_recordings", f"{result.expired} expired, {result.failed} failed")
    return {"due": result.due, "expired": result.expired, "failed": result.failed, "skipped": result.skipped}


@shared_task(name="recordings.tasks.stop_session_recordings", bind=True, max_retries=6)
def stop_session_recordings(self, session_id: str) -> dict:
    """The auto-stop when a session completes or is cancelled."""
    try:
        result = services.recordings_stop_for_session(session_id=session_id)
    except (AgoraUnreachable, *DATABASE_HICCUPS) as exc:  # after the Agora client's own retries
        raise self.retry(exc=exc, countdown=min(300, 10 * 2**self.request.retries))
    if result.starting:
        # Agora has not confirmed the start yet; the start itself stops it if it sees the session ended.
        raise self.retry(countdown=5)
    return {"stopped": result.stopped}


@shared_task(name="recordings.tasks.stop_orphaned_recordings")
def stop_orphaned_recordings() -> dict:
    """Beat job (every 5 minutes): the auto-stop of sessions whose own stop task was lost."""
    return {"stopped": services.recordings_stop_orphaned()}


@shared_task(name="recordings.tasks.process_webhook_event", bind=True, max_retries=5)
def process_webhook_event(self, event_id: int) -> str:
    try:
        return services.webhook_event_process(event_id=event_id)
    except DATABASE_HICCUPS as exc:  # the event was released; anything else waits for the beat sweep
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries))


@shared_task(name="recordings.tasks.process_pending_webhook_events")
def process_pending_webhook_events() -> dict:
    """Beat job: apply Agora events whose own task was lost."""
    processed = services.webhook_events_process_pending()
    heartbeat("recordings.tasks.process_pending_webhook_events", f"{processed} processed")
    return {"processed": processed}


@shared_task(name="recordings.tasks.sweep_processing_recordings")
def sweep_processing_recordings() -> dict:
    """Beat job (every 10 minutes): settle PROCESSING recordings whose "uploaded" event was lost."""
    result = services.recordings_sweep_processing()
    heartbeat("recordings.tasks.sweep_processing_recordings", f"{result.checked} checked")
    return {
        "checked": result.checked,
        "available": result.available,
        "failed": result.failed,
        "waiting": result.waiting,
    }
