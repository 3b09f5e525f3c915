from __future__ import annotations

from celery import shared_task

from backoffice.heartbeat import heartbeat
from sessions_app import services


@shared_task(name="sessions_app.tasks.close_stale_sessions")
def close_stale_sessions() -> dict:
    """Beat job: completes overdue sessions and cancels no-shows. Safe on several workers."""
    result = services.sessions_close_stale()
    heartbeat("sessions_app.tasks.close_stale_sessions", f"{result.completed} completed, {result.cancelled} cancelled")
    return {"completed": result.completed, "cancelled": result.cancelled}
