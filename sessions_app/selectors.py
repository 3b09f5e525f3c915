"""Reads of the session domain. Every read of a session goes through the caller: a session
that is not theirs does not exist for them (404), whatever its id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from accounts.models import CoachProfile, User
from config.api.errors import NotFoundError
from sessions_app import registry, renderings
from sessions_app.errors import ReportNotAvailable
from sessions_app.models import Appointment, Session, SessionLog, SessionReport
from sessions_app.services.policy import MAX_BUFFER_MINUTES

_NUMBER = re.compile(r"^(?:SESS-?)?0*(\d+)$", re.IGNORECASE)


def session_number_from(text: str) -> int | None:
    """The number in what staff type to find a session: ``SESS-000026``, ``sess-26`` or ``26``."""
    match = _NUMBER.match(text.strip())
    return int(match.group(1)) if match else None


def _base() -> QuerySet[Session]:
    return Session.objects.select_related("coach", "customer")


def session_list_for_user(*, user: User, filters: dict | None = None) -> QuerySet[Session]:
    filters = filters or {}
    qs = _base().filter(Q(coach=user) | Q(customer=user))
    if statuses := filters.get("status"):
        qs = qs.filter(status__in=statuses)
    if type_ := filters.get("type"):
        qs = qs.filter(type=type_)
    if start := filters.get("from"):
        qs = qs.filter(scheduled_end__gt=start)
    if end := filters.get("to"):
        qs = qs.filter(scheduled_start__lt=end)
    return qs.order_by("-scheduled_start", "-number")


def session_status_values(*, user: User, session_id) -> dict:
    """What ``GET sessions/{id}/status`` shows of one of the user's sessions, as a ``values()`` row
    (``renderings.STATUS_COLUMNS``): one table, no joins, no ordering; 404 for anyone else's."""
    rows = list(
        Session.objects.filter(Q(coach=user) | Q(customer=user), pk=session_id)
        .order_by()
        .values(*renderings.STATUS_COLUMNS)[:1]
    )
    if not rows:
        raise NotFoundError("No such session.")
    return rows[0]


def session_get_for_user(*, user: User, session_id) -> Session:
    qs = _base().filter(Q(coach=user) | Q(customer=user), pk=session_id)
    session = qs.first()
    if session is None:
        raise NotFoundError("No such session.")
    return session


def session_current(*, user: User, now: datetime | None = None) -> Session | None:
    """The active session, else the next pending one whose join window is open."""
    now = now or timezone.now()
    mine = _base().filter(Q(coach=user) | Q(customer=user))
    active = mine.filter(status__in=Session.ACTIVE_STATUSES).order_by("scheduled_start").first()
    if active:
        return active
    return (
        mine.filter(Session.join_window_open_q(now), status=Session.Status.PENDING).order_by("scheduled_start").first()
    )


def session_logs(*, session: Session) -> QuerySet[SessionLog]:
    return session.logs.select_related("actor").order_by("created_at", "id")


@dataclass(frozen=True)
class ParticipantSummary:
    user_id: str
    role: str
    first_joined_at: datetime | None
    last_left_at: datetime | None
    reconnects: int


@dataclass(frozen=True)
class SessionReportView:
    """What ``GET sessions/{id}/report`` shows: the session's times, who was there when, the whole
    timeline, what the participants wrote, and the satellites' parts (``registry.REPORT``)."""

    session: Session
    actual_duration_seconds: int
    participants: list[ParticipantSummary]
    timeline: list[SessionLog]
    written: SessionReport
    parts: list[tuple[registry.Part, Any]]


def _participants(session: Session, logs: list[SessionLog]) -> list[ParticipantSummary]:
    """Per participant: when they first joined and last left, and how often they reconnected."""
    out = []
    for role, user in (("coach", session.coach), ("customer", session.customer)):
        own = [log for log in logs if log.actor_id == user.pk]
        joins = [log.created_at for log in own if log.action in ("ENTERED", "RECONNECTED")]
        leaves = [log.created_at for log in own if log.action in ("LEFT", "TEMPORARILY_LEFT")]
        out.append(
            ParticipantSummary(
                user_id=str(user.pk),
                role=role,
                first_joined_at=min(joins) if joins else None,
                last_left_at=max(leaves) if leaves else None,
                reconnects=sum(1 for log in own if log.action == "RECONNECTED"),
            )
        )
    return out


def session_report_get(*, session: Session) -> SessionReportView:
    """The report of a completed session; 409 ``report_not_available`` before."""
    if session.status != Session.Status.COMPLETED:
        raise ReportNotAvailable()
    logs = list(session_logs(session=session))
    actual = 0
    if session.started_at and session.ended_at:
        actual = int((session.ended_at - session.started_at).total_seconds())
    return SessionReportView(
        session=session,
        actual_duration_seconds=actual,
        participants=_participants(session, logs),
        timeline=logs,
        written=SessionReport.objects.filter(session=session).first() or SessionReport(session=session),
        parts=registry.select_parts(registry.REPORT, session=session),
    )


def appointment_list_for_coach(*, coach: User, filters: dict | None = None) -> QuerySet[Appointment]:
    filters = filters or {}
    qs = Appointment.objects.filter(coach=coach, is_instant=False).with_booking()
    if start := filters.get("from"):
        qs = qs.filter(end__gt=start)
    if end := filters.get("to"):
        qs = qs.filter(start__lt=end)
    return qs.order_by("start")


def appointment_get_for_coach(*, coach: User, appointment_id) -> Appointment:
    """One of the coach's own published slots; 404 for any other id."""
    appointment = Appointment.objects.filter(pk=appointment_id, coach=coach, is_instant=False).first()
    if appointment is None:
        raise NotFoundError("No such appointment.")
    return appointment


def appointment_free_for_coach(
    *, coach_id, filters: dict | None = None, now: datetime | None = None
) -> QuerySet[Appointment]:
    """Free future slots that could be booked now: within the coach's booking horizon, and clear of
    every live session's buffered time (with the buffers a booking now would fix)."""
    now = now or timezone.now()
    filters = filters or {}
    policy = (
        CoachProfile.objects.filter(pk=coach_id)
        .values("booking_horizon_days", "buffer_before_minutes", "buffer_after_minutes")
        .first()
    )
    if policy is None:
        return Appointment.objects.none()
    qs = (
        Appointment.objects.filter(
            coach_id=coach_id,
            coach__coach_profile__is_verified=True,
            coach__is_active=True,
            is_instant=False,
            start__gt=now,
            start__lte=now + timedelta(days=policy["booking_horizon_days"]),
        )
        .with_booking()
        .filter(is_booked=False)
        .not_held()
        .exclude(
            _buffered_session_near(
                before=timedelta(minutes=policy["buffer_before_minutes"]),
                after=timedelta(minutes=policy["buffer_after_minutes"]),
            )
        )
    )
    if start := filters.get("from"):
        qs = qs.filter(start__gte=start)
    if end := filters.get("to"):
        qs = qs.filter(start__lt=end)
    return qs.order_by("start")


class Minutes(Func):
    """A whole number of minutes as a duration: ``make_interval`` on PostgreSQL, microseconds
    (Django's duration storage) on SQLite, so that ``F(datetime) - Minutes(F(int))`` works on both."""

    output_field = DurationField()

    def as_sql(self, compiler, connection, **extra_context):
        return self.as_sqlite(compiler, connection, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"make_interval(mins => {sql})", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} * 60000000)", params


def _shifted(expression, delta: timedelta):
    return ExpressionWrapper(expression + Value(delta, output_field=DurationField()), output_field=DateTimeField())


def _buffered_session_near(*, before: timedelta, after: timedelta) -> Exists:
    """A live session of the slot's coach whose buffered time meets the slot's buffered time (the
    test of ``policy.blocks`` in SQL). The plain ``scheduled_*`` bounds come first so the
    (coach, scheduled_start) index narrows the rows before the buffer arithmetic."""
    margin = timedelta(minutes=2 * MAX_BUFFER_MINUTES)
    slot_lo = _shifted(OuterRef("start"), -before)
    slot_hi = _shifted(OuterRef("end"), after)
    blocked_start = ExpressionWrapper(
        F("scheduled_start") - Minutes(F("buffer_before_minutes")), output_field=DateTimeField()
    )
    blocked_end = ExpressionWrapper(
        F("scheduled_end") + Minutes(F("buffer_after_minutes")), output_field=DateTimeField()
    )
    return Exists(
        Session.objects.exclude(status__in=Session.FINAL_STATUSES)
        .filter(
            coach_id=OuterRef("coach_id"),
            scheduled_start__lt=_shifted(OuterRef("end"), after + margin),
            scheduled_end__gt=_shifted(OuterRef("start"), -(before + margin)),
        )
        .annotate(blocked_start=blocked_start, blocked_end=blocked_end)
        .filter(blocked_start__lt=slot_hi, blocked_end__gt=slot_lo)
    )
