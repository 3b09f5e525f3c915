"""Reads of the session domain. Every read of a session goes through the caller: a session
that is not theirs does not exist for them (404), whatever its id."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from config.api.errors import NotFoundError
from sessions_app.models import Appointment, Session, SessionLog, SessionReport

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
    now = now or timezone.now()
    filters = filters or {}
    qs = (
        Appointment.objects.filter(
            coach_id=coach_id,
            coach__coach_profile__is_verified=True,
            coach__is_active=True,
            is_instant=False,
            start__gt=now,
        )
        .with_booking()
        .filter(is_booked=False)
    )
    if start := filters.get("from"):
        qs = qs.filter(start__gte=start)
    if end := filters.get("to"):
        qs = qs.filter(start__lt=end)
    return qs.order_by("start")
