"""Writes of the session domain: appointments, booking and every lifecycle transition.

Every status change goes through :func:`_transition`, a conditional
``UPDATE ... WHERE id = %s AND status IN (...)`` whose row count decides whether the move
happened: two requests racing for the same move cannot both win, and a move from the wrong
state is refused with ``invalid_state``. Each transition writes its log row in the same
transaction and sends its domain signal after commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import CoachProfile, User
from config.api.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from integrations.agora import rtc as video
from sessions_app import signals
from sessions_app.errors import (
    BookingTooLate,
    CoachUnavailable,
    DurationExceedsAppointment,
    FreeSessionsDisabled,
    IdempotencyConflict,
    InvalidState,
    OutsideJoinWindow,
    ReportNotAvailable,
    SessionEnded,
    SlotUnavailable,
)
from sessions_app.models import Appointment, IdempotencyKey, Session, SessionLog, SessionNumber, SessionReport

Status = Session.Status
Action = SessionLog.Action
NO_SHOW = "NO_SHOW"


# --- helpers -------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _log(
    *, session: Session, action: str, actor: User | None = None, text: str = "", at: datetime | None = None
) -> SessionLog:
    return SessionLog.objects.create(session=session, action=action, actor=actor, text=text[:1000], created_at=_now(at))


def _send_after_commit(*sigs: signals.Signal, session_id, actor: User | None = None) -> None:
    def send() -> None:
        session = Session.objects.select_related("coach", "customer").get(pk=session_id)
        for sig in sigs:
            sig.send(sender=Session, session=session, actor=actor)

    transaction.on_commit(send)


def _transition(
    *, session: Session, allowed: tuple[str, ...], to: str, condition: Q | None = None, **fields
) -> Session:
    """Move ``session`` to ``to`` if, in the database, it is still in one of ``allowed`` (and still
    meets ``condition``, for moves decided on an earlier read, such as the periodic job's)."""
    qs = Session.objects.filter(pk=session.pk, status__in=allowed)
    if condition is not None:
        qs = qs.filter(condition)
    updated = qs.update(status=to, updated_at=timezone.now(), **fields)
    if updated != 1:
        current = Session.objects.filter(pk=session.pk).values_list("status", flat=True).first()
        raise InvalidState(f"The session is {current}; this needs {' or '.join(allowed)}.")
    session.refresh_from_db()
    return session


def _lock(session: Session) -> Session:
    """Lock ``session``'s row for this transaction and reload it, so the decision that follows
    sees the state every concurrent writer of the row left (on SQLite the write transaction
    itself serialises writers)."""
    Session.objects.select_for_update().filter(pk=session.pk).values_list("pk", flat=True).get()
    session.refresh_from_db()
    return session


def _lock_coach_and_slot(*, coach_id, appointment: Appointment) -> None:
    """Take the coach's lock (the one ``appointment_delete`` takes) and check the slot is still there:
    a coach may withdraw it between our first read and the lock."""
    CoachProfile.objects.select_for_update().get(pk=coach_id)
    if not Appointment.objects.filter(pk=appointment.pk).exists():
        raise SlotUnavailable("The coach has just withdrawn this slot.")


def _blocking_sessions():
    """Sessions that hold their time: not cancelled, and not completed (a session that ended
    early frees the rest of its slot; a completed one can only lie in the past otherwise)."""
    return Session.objects.exclude(status__in=Session.FINAL_STATUSES)


def _overlapping(qs, start: datetime, end: datetime, start_field: str, end_field: str):
    return qs.filter(**{f"{start_field}__lt": end, f"{end_field}__gt": start})


def _is_exclusion_violation(exc: IntegrityError) -> bool:
    """A constraint of the calendar said no: the exclusion or partial unique constraints, or the slot's
    row vanished under a foreign key (PostgreSQL checks those at commit)."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    text = str(exc).upper()
    return sqlstate in ("23P01", "23505", "23503") or "UNIQUE" in text or "FOREIGN KEY" in text


def session_price(*, hourly_rate: Decimal, duration_minutes: int) -> Decimal:
    return (hourly_rate * Decimal(duration_minutes) / Decimal(60)).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --- appointments --------------------------------------------------------------------------------


def appointment_create(
    *, coach: User, start: datetime, duration_minutes: int, now: datetime | None = None
) -> Appointment:
    now = _now(now)
    if not coach.is_coach:
        raise PermissionDeniedError("Only coaches publish appointments.")
    if not CoachProfile.objects.filter(pk=coach.pk, is_verified=True).exists():
        raise PermissionDeniedError("Your coach account is not verified yet.")
    if duration_minutes not in settings.APPOINTMENT_DURATIONS:
        allowed = ", ".join(str(d) for d in settings.APPOINTMENT_DURATIONS)
        raise ValidationFailed(fields={"duration_minutes": [f"Choose one of: {allowed}."]})
    start = start.replace(second=0, microsecond=0)
    if start <= now:
        raise ValidationFailed(fields={"start": ["The slot must start in the future."]})
    end = start + timedelta(minutes=duration_minutes)
    try:
        with transaction.atomic():
            # The coach's profile row is the per-coach lock: slot and booking checks for one
            # coach run one at a time; the exclusion constraints stay the last guard.
            CoachProfile.objects.select_for_update().get(pk=coach.pk)
            slots = Appointment.objects.filter(coach=coach, is_instant=False)
            if _overlapping(slots, start, end, "start", "end").exists():
                raise SlotUnavailable("This slot overlaps another of your slots.")
            # An instant session's own slot counts through its session, until that is cancelled.
            if _overlapping(
                _blocking_sessions().filter(coach=coach), start, end, "scheduled_start", "scheduled_end"
            ).exists():
                raise SlotUnavailable("This slot overlaps one of your sessions.")
            return Appointment.objects.create(coach=coach, start=start, end=end, duration_minutes=duration_minutes)
    except IntegrityError as exc:
        raise SlotUnavailable("This slot overlaps another of your slots.") from exc


def appointment_delete(*, coach: User, appointment: Appointment) -> None:
    with transaction.atomic():
        CoachProfile.objects.select_for_update().get(pk=coach.pk)
        if appointment.sessions.exclude(status=Status.CANCELLED).exists():
            raise SlotUnavailable("This slot is booked; cancel the session first.")
        # Cancelled sessions of this slot keep their times; their appointment_id becomes null.
        appointment.delete()


# --- booking -------------------------------------------------------------------------------------


def _check_time_free(
    *, appointment: Appointment, coach_id, customer_id, start: datetime, end: datetime, moving: Session | None = None
) -> None:
    """The slot is free, and neither the coach nor the customer holds that time (``moving`` aside).
    Run under the coach's lock; the database constraints re-check it on PostgreSQL."""
    if Session.objects.exclude(status=Status.CANCELLED).filter(appointment=appointment).exists():
        raise SlotUnavailable("This slot is already booked.")
    live = _blocking_sessions()
    if moving is not None:
        live = live.exclude(pk=moving.pk)
    if _overlapping(live.filter(coach_id=coach_id), start, end, "scheduled_start", "scheduled_end").exists():
        raise SlotUnavailable("The coach is booked at this time.")
    if _overlapping(live.filter(customer_id=customer_id), start, end, "scheduled_start", "scheduled_end").exists():
        raise SlotUnavailable("The customer already has a session at this time.")


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

    _check_time_free(appointment=appointment, coach_id=coach.pk, customer_id=customer.pk, start=start, end=end)

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
        created_at=now,
    )
    _log(session=session, action=Action.BOOKED, actor=customer, at=now)
    _send_after_commit(signals.session_booked, session_id=session.pk, actor=customer)
    return session


def _check_customer(customer: User) -> None:
    if not customer.is_customer:
        raise PermissionDeniedError("Only customers book sessions.")


def session_book_scheduled(
    *, customer: User, appointment_id, duration_minutes: int | None = None, topic: str = "", now: datetime | None = None
) -> Session:
    now = _now(now)
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
    try:
        with transaction.atomic():
            _lock_coach_and_slot(coach_id=appointment.coach_id, appointment=appointment)
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
    except IntegrityError as exc:
        # The exclusion / partial unique constraints caught a race the checks above missed.
        if _is_exclusion_violation(exc):
            raise SlotUnavailable("This time is no longer available.") from exc
        raise


def session_book_instant(
    *, customer: User, coach_id, duration_minutes: int, topic: str = "", now: datetime | None = None
) -> Session:
    now = _now(now)
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
    try:
        with transaction.atomic():
            profile = CoachProfile.objects.select_for_update().get(pk=coach.pk)
            if profile.availability != CoachProfile.Availability.ONLINE:
                raise CoachUnavailable("The coach is offline.")
            live = _blocking_sessions().filter(coach=coach)
            if live.filter(status__in=Session.ACTIVE_STATUSES).exists():
                raise CoachUnavailable("The coach is in another session.")
            if _overlapping(live, start, end, "scheduled_start", "scheduled_end").exists():
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
            if _overlapping(bookable, start, end, "start", "end").exists():
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
    except IntegrityError as exc:
        if _is_exclusion_violation(exc):
            raise CoachUnavailable("The coach is no longer free at this time.") from exc
        raise


def session_reschedule(*, session: Session, user: User, appointment_id, now: datetime | None = None) -> Session:
    now = _now(now)
    if session.status != Status.PENDING:
        raise InvalidState(f"The session is {session.status}; only a pending session can be moved.")
    if session.type != Session.Type.SCHEDULED:
        raise InvalidState("Only scheduled sessions can be moved.")
    appointment = Appointment.objects.filter(pk=appointment_id, coach_id=session.coach_id, is_instant=False).first()
    if appointment is None:
        raise ValidationFailed(fields={"appointment_id": ["No such appointment of this coach."]})
    if appointment.pk == session.appointment_id:
        return session
    if session.duration_minutes > appointment.duration_minutes:
        raise DurationExceedsAppointment("The session is longer than that appointment.")
    if appointment.start < now + timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES):
        raise BookingTooLate(f"Sessions must be booked at least {settings.MIN_BOOKING_NOTICE_MINUTES} minutes ahead.")
    start = appointment.start
    end = start + timedelta(minutes=session.duration_minutes)
    try:
        with transaction.atomic():
            _lock_coach_and_slot(coach_id=session.coach_id, appointment=appointment)
            _check_time_free(
                appointment=appointment,
                coach_id=session.coach_id,
                customer_id=session.customer_id,
                start=start,
                end=end,
                moving=session,
            )
            old_start = session.scheduled_start
            session = _transition(
                session=session,
                allowed=(Status.PENDING,),
                to=Status.PENDING,
                appointment=appointment,
                scheduled_start=start,
                scheduled_end=end,
            )
            _log(
                session=session,
                action=Action.RESCHEDULED,
                actor=user,
                at=now,
                text=f"{_iso(old_start)} -> {_iso(start)}",
            )
    except IntegrityError as exc:
        if _is_exclusion_violation(exc):
            raise SlotUnavailable("This time is no longer available.") from exc
        raise
    _send_after_commit(signals.session_updated, session_id=session.pk, actor=user)
    return session


def session_update_topic(*, session: Session, user: User, topic: str) -> Session:
    if session.is_final:
        raise InvalidState(f"The session is {session.status}; its topic can no longer change.")
    Session.objects.filter(pk=session.pk).update(topic=topic, updated_at=timezone.now())
    session.refresh_from_db()
    _send_after_commit(signals.session_updated, session_id=session.pk, actor=user)
    return session


# --- idempotent booking ----------------------------------------------------------------------------


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Replay:
    status: int
    body: dict


def idempotent(*, user: User, key: str, fingerprint: str, perform: Callable[[], tuple[int, dict]]) -> Replay:
    """Run ``perform`` once per (user, key); repeats replay the stored answer.

    The key row is claimed before the work: a concurrent repeat finds it and is told to retry
    (409 ``idempotency_conflict``) instead of booking twice. A failed attempt releases the key,
    so the client may retry it with the same key.
    """
    if len(key) > 255 or not key.strip():
        raise ValidationFailed(fields={"Idempotency-Key": ["Use 1 to 255 characters."]})
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is None:  # released between our insert and this read: treat as in flight
            raise IdempotencyConflict("A request with this Idempotency-Key is in progress; retry.") from None
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict() from None
        if record.response_status is None:
            raise IdempotencyConflict("A request with this Idempotency-Key is in progress; retry.") from None
        return Replay(status=record.response_status, body=record.response_body)
    try:
        status, body = perform()
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyKey.objects.filter(pk=record.pk).update(response_status=status, response_body=body)
    return Replay(status=status, body=body)


# --- lifecycle -------------------------------------------------------------------------------------


def session_cancel(
    *, session: Session, by: User | None, reason: str = "", now: datetime | None = None, condition: Q | None = None
) -> Session:
    """Cancel a session that has not started. ``by=None`` is the system (no-shows); ``condition`` is
    what must still hold under the lock (the no-show rule, for the periodic job)."""
    with transaction.atomic():
        session = _lock(session)
        now = _now(now)
        session = _transition(
            session=session,
            allowed=(Status.PENDING,),
            to=Status.CANCELLED,
            condition=condition,
            cancelled_at=now,
            cancelled_by=by,
            cancel_reason=reason[:500],
        )
        _log(session=session, action=Action.CANCELLED, actor=by, text=reason, at=now)
        _send_after_commit(signals.session_cancelled, signals.session_updated, session_id=session.pk, actor=by)
    return session


@dataclass
class CallCredentials:
    session: Session
    app_id: str
    channel_name: str
    uid: int
    token: str
    expires_at: datetime


def session_start_call(*, session: Session, user: User, now: datetime | None = None) -> CallCredentials:
    """Start the session (first call inside the join window) or rejoin it (a reconnect).

    Both participants often press "join" at the same moment: the row lock makes the second one
    see the session the first one started, so it joins it instead of getting a 409."""
    with transaction.atomic():
        session = _lock(session)
        now = _now(now)
        if session.status == Status.PENDING:
            if not (session.join_opens_at <= now < session.join_closes_at):
                opens = session.join_opens_at.isoformat().replace("+00:00", "Z")
                raise OutsideJoinWindow(f"This session can be joined from {opens} until it ends.")
            session = _transition(session=session, allowed=(Status.PENDING,), to=Status.IN_PROGRESS, started_at=now)
            _log(session=session, action=Action.STARTED, actor=user, at=now)
            _log(session=session, action=Action.ENTERED, actor=user, at=now)
            _send_after_commit(signals.session_started, signals.session_updated, session_id=session.pk, actor=user)
        elif session.status in Session.ACTIVE_STATUSES:
            if now >= session.hard_end:
                raise OutsideJoinWindow("This session's time is over.")
            entered = session.logs.filter(action=Action.ENTERED, actor=user).exists()
            _log(session=session, action=Action.RECONNECTED if entered else Action.ENTERED, actor=user, at=now)
        else:
            raise InvalidState(f"The session is {session.status}.")

    expires_at = min(session.hard_end, now + timedelta(hours=24))
    uid = session.uid_for(user)
    token = video.rtc_token(channel_name=session.channel_name, uid=uid, expires_at=expires_at)
    return CallCredentials(
        session=session,
        app_id=settings.AGORA_APP_ID,
        channel_name=session.channel_name,
        uid=uid,
        token=token,
        expires_at=expires_at.replace(microsecond=0),
    )


def session_request_end(*, session: Session, user: User, now: datetime | None = None) -> Session:
    """Ask to end; or, when the other participant already asked, confirm and complete.

    Decided under the row lock, so two participants asking at once end up with one request and
    its confirmation rather than a 409 for the slower one."""
    with transaction.atomic():
        session = _lock(session)
        now = _now(now)
        if session.status == Status.END_REQUEST_PENDING and session.end_requested_by_id not in (None, user.pk):
            return session_complete(
                session=session,
                actor=user,
                reason="Both participants agreed to end.",
                allowed=(Status.END_REQUEST_PENDING,),
                now=now,
            )
        if session.status == Status.END_REQUEST_PENDING:
            raise InvalidState("You already asked to end; waiting for the other participant.")
        session = _transition(
            session=session,
            allowed=(Status.IN_PROGRESS,),
            to=Status.END_REQUEST_PENDING,
            end_requested_by=user,
            end_requested_at=now,
        )
        _log(session=session, action=Action.END_REQUESTED, actor=user, at=now)
        _send_after_commit(signals.session_updated, session_id=session.pk, actor=user)
    return session


def session_decline_end(*, session: Session, user: User, now: datetime | None = None) -> Session:
    with transaction.atomic():
        session = _lock(session)
        now = _now(now)
        if session.status != Status.END_REQUEST_PENDING or session.end_requested_by_id == user.pk:
            raise InvalidState("There is no request to end from the other participant.")
        Session.objects.filter(pk=session.pk).update(
            status=Status.IN_PROGRESS, end_requested_by=None, end_requested_at=None, updated_at=now
        )
        session.refresh_from_db()
        _log(session=session, action=Action.END_DECLINED, actor=user, at=now)
        _send_after_commit(signals.session_updated, session_id=session.pk, actor=user)
    return session


def session_complete(
    *,
    session: Session,
    actor: User | None = None,
    reason: str = "",
    allowed: tuple[str, ...] = Session.ACTIVE_STATUSES,
    now: datetime | None = None,
    condition: Q | None = None,
) -> Session:
    """Complete the session. The end time is read after the row lock is held: a chat message or log
    that held the lock first is then always earlier than ``ended_at``, never "after the end"."""
    with transaction.atomic():
        session = _lock(session)
        now = _now(now)
        session = _transition(session=session, allowed=allowed, to=Status.COMPLETED, condition=condition, ended_at=now)
        _log(session=session, action=Action.COMPLETED, actor=actor, text=reason, at=now)
        _send_after_commit(signals.session_completed, signals.session_updated, session_id=session.pk, actor=actor)
    return session


@dataclass
class StaleResult:
    completed: int = 0
    cancelled: int = 0


def sessions_close_stale(*, now: datetime | None = None) -> StaleResult:
    """The periodic completions and no-show cancellations. Safe to run twice, or on two workers:
    each move is a conditional update, and a session another run already moved is skipped."""
    now = _now(now)
    result = StaleResult()
    grace = timedelta(minutes=settings.SESSION_GRACE_MINUTES)
    # Each rule is a condition, applied twice: to select, and again under the row lock, so a session
    # a participant changed in between (an end request declined, a slot moved) is left alone.
    overdue = Q(status__in=Session.ACTIVE_STATUSES, scheduled_end__lte=now - grace)
    unanswered = Q(
        status=Status.END_REQUEST_PENDING,
        end_requested_at__lte=now - timedelta(minutes=settings.END_REQUEST_TIMEOUT_MINUTES),
    )
    no_show = Q(status=Status.PENDING) & (
        Q(type=Session.Type.SCHEDULED, scheduled_end__lte=now)
        | Q(type=Session.Type.INSTANT, created_at__lte=now - timedelta(minutes=settings.INSTANT_JOIN_WINDOW_MINUTES))
        | Q(type=Session.Type.INSTANT, scheduled_end__lte=now)
    )
    for rule, reason in ((overdue, "The session's time is over."), (unanswered, "Nobody answered the request to end.")):
        for session in Session.objects.filter(rule).order_by("scheduled_end").iterator(chunk_size=500):
            try:
                session_complete(session=session, reason=reason, now=now, condition=rule)
                result.completed += 1
            except InvalidState:
                continue
    for session in Session.objects.filter(no_show).order_by("scheduled_end").iterator(chunk_size=500):
        try:
            session_cancel(session=session, by=None, reason=NO_SHOW, now=now, condition=no_show)
            result.cancelled += 1
        except InvalidState:
            continue
    return result


# --- logs and reports --------------------------------------------------------------------------------


def session_log_add(
    *, session: Session, user: User, action: str, text: str = "", now: datetime | None = None
) -> SessionLog:
    if action not in SessionLog.CLIENT_ACTIONS:
        raise ValidationFailed(fields={"action": [f"'{action}' is recorded by the system only."]})
    with transaction.atomic():
        # Lock the row so a log cannot slip in after a concurrent completion.
        status = Session.objects.select_for_update().filter(pk=session.pk).values_list("status", flat=True).get()
        if status in Session.FINAL_STATUSES:
            raise SessionEnded("No logs can be added once the session has ended.")
        return _log(session=session, action=action, actor=user, text=text, at=now)


def session_report_update(
    *,
    session: Session,
    user: User,
    summary: str | None = None,
    recommendations: list[str] | None = None,
    notes: str | None = None,
) -> SessionReport:
    if session.status != Status.COMPLETED:
        raise ReportNotAvailable()
    report, _ = SessionReport.objects.get_or_create(session=session)
    fields: list[str] = []
    if user.pk == session.coach_id:
        if notes is not None:
            raise ValidationFailed(fields={"notes": ["Notes are the customer's part of the report."]})
        if summary is not None:
            report.coach_summary, fields = summary, [*fields, "coach_summary"]
        if recommendations is not None:
            report.coach_recommendations, fields = recommendations, [*fields, "coach_recommendations"]
    elif user.pk == session.customer_id:
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
