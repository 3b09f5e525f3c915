from __future__ import annotations

from celery import shared_task

from backoffice.heartbeat import heartbeat
from sessions_app import services
from sessions_app.services import postpone, problems


@shared_task(name="sessions_app.tasks.close_stale_sessions")
def close_stale_sessions() -> dict:
    """Beat job: completes overdue sessions and cancels no-shows. Safe on several workers."""
    result = services.sessions_close_stale()
    heartbeat("sessions_app.tasks.close_stale_sessions", f"{result.completed} completed, {result.cancelled} cancelled")
    return {"completed": result.completed, "cancelled": result.cancelled}


@shared_task(name="sessions_app.tasks.expire_postpone_requests")
def expire_postpone_requests() -> int:
    """Beat job: open postpone requests past their time, or too close to the start, expire."""
    return postpone.postpone_requests_expire_due()


@shared_task(name="sessions_app.tasks.confirm_sessions")
def confirm_sessions() -> int:
    """Beat job: ended sessions whose problem-report window passed with no open report are confirmed."""
    return problems.sessions_confirm_due()
