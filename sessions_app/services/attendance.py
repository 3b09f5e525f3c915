"""Who attended a session, from its join/leave record (SPEC 11).

The record is the session's log: the ``ENTERED``/``RECONNECTED`` rows that ``start-call`` and the
clients write, and those the Agora channel events add (recordings turns a participant's join into
``ENTERED``; the cloud recorder's uid matches no participant, so it never counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min

from sessions_app.models import Session, SessionLog

JOINS = (SessionLog.Action.STARTED, SessionLog.Action.ENTERED, SessionLog.Action.RECONNECTED)
Attendance = Session.Attendance
Outcome = Session.Outcome


@dataclass(frozen=True)
class AttendanceResult:
    coach: str
    customer: str
    outcome: str
    coach_joined_at: datetime | None
    customer_joined_at: datetime | None


def _mark(joined_at: datetime | None, *, start: datetime) -> str:
    if joined_at is None:
        return Attendance.ABSENT
    if joined_at > start + timedelta(minutes=settings.LATE_AFTER_MINUTES):
        return Attendance.LATE
    return Attendance.ATTENDED


def session_attendance(*, session: Session) -> AttendanceResult:
    """Each participant's attendance and the session's outcome: one query, whatever the log's length."""
    first = dict(
        SessionLog.objects.filter(
            session=session, action__in=JOINS, actor_id__in=(session.coach_id, session.customer_id)
        )
        .values("actor_id")
        .annotate(at=Min("created_at"))
        .values_list("actor_id", "at")
    )
    coach_at, customer_at = first.get(session.coach_id), first.get(session.customer_id)
    coach = _mark(coach_at, start=session.scheduled_start)
    customer = _mark(customer_at, start=session.scheduled_start)
    if coach == Attendance.ABSENT and customer != Attendance.ABSENT:
        outcome = Outcome.COACH_NO_SHOW
    elif customer == Attendance.ABSENT and coach != Attendance.ABSENT:
        outcome = Outcome.CUSTOMER_NO_SHOW
    else:
        # Both joined; or (for a session nobody started, which is cancelled, not completed) neither.
        outcome = Outcome.HELD
    return AttendanceResult(
        coach=coach, customer=customer, outcome=outcome, coach_joined_at=coach_at, customer_joined_at=customer_at
    )


def attendance_fields(*, session: Session) -> dict[str, str]:
    """The columns the completion writes."""
    result = session_attendance(session=session)
    return {
        "attendance_coach": result.coach,
        "attendance_customer": result.customer,
        "outcome": result.outcome,
    }
