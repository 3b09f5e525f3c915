"""Participants' logs and their parts of the report."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.models import User
from config.api.errors import NotFoundError, ValidationFailed
from sessions_app.errors import (
    ReportNotAvailable,
    SessionEnded,
)
from sessions_app.models import Session, SessionLog, SessionReport
from sessions_app.services._common import Status, log_action


def session_log_add(
    *, session: Session, actor: User, action: str, text: str = "", now: datetime | None = None
) -> SessionLog:
    if action not in SessionLog.CLIENT_ACTIONS:
        raise ValidationFailed(fields={"action": [f"'{action}' is recorded by the system only."]})
    with transaction.atomic():
        # Lock the row so a log cannot slip in after a concurrent completion.
        status = Session.objects.select_for_update().filter(pk=session.pk).values_list("status", flat=True).get()
        if status in Session.FINAL_STATUSES:
            raise SessionEnded("No logs can be added once the session has ended.")
        return log_action(session=session, action=action, actor=actor, text=text, now=now)


def session_report_update(
    *,
    session: Session,
    actor: User,
    summary: str | None = None,
    recommendations: list[str] | None = None,
    notes: str | None = None,
) -> SessionReport:
    if session.status != Status.COMPLETED:
        raise ReportNotAvailable()
    report, _ = SessionReport.objects.get_or_create(session=session)
    fields: list[str] = []
    if actor.pk == session.coach_id:
        if notes is not None:
            raise ValidationFailed(fields={"notes": ["Notes are the customer's part of the report."]})
        if summary is not None:
            report.coach_summary, fields = summary, [*fields, "coach_summary"]
        if recommendations is not None:
            report.coach_recommendations, fields = recommendations, [*fields, "coach_recommendations"]
    elif actor.pk == session.customer_id:
        coach_part = {"summary": summary, "recommendations": recommendations}
        if wrong := [name for name, value in coach_part.items() if value is not None]:
            raise ValidationFailed(fields={name: ["This is the coach's part of the report."] for name in wrong})
        if notes is not None:
            report.customer_notes, fields = notes, ["customer_notes"]
    else:  # pragma: no cover - the API resolves sessions for participants only
        raise NotFoundError()
    if fields:
        report.save(update_fields=[*fields, "updated_at"])
    return report
