"""Booking (scheduled and instant), moving a booking, the topic."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import CoachProfile, User
from config.api.errors import PermissionDeniedError, ValidationFailed
from integrations.agora import rtc as video
from sessions_app import signals
from sessions_app.errors import (
    BookingTooLate,
    CoachUnavailable,
    DurationExceedsAppointment,
    FreeSessionsDisabled,
    InvalidState,
    SlotUnavailable,
)
from sessions_app.events import session_event_emit
from sessions_app.models import Appointment, PostponeRequest, Session, SessionNumber
from sessions_app.services._common import (
    Action,
    Status,
    blocking_sessions,
    calendar_changed,
    calendar_races_refused,
    iso,
    lock_coach_and_slot,
    lock_customer,
    log_action,
    overlapping,
    resolve_now,
    send_after_commit,
    session_price,
    transition,
)
from sessions_app.services.policy import Buffers, booking_policy_check


def check_time_free(
    *,
    appointment: Appointment,
    coach_id,
    customer_id,
    start: datetime,
    end: datetime,
    now: datetime,
    moving: Session | None = None,
    unavailable: type[Exception] = SlotUnavailable,
) -> Buffers:
    """The slot is free, neither the coach nor the customer holds that time (``moving`` aside), and the
    coach's policy (buffers, daily cap, horizon) allows it; returns the buffers to fix on the session.
    Run under the coach's lock; the database constraints re-check it on PostgreSQL."""
    if Session.objects.exclude(status=Status.CANCELLED).filter(appointment=appointment).exists():
        raise SlotUnavailable("This slot is already booked.")
    holds = PostponeRequest.objects.filter(proposed_appointment=appointment, status=PostponeRequest.Status.PENDING)
    if moving is not None:
        holds = holds.exclude(session=moving)
    if holds.exists():
        raise SlotUnavailable("This slot is held for another session's postpone request.")
    live = blocking_sessions()
    if moving is not None:
        live = live.exclude(pk=moving.pk)
    if overlapping(live.filter(coach_id=coach_id), start, end, "scheduled_start", "scheduled_end").exists():
        raise SlotUnavailable("The coach is booked at this time.")
    if overlapping(live.filter(customer_id=customer_id), start, end, "scheduled_start", "scheduled_end").exists():
        raise SlotUnavailable("The customer already has a session at this time.")
    return booking_policy_check(
        coach_id=coach_id, start=start, end=end, now=now, moving=moving, unavailable=unavailable
    )


def _new_session(
    *,
    customer: User,
    coach: User,
    appointment: Appointment,
    type: str,
    start: datetime,
    duration_minutes: int,
    topic: str,
    now: datetime,
) -> Session:
    profile: CoachProfile = coach.coach_profile
    price = session_price(hourly_rate=profile.hourly_rate, duration_minutes=duration_minutes)
    if price <= 0 and not settings.FREE_SESSIONS_ENABLED:
        raise FreeSessionsDisabled("This session would be free, and free sessions are disabled.")
    end = start + timedelta(minutes=duration_minutes)

    # An instant booking that a buffer refuses is "coach unavailable", as its other refusals.
    unavailable = CoachUnavailable if type == Session.Type.INSTANT else SlotUnavailable
    buffers = check_time_free(
        appointment=appointment,
        coach_id=coach.pk,
        customer_id=customer.pk,
        start=start,
        end=end,
        now=now,
        unavailable=unavailable,
    )

    coach_uid = video.new_uid()
    session = Session.objects.create(
        number=SessionNumber.objects.create().pk,
        type=type,
        coach=coach,
        customer=customer,
        appointment=appointment,
        scheduled_start=start,
        scheduled_end=end,
        duration_minutes=duration_minutes,
        price=price,
        currency=profile.currency,
        topic=topic,
        channel_name=video.new_channel_name(),
        coach_uid=coach_uid,
        customer_uid=video.new_uid(exclude=(coach_uid,)),
        free_cancel_until=free_cancel_until(type=type, start=start),
        buffer_before_minutes=buffers.before,
        buffer_after_minutes=buffers.after,
        created_at=now,
    )
    log_action(session=session, action=Action.BOOKED, actor=customer, now=now)
    session_event_emit(type="session.booked", session=session, actor=customer, now=now)
    return session


def free_cancel_until(*, type: str, start: datetime) -> datetime | None:
    """The cancellation policy fixed at booking: free until ``CANCEL_FREE_HOURS`` before the start.
    An instant session starts at booking, so it has no free window to lose: ``None``, never late."""
    if type == Session.Type.INSTANT:
        return None
    return start - timedelta(hours=settings.CANCEL_FREE_HOURS)


def _check_customer(customer: User) -> None:
    if not customer.is_customer:
        raise PermissionDeniedError("Only customers book sessions.")


def session_book_scheduled(
    *, customer: User, appointment_id, duration_minutes: int | None = None, topic: str = "", now: datetime | None = None
) -> Session:
    now = resolve_now(now)
    _check_customer(customer)
    appointment = (
        Appointment.objects.select_related("coach__coach_profile")
        .filter(
            pk=appointment_id,
            is_instant=False,
            coach__coach_profile__is_verified=True,
            coach__is_active=True,
            coach__role=User.Role.COACH,  # staff may have taken the role away: then the coach is gone
        )
        .first()
    )
    if appointment is None:
        raise ValidationFailed(fields={"appointment_id": ["No such appointment."]})
    if appointment.coach_id == customer.pk:
        raise PermissionDeniedError("You cannot book yourself.")
    duration = duration_minutes or appointment.duration_minutes
    if duration > appointment.duration_minutes:
        raise DurationExceedsAppointment(
            f"The appointment is {appointment.duration_minutes} minutes; {duration} asked."
        )
    if appointment.start < now + timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES):
        raise BookingTooLate(f"Sessions must be booked at least {settings.MIN_BOOKING_NOTICE_MINUTES} minutes ahead.")
    with calendar_races_refused(SlotUnavailable("This time is no longer available.")), transaction.atomic():
        lock_customer(customer.pk)
        lock_coach_and_slot(coach_id=appointment.coach_id, appointment=appointment)
        return _new_session(
            customer=customer,
            coach=appointment.coach,
            appointment=appointment,
            type=Session.Type.SCHEDULED,
            start=appointment.start,
            duration_minutes=duration,
            topic=topic,
            now=now,
        )


def session_book_instant(
    *, customer: User, coach_id, duration_minutes: int, topic: str = "", now: datetime | None = None
) -> Session:
    now = resolve_now(now)
    _check_customer(customer)
    profile = (
        CoachProfile.objects.select_related("user")
        .filter(pk=coach_id, user__is_active=True, user__role=User.Role.COACH)
        .first()
    )
    if profile is None:
        raise ValidationFailed(fields={"coach_id": ["No such coach."]})
    if not profile.is_verified:
        # SPEC: an instant session needs a verified coach, "otherwise 409 coach_unavailable".
        raise CoachUnavailable("The coach is not available right now.")
    if duration_minutes < 1 or duration_minutes > max(settings.APPOINTMENT_DURATIONS):
        raise ValidationFailed(
            fields={"duration_minutes": [f"Choose between 1 and {max(settings.APPOINTMENT_DURATIONS)} minutes."]}
        )
    coach = profile.user
    start = now.replace(microsecond=0)
    end = start + timedelta(minutes=duration_minutes)
    refused = CoachUnavailable("The coach is no longer free at this time.")
    with calendar_races_refused(refused), transaction.atomic():
        lock_customer(customer.pk)
        profile = CoachProfile.objects.select_for_update().get(pk=coach.pk)
        if profile.availability != CoachProfile.Availability.ONLINE:
            raise CoachUnavailable("The coach is offline.")
        live = blocking_sessions().filter(coach=coach)
        if live.filter(status__in=Session.ACTIVE_STATUSES).exists():
            raise CoachUnavailable("The coach is in another session.")
        if overlapping(live, start, end, "scheduled_start", "scheduled_end").exists():
            raise CoachUnavailable("The coach is booked during this time.")
        # A free published slot that customers can still book is promised to the calendar.
        # (Booked ones count through their sessions above; one inside the booking notice
        # can no longer be booked, so it does not hold the coach back.)
        bookable = (
            Appointment.objects.filter(
                coach=coach,
                is_instant=False,
                start__gte=now + timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES),
            )
            .with_booking()
            .filter(is_booked=False)
        )
        if overlapping(bookable, start, end, "start", "end").exists():
            raise CoachUnavailable("The coach has a bookable slot starting before this session would end.")
        appointment = Appointment.objects.create(
            coach=coach, start=start, end=end, duration_minutes=duration_minutes, is_instant=True
        )
        return _new_session(
            customer=customer,
            coach=coach,
            appointment=appointment,
            type=Session.Type.INSTANT,
            start=start,
            duration_minutes=duration_minutes,
            topic=topic,
            now=now,
        )


def check_movable(session: Session) -> None:
    if session.status != Status.PENDING:
        raise InvalidState(f"The session is {session.status}; only a pending session can be moved.")
    if session.type != Session.Type.SCHEDULED:
        raise InvalidState("Only scheduled sessions can be moved.")


def movable_to(*, session: Session, appointment_id, now: datetime) -> Appointment:
    """The slot ``session`` may move to: a free-looking slot of its coach, far enough ahead, long enough.
    The final word is :func:`move_locked`'s, under the coach's lock."""
    check_movable(session)
    appointment = Appointment.objects.filter(pk=appointment_id, coach_id=session.coach_id, is_instant=False).first()
    if appointment is None:
        raise ValidationFailed(fields={"appointment_id": ["No such appointment of this coach."]})
    if session.duration_minutes > appointment.duration_minutes:
        raise DurationExceedsAppointment("The session is longer than that appointment.")
    if appointment.start < now + timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES):
        raise BookingTooLate(f"Sessions must be booked at least {settings.MIN_BOOKING_NOTICE_MINUTES} minutes ahead.")
    return appointment


def move_locked(*, session: Session, appointment: Appointment, actor: User | None, now: datetime) -> Session:
    """Move a pending session to ``appointment``. The caller holds a transaction and the coach's lock
    (``lock_coach_and_slot``); the cancellation window moves with the start, keeping its length."""
    start = appointment.start
    end = start + timedelta(minutes=session.duration_minutes)
    check_time_free(
        appointment=appointment,
        coach_id=session.coach_id,
        customer_id=session.customer_id,
        start=start,
        end=end,
        now=now,
        moving=session,
    )
    old_start = session.scheduled_start
    window = {}
    if session.free_cancel_until is not None:
        window["free_cancel_until"] = start - (old_start - session.free_cancel_until)
    session = transition(
        session=session,
        allowed=(Status.PENDING,),
        to=Status.PENDING,
        appointment=appointment,
        scheduled_start=start,
        scheduled_end=end,
        **window,
        **calendar_changed(),
    )
    log_action(
        session=session, action=Action.RESCHEDULED, actor=actor, now=now, text=f"{iso(old_start)} -> {iso(start)}"
    )
    return session


def session_reschedule(*, session: Session, actor: User, appointment_id, now: datetime | None = None) -> Session:
    """The customer (or staff) moves a pending session to another free slot of its coach.

    A coach proposes instead (postpone requests, SPEC 11): the customer's booking is theirs to move.
    Inside the cancellation window the customer can no longer move it (400 ``booking_too_late``)."""
    now = resolve_now(now)
    check_movable(session)
    if actor.pk == session.coach_id:
        raise PermissionDeniedError("Coaches propose another time with a postpone request.")
    appointment = movable_to(session=session, appointment_id=appointment_id, now=now)
    if appointment.pk == session.appointment_id:
        return session
    if actor.pk == session.customer_id and session.free_cancel_until and now > session.free_cancel_until:
        raise BookingTooLate("The free change window of this session has passed; it can no longer be moved.")
    with calendar_races_refused(SlotUnavailable("This time is no longer available.")), transaction.atomic():
        lock_customer(session.customer_id)
        lock_coach_and_slot(coach_id=session.coach_id, appointment=appointment)
        previous = {
            "appointment_id": session.appointment_id,
            "scheduled_start": session.scheduled_start,
            "scheduled_end": session.scheduled_end,
        }
        session = move_locked(session=session, appointment=appointment, actor=actor, now=now)
        session_event_emit(type="session.rescheduled", session=session, actor=actor, previous=previous, now=now)
    send_after_commit(signals.session_updated, session_id=session.pk, actor=actor)
    return session


def session_update_topic(*, session: Session, actor: User, topic: str) -> Session:
    if session.is_final:
        raise InvalidState(f"The session is {session.status}; its topic can no longer change.")
    Session.objects.filter(pk=session.pk).update(topic=topic, updated_at=timezone.now())
    session.refresh_from_db()
    send_after_commit(signals.session_updated, session_id=session.pk, actor=actor)
    return session
