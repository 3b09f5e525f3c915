"""Reads of the session domain. Every read of a session goes through the caller: a session
that is not theirs does not exist for them (404), whatever its id."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
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
from sessions_app.models import Appointment, Session, SessionLog, SessionReport
from sessions_app.services.policy import MAX_BUFFER_MINUTES


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


def session_get_for_user(*, user: User, session_id, for_update: bool = False) -> Session:
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
    early = timedelta(minutes=settings.JOIN_EARLY_MINUTES)
    instant_window = timedelta(minutes=settings.INSTANT_JOIN_WINDOW_MINUTES)
    return (
        mine.filter(status=Session.Status.PENDING)
        .filter(
            Q(type=Session.Type.SCHEDULED, scheduled_start__lte=now + early, scheduled_end__gt=now)
            | Q(type=Session.Type.INSTANT, created_at__gt=now - instant_window, scheduled_end__gt=now)
        )
        .order_by("scheduled_start")
        .first()
    )


def session_logs(*, session: Session) -> QuerySet[SessionLog]:
    return session.logs.select_related("actor").order_by("created_at", "id")


def session_report(*, session: Session) -> SessionReport:
    return SessionReport.objects.filter(session=session).first() or SessionReport(session=session)


def appointment_list_for_coach(*, coach: User, filters: dict | None = None) -> QuerySet[Appointment]:
    filters = filters or {}
    qs = Appointment.objects.filter(coach=coach, is_instant=False).with_booking()
    if start := filters.get("from"):
        qs = qs.filter(end__gt=start)
    if end := filters.get("to"):
        qs = qs.filter(start__lt=end)
    return qs.order_by("start")


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
