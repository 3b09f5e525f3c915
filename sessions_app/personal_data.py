"""What sessions give an export (sessions.json) and do in an erasure (cancel what is pending)."""

from __future__ import annotations

from django.db.models import Q

from privacy import registry
from sessions_app.errors import InvalidState, SlotUnavailable
from sessions_app.models import Appointment, IdempotencyKey, Session, SessionReport
from sessions_app.services import appointment_delete, session_cancel

ACCOUNT_DELETED = "ACCOUNT_DELETED"


def _person(user) -> dict | None:
    # What the participants see of each other in the API: id and names, never the e-mail.
    if user is None:
        return None
    return {"id": user.pk, "first_name": user.first_name, "last_name": user.last_name}


def _actor(log, *, user, session) -> str:
    if log.actor_id is None:
        return "system"
    if log.actor_id == user.pk:
        return "you"
    if session.is_participant(log.actor):
        return "coach" if log.actor_id == session.coach_id else "customer"
    return "staff"


def export_sessions(ctx: registry.ExportContext) -> list[dict]:
    user = ctx.user
    sessions = (
        Session.objects.filter(Q(coach=user) | Q(customer=user))
        .select_related("coach", "customer")
        .prefetch_related("logs__actor")
        .order_by("scheduled_start", "number")
    )
    reports = {r.session_id: r for r in SessionReport.objects.filter(session__in=sessions)}
    out = []
    for session in sessions:
        role = "coach" if session.coach_id == user.pk else "customer"
        other = session.customer if role == "coach" else session.coach
        report = reports.get(session.pk)
        out.append(
            {
                "id": session.pk,
                "number": session.display_number,
                "type": session.type,
                "status": session.status,
                "your_role": role,
                "other_participant": _person(other),
                "topic": session.topic,
                "scheduled_start": session.scheduled_start,
                "scheduled_end": session.scheduled_end,
                "duration_minutes": session.duration_minutes,
                "price": session.price,
                "currency": session.currency,
                "started_at": session.started_at,
                "ended_at": session.ended_at,
                "cancelled_at": session.cancelled_at,
                "cancel_reason": session.cancel_reason,
                "created_at": session.created_at,
                "logs": [
                    {
                        "action": log.action,
                        "actor": _actor(log, user=user, session=session),
                        "text": log.text,
                        "created_at": log.created_at,
                    }
                    for log in session.logs.all()
                ],
                "report": (
                    {
                        "coach_summary": report.coach_summary,
                        "coach_recommendations": report.coach_recommendations,
                        "customer_notes": report.customer_notes,
                        "updated_at": report.updated_at,
                    }
                    if report
                    else None
                ),
            }
        )
    return out


def erase_sessions(ctx: registry.ErasureContext) -> dict:
    """Pending sessions are cancelled through the lifecycle service (so the other side hears of
    it, and the slot is freed); started and past sessions stay as they are, for the other side."""
    user = ctx.user
    cancelled = 0
    pending = Session.objects.filter(Q(coach=user) | Q(customer=user), status=Session.Status.PENDING)
    for session in pending:
        try:
            session_cancel(session=session, actor=user, reason=ACCOUNT_DELETED, now=ctx.now)
            cancelled += 1
        except InvalidState:
            continue  # it started (or ended) in between: it is history now
    withdrawn = 0
    free_slots = Appointment.objects.filter(coach=user, start__gt=ctx.now).with_booking().filter(is_booked=False)
    for appointment in free_slots:
        try:
            appointment_delete(coach=user, appointment=appointment)
            withdrawn += 1
        except SlotUnavailable:  # booked in between: that session is the other side's history
            continue
    keys, _ = IdempotencyKey.objects.filter(user=user).delete()
    return {"sessions_cancelled": cancelled, "slots_withdrawn": withdrawn, "idempotency_keys_deleted": keys}


def register() -> None:
    registry.register_export_part("sessions.json", export_sessions)
    registry.register_erasure_step("sessions.pending", erase_sessions, order=20)
