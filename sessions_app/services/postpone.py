"""Postpone requests (SPEC 11): the coach, or staff, proposes another slot; the customer answers.

While a request is ``PENDING`` its slot is held: nobody can book it (the booking check and, on
PostgreSQL, the triggers of migration 0006) and no other request can offer it (a partial unique
index). Every answer is a conditional update from ``PENDING``, so of two racing answers one wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from config.api.errors import PermissionDeniedError, ValidationFailed
from sessions_app import signals
from sessions_app.errors import InvalidState, SlotUnavailable
from sessions_app.events import session_event_emit
from sessions_app.models import PostponeRequest, Session
from sessions_app.serializers import PostponeRequestSerializer
from sessions_app.services._common import (
    Action,
    calendar_races_refused,
    iso,
    lock_coach_and_slot,
    lock_customer,
    lock_session,
    log_action,
    resolve_now,
    send_after_commit,
)
from sessions_app.services.booking import check_movable, check_time_free, movable_to, move_locked

Status = PostponeRequest.Status


def _emit(type: str, request: PostponeRequest, *, actor: User | None, previous: dict | None = None) -> None:
    """One outbox event of the request's session, carrying the request as the API renders it."""
    session = Session.objects.select_related("coach", "customer").get(pk=request.session_id)
    request = PostponeRequest.objects.select_related("requested_by").get(pk=request.pk)
    session_event_emit(
        type=type,
        session=session,
        actor=actor,
        previous=previous,
        extra={"postpone_request": PostponeRequestSerializer(request)},
    )


def _expiry(*, session: Session, proposed_start: datetime, now: datetime) -> datetime:
    notice = timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES)
    ttl = timedelta(hours=settings.POSTPONE_REQUEST_TTL_HOURS)
    return min(now + ttl, session.scheduled_start - notice, proposed_start - notice)


def postpone_request_create(
    *, session: Session, actor: User, appointment_id, reason: str = "", now: datetime | None = None
) -> PostponeRequest:
    now = resolve_now(now)
    if not (actor.pk == session.coach_id or actor.is_staff):
        raise PermissionDeniedError("Only the coach or staff can propose another time.")
    check_movable(session)
    appointment = movable_to(session=session, appointment_id=appointment_id, now=now)
    if appointment.pk == session.appointment_id:
        raise ValidationFailed(fields={"appointment_id": ["This is the session's own slot."]})
    refused = SlotUnavailable("This slot is no longer free.")
    one_open = {
        "one_open_postpone_request_per_session": InvalidState("This session already has an open postpone request.")
    }
    with calendar_races_refused(refused, constraints=one_open), transaction.atomic():
        lock_customer(session.customer_id)
        lock_coach_and_slot(coach_id=session.coach_id, appointment=appointment)
        session = lock_session(session)
        check_movable(session)
        if PostponeRequest.objects.filter(session=session, status=Status.PENDING).exists():
            raise InvalidState("This session already has an open postpone request.")
        end = appointment.start + timedelta(minutes=session.duration_minutes)
        check_time_free(
            appointment=appointment,
            coach_id=session.coach_id,
            customer_id=session.customer_id,
            start=appointment.start,
            end=end,
            now=now,
            moving=session,
        )
        request = PostponeRequest.objects.create(
            session=session,
            proposed_appointment=appointment,
            proposed_start=appointment.start,
            proposed_end=end,
            requested_by=actor,
            reason=reason[:500],
            expires_at=_expiry(session=session, proposed_start=appointment.start, now=now),
            created_at=now,
        )
        log_action(session=session, action=Action.POSTPONE_REQUESTED, actor=actor, now=now, text=reason)
        _emit("session.postpone_requested", request, actor=actor)
    return request


def _answer(*, request: PostponeRequest, to: str, now: datetime) -> PostponeRequest:
    updated = PostponeRequest.objects.filter(pk=request.pk, status=Status.PENDING, expires_at__gt=now).update(
        status=to, answered_at=now
    )
    if updated != 1:
        request.refresh_from_db()
        raise InvalidState(f"The request is {request.status}; it can no longer be answered.")
    request.refresh_from_db()
    return request


def postpone_request_accept(*, request: PostponeRequest, actor: User, now: datetime | None = None) -> Session:
    """The customer takes the proposed slot: the session moves there and its old slot is free again."""
    now = resolve_now(now)
    session = request.session
    if actor.pk != session.customer_id:
        raise PermissionDeniedError("Only the customer answers a postpone request.")
    if request.proposed_appointment_id is None:
        raise InvalidState("The proposed slot was withdrawn.")
    with calendar_races_refused(SlotUnavailable("This time is no longer available.")), transaction.atomic():
        # The locks a customer's own reschedule takes, in its order (customer, coach, session), so the
        # two moves of one customer cannot both pass the overlap check, nor deadlock each other.
        lock_customer(session.customer_id)
        lock_coach_and_slot(coach_id=session.coach_id, appointment=request.proposed_appointment)
        session = lock_session(session)
        # The hold is released first, so the session itself may now take the slot.
        request = _answer(request=request, to=Status.ACCEPTED, now=now)
        movable_to(session=session, appointment_id=request.proposed_appointment_id, now=now)
        previous = {
            "scheduled_start": iso(session.scheduled_start),
            "scheduled_end": iso(session.scheduled_end),
            "appointment_id": str(session.appointment_id) if session.appointment_id else None,
        }
        session = move_locked(session=session, appointment=request.proposed_appointment, actor=actor, now=now)
        _emit("session.postpone_accepted", request, actor=actor, previous=previous)
        _emit("session.rescheduled", request, actor=actor, previous=previous)
    # As after a customer's reschedule: open chat rooms see the new time.
    send_after_commit(signals.session_updated, session_id=session.pk, actor=actor)
    return session


def postpone_request_decline(*, request: PostponeRequest, actor: User, now: datetime | None = None) -> PostponeRequest:
    now = resolve_now(now)
    if actor.pk != request.session.customer_id:
        raise PermissionDeniedError("Only the customer answers a postpone request.")
    with transaction.atomic():
        request = _answer(request=request, to=Status.DECLINED, now=now)
        log_action(session=request.session, action=Action.POSTPONE_DECLINED, actor=actor, now=now)
        _emit("session.postpone_declined", request, actor=actor)
    return request


def postpone_request_withdraw(*, request: PostponeRequest, actor: User, now: datetime | None = None) -> PostponeRequest:
    now = resolve_now(now)
    if actor.pk != request.requested_by_id and not actor.is_staff:
        raise PermissionDeniedError("Only who asked can withdraw a postpone request.")
    with transaction.atomic():
        request = _answer(request=request, to=Status.WITHDRAWN, now=now)
        log_action(session=request.session, action=Action.POSTPONE_WITHDRAWN, actor=actor, now=now)
        _emit("session.postpone_withdrawn", request, actor=actor)
    return request


def postpone_requests_expire_with_session(*, session: Session, actor: User | None, now: datetime) -> int:
    """Inside the cancel's transaction, the session already ``CANCELLED``: its open request holds its
    slot no longer. Each one gets its ``session.postpone_expired`` event (webhooks learn the request
    is over), with the cancelled session in it: the cancellation notice already tells the people, so
    the planner sends nothing more for it."""
    expired = 0
    for request in PostponeRequest.objects.filter(session=session, status=Status.PENDING):
        if PostponeRequest.objects.filter(pk=request.pk, status=Status.PENDING).update(
            status=Status.EXPIRED, answered_at=now
        ):
            _emit("session.postpone_expired", request, actor=actor)
            expired += 1
    return expired


def postpone_requests_expire_due(*, now: datetime | None = None) -> int:
    """Expire open requests past their time, or whose session starts within the booking notice.
    Idempotent: each is one conditional update from ``PENDING``; a second run finds nothing."""
    now = resolve_now(now)
    notice = timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES)
    due = Q(status=Status.PENDING) & (Q(expires_at__lte=now) | Q(session__scheduled_start__lte=now + notice))
    expired = 0
    for request in PostponeRequest.objects.filter(due).select_related("session").iterator(chunk_size=500):
        with transaction.atomic():
            if PostponeRequest.objects.filter(due, pk=request.pk).update(status=Status.EXPIRED, answered_at=now) != 1:
                continue
            request.refresh_from_db()
            log_action(session=request.session, action=Action.POSTPONE_EXPIRED, actor=None, now=now)
            _emit("session.postpone_expired", request, actor=None)
            expired += 1
    return expired
