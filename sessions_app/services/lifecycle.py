"""The session lifecycle: cancel, start the call, ask to end, decline, complete, the periodic job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from integrations.agora import rtc as video
from sessions_app import signals
from sessions_app.credentials import CallCredentials
from sessions_app.errors import (
    InvalidState,
    OutsideJoinWindow,
)
from sessions_app.events import session_event_emit
from sessions_app.models import Session
from sessions_app.services._common import (
    NO_SHOW,
    Action,
    Status,
    calendar_changed,
    lock_session,
    log_action,
    resolve_now,
    send_after_commit,
    transition,
)
from sessions_app.services.attendance import attendance_fields
from sessions_app.services.encryption import (
    MediaEncryption,
    session_media_encryption,
    session_media_encryption_get,
)
from sessions_app.services.postpone import postpone_requests_expire_with_session


def session_cancel(
    *, session: Session, actor: User | None, reason: str = "", now: datetime | None = None, condition: Q | None = None
) -> Session:
    """Cancel a session that has not started. ``actor=None`` is the system (no-shows); ``condition`` is
    what must still hold under the lock (the no-show rule, for the periodic job)."""
    with transaction.atomic():
        session = lock_session(session)
        now = resolve_now(now)
        # Late: a participant cancels after the free window fixed at booking (staff and the system never are).
        late = bool(
            actor is not None
            and session.is_participant(actor)
            and session.free_cancel_until is not None
            and now > session.free_cancel_until
        )
        session = transition(
            session=session,
            allowed=(Status.PENDING,),
            to=Status.CANCELLED,
            condition=condition,
            cancelled_at=now,
            cancelled_by=actor,
            cancel_reason=reason[:500],
            late_cancellation=late,
            **calendar_changed(),
        )
        text = f"{reason} (late cancellation)".strip() if late else reason
        log_action(session=session, action=Action.CANCELLED, actor=actor, text=text, now=now)
        session_event_emit(
            type="session.cancelled", session=session, actor=actor, previous={"status": Status.PENDING}, now=now
        )
        # A proposal for a session that is gone holds its slot no longer (its event after the cancel's).
        postpone_requests_expire_with_session(session=session, actor=actor, now=now)
        send_after_commit(signals.session_cancelled, signals.session_updated, session_id=session.pk, actor=actor)
    return session


def call_token_expiry(*, session: Session, now: datetime) -> datetime:
    """An RTC token lasts until the session's hard end, and at most ``RTC_TOKEN_TTL_MINUTES``:
    a leaked token is worth an hour, and clients renew through ``POST sessions/{id}/token``."""
    ttl = timedelta(minutes=settings.RTC_TOKEN_TTL_MINUTES)
    return min(session.hard_end, now + ttl).replace(microsecond=0)


def _credentials(
    *, session: Session, actor: User, now: datetime, encryption: MediaEncryption | None
) -> CallCredentials:
    expires_at = call_token_expiry(session=session, now=now)
    uid = session.uid_for(actor)
    token = video.rtc_token(channel_name=session.channel_name, uid=uid, expires_at=expires_at)
    return CallCredentials(
        session=session,
        app_id=settings.AGORA_APP_ID,
        channel_name=session.channel_name,
        uid=uid,
        token=token,
        expires_at=expires_at,
        encryption=encryption,
    )


def session_start_call(*, session: Session, actor: User, now: datetime | None = None) -> CallCredentials:
    """Start the session (first call inside the join window) or rejoin it (a reconnect).

    Both participants often press "join" at the same moment: the row lock makes the second one
    see the session the first one started, so it joins it instead of getting a 409."""
    with transaction.atomic():
        session = lock_session(session)
        now = resolve_now(now)
        if session.status == Status.PENDING:
            if not session.join_window_open(now):
                opens = session.join_opens_at.isoformat().replace("+00:00", "Z")
                raise OutsideJoinWindow(f"This session can be joined from {opens} until it ends.")
            session = transition(session=session, allowed=(Status.PENDING,), to=Status.IN_PROGRESS, started_at=now)
            log_action(session=session, action=Action.STARTED, actor=actor, now=now)
            log_action(session=session, action=Action.ENTERED, actor=actor, now=now)
            session_event_emit(
                type="session.started", session=session, actor=actor, previous={"status": Status.PENDING}, now=now
            )
            send_after_commit(signals.session_started, signals.session_updated, session_id=session.pk, actor=actor)
            # Still under the row lock: the first caller makes the key, everyone after reads it.
            encryption = session_media_encryption(session=session)
        elif session.status in Session.ACTIVE_STATUSES:
            if now >= session.hard_end:
                raise OutsideJoinWindow("This session's time is over.")
            entered = session.logs.filter(action=Action.ENTERED, actor=actor).exists()
            log_action(session=session, action=Action.RECONNECTED if entered else Action.ENTERED, actor=actor, now=now)
            # Never made here: a call that started without a key (before encryption was released)
            # stays unencrypted, or a rejoining client could not hear the one still in the channel.
            encryption = session_media_encryption_get(session=session)
        else:
            raise InvalidState(f"The session is {session.status}.")

    return _credentials(session=session, actor=actor, now=now, encryption=encryption)


def session_renew_token(*, session: Session, actor: User, now: datetime | None = None) -> CallCredentials:
    """A fresh RTC token for a participant already in the call (Agora's token-privilege-will-expire).

    Writes no log row: a renewal is not a reconnect, and the attendance timeline stays clean."""
    session.refresh_from_db()
    now = resolve_now(now)
    if session.status not in Session.ACTIVE_STATUSES:
        raise InvalidState(f"A token can be renewed only during the call; the session is {session.status}.")
    if now >= session.hard_end:
        raise OutsideJoinWindow("This session's time is over.")
    return _credentials(session=session, actor=actor, now=now, encryption=None)


def session_request_end(*, session: Session, actor: User, now: datetime | None = None) -> Session:
    """Ask to end; or, when the other participant already asked, confirm and complete.

    Decided under the row lock, so two participants asking at once end up with one request and
    its confirmation rather than a 409 for the slower one."""
    with transaction.atomic():
        session = lock_session(session)
        now = resolve_now(now)
        if session.status == Status.END_REQUEST_PENDING and session.end_requested_by_id not in (None, actor.pk):
            return session_complete(
                session=session,
                actor=actor,
                reason="Both participants agreed to end.",
                allowed=(Status.END_REQUEST_PENDING,),
                now=now,
            )
        if session.status == Status.END_REQUEST_PENDING:
            raise InvalidState("You already asked to end; waiting for the other participant.")
        session = transition(
            session=session,
            allowed=(Status.IN_PROGRESS,),
            to=Status.END_REQUEST_PENDING,
            end_requested_by=actor,
            end_requested_at=now,
        )
        log_action(session=session, action=Action.END_REQUESTED, actor=actor, now=now)
        session_event_emit(
            type="session.end_requested",
            session=session,
            actor=actor,
            previous={"status": Status.IN_PROGRESS, "end_requested_by": None},
            now=now,
        )
        send_after_commit(signals.session_updated, session_id=session.pk, actor=actor)
    return session


def session_decline_end(*, session: Session, actor: User, now: datetime | None = None) -> Session:
    with transaction.atomic():
        session = lock_session(session)
        now = resolve_now(now)
        if session.status != Status.END_REQUEST_PENDING or session.end_requested_by_id == actor.pk:
            raise InvalidState("There is no request to end from the other participant.")
        previous = {"status": session.status, "end_requested_by": session.end_requested_by_id}
        Session.objects.filter(pk=session.pk).update(
            status=Status.IN_PROGRESS, end_requested_by=None, end_requested_at=None, updated_at=now
        )
        session.refresh_from_db()
        log_action(session=session, action=Action.END_DECLINED, actor=actor, now=now)
        session_event_emit(type="session.end_declined", session=session, actor=actor, previous=previous, now=now)
        send_after_commit(signals.session_updated, session_id=session.pk, actor=actor)
    return session


def session_complete(
    *,
    session: Session,
    actor: User | None = None,
    reason: str = "",
    allowed: tuple[str, ...] = Session.ACTIVE_STATUSES,
    now: datetime | None = None,
    condition: Q | None = None,
    ended_at: datetime | None = None,
) -> Session:
    """Complete the session. The end time is read after the row lock is held: a chat message or log
    that held the lock first is then always earlier than ``ended_at``, never "after the end".

    ``ended_at`` records a real end in the past (staff completing a session stuck for days): it is
    kept between the start and now; the COMPLETED log is still written at ``now``, when it happened."""
    with transaction.atomic():
        session = lock_session(session)
        now = resolve_now(now)
        previous = {"status": session.status}
        end = now if ended_at is None else min(ended_at, now)
        if session.started_at is not None:
            end = max(end, session.started_at)
        session = transition(session=session, allowed=allowed, to=Status.COMPLETED, condition=condition, ended_at=end)
        # Decided from the join/leave record at the end: a session one side never joined is a no-show.
        Session.objects.filter(pk=session.pk).update(**attendance_fields(session=session))
        session.refresh_from_db()
        log_action(session=session, action=Action.COMPLETED, actor=actor, text=reason, now=now)
        session_event_emit(type="session.completed", session=session, actor=actor, previous=previous, now=now)
        send_after_commit(signals.session_completed, signals.session_updated, session_id=session.pk, actor=actor)
    return session


@dataclass
class StaleResult:
    completed: int = 0
    cancelled: int = 0


def sessions_close_stale(*, now: datetime | None = None) -> StaleResult:
    """The periodic completions and no-show cancellations. Safe to run twice, or on two workers:
    each move is a conditional update, and a session another run already moved is skipped."""
    now = resolve_now(now)
    result = StaleResult()
    grace = timedelta(minutes=settings.SESSION_GRACE_MINUTES)
    # Each rule is a condition, applied twice: to select, and again under the row lock, so a session
    # a participant changed in between (an end request declined, a slot moved) is left alone.
    overdue = Q(status__in=Session.ACTIVE_STATUSES, scheduled_end__lte=now - grace)
    unanswered = Q(
        status=Status.END_REQUEST_PENDING,
        end_requested_at__lte=now - timedelta(minutes=settings.END_REQUEST_TIMEOUT_MINUTES),
    )
    no_show = Q(status=Status.PENDING) & Session.join_window_closed_q(now)
    timeout = timedelta(minutes=settings.END_REQUEST_TIMEOUT_MINUTES)
    # When each rule says the session ended: a job that runs late (a stopped beat, an outage) records
    # that moment, not the time it got round to it (on time, the two are the same).
    rules = (
        (overdue, "The session's time is over.", lambda s: s.hard_end),
        (unanswered, "Nobody answered the request to end.", lambda s: s.end_requested_at + timeout),
    )
    for rule, reason, ended in rules:
        for session in Session.objects.filter(rule).order_by("scheduled_end").iterator(chunk_size=500):
            try:
                session_complete(session=session, reason=reason, now=now, condition=rule, ended_at=ended(session))
                result.completed += 1
            except InvalidState:
                continue
    for session in Session.objects.filter(no_show).order_by("scheduled_end").iterator(chunk_size=500):
        try:
            session_cancel(session=session, actor=None, reason=NO_SHOW, now=now, condition=no_show)
            result.cancelled += 1
        except InvalidState:
            continue
    return result
