"""What every session service shares: the clock, the log writer, the conditional transition, the locks.

Every status change goes through :func:`transition`, a conditional
``UPDATE ... WHERE id = %s AND status IN (...)`` whose row count decides whether the move
happened: two requests racing for the same move cannot both win, and a move from the wrong
state is refused with ``invalid_state``. Each transition's caller writes its log row in the same
transaction and sends its domain signal after commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import CoachProfile, User
from config.api.errors import ApplicationError
from sessions_app import signals
from sessions_app.errors import (
    InvalidState,
    SlotUnavailable,
)
from sessions_app.models import Appointment, Session, SessionLog

Status = Session.Status
Action = SessionLog.Action
NO_SHOW = "NO_SHOW"


def resolve_now(now: datetime | None) -> datetime:
    return now or timezone.now()


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def log_action(
    *, session: Session, action: str, actor: User | None = None, text: str = "", now: datetime | None = None
) -> SessionLog:
    """The one way a session's log gets a row (also from recordings and the policies)."""
    return SessionLog.objects.create(
        session=session, action=action, actor=actor, text=text[:1000], created_at=resolve_now(now)
    )


def send_after_commit(*sigs: signals.Signal, session_id, actor: User | None = None) -> None:
    def send() -> None:
        session = Session.objects.select_related("coach", "customer").get(pk=session_id)
        for sig in sigs:
            sig.send(sender=Session, session=session, actor=actor)

    transaction.on_commit(send)


def transition(*, session: Session, allowed: tuple[str, ...], to: str, condition: Q | None = None, **fields) -> Session:
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


def calendar_changed() -> dict:
    """Fields for a ``transition``/``update`` that changes what a calendar shows of the session (its
    times, its status as CANCELLED): the iCalendar SEQUENCE grows, so calendar apps take the change."""
    return {"sequence": F("sequence") + 1}


def lock_session(session: Session) -> Session:
    """Lock ``session``'s row for this transaction and reload it, so the decision that follows
    sees the state every concurrent writer of the row left (on SQLite the write transaction
    itself serialises writers)."""
    Session.objects.select_for_update().filter(pk=session.pk).values_list("pk", flat=True).get()
    session.refresh_from_db()
    return session


def lock_coach_and_slot(*, coach_id, appointment: Appointment) -> None:
    """Take the coach's lock (the one ``appointment_delete`` takes) and check the slot is still there:
    a coach may withdraw it between our first read and the lock."""
    CoachProfile.objects.select_for_update().get(pk=coach_id)
    if not Appointment.objects.filter(pk=appointment.pk).exists():
        raise SlotUnavailable("The coach has just withdrawn this slot.")


def blocking_sessions():
    """Sessions that hold their time: not cancelled, and not completed (a session that ended
    early frees the rest of its slot; a completed one can only lie in the past otherwise)."""
    return Session.objects.exclude(status__in=Session.FINAL_STATUSES)


def overlapping(qs, start: datetime, end: datetime, start_field: str, end_field: str):
    return qs.filter(**{f"{start_field}__lt": end, f"{end_field}__gt": start})


def is_exclusion_violation(exc: IntegrityError) -> bool:
    """A constraint of the calendar said no: the exclusion or partial unique constraints, or the slot's
    row vanished under a foreign key (PostgreSQL checks those at commit)."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    text = str(exc).upper()
    return sqlstate in ("23P01", "23505", "23503") or "UNIQUE" in text or "FOREIGN KEY" in text


# PostgreSQL's deadlock_detected and serialization_failure: two calendar writes met; one of them lost.
_LOST_RACE_SQLSTATES = ("40P01", "40001")


@contextmanager
def calendar_races_refused(
    refusal: ApplicationError, *, constraints: Mapping[str, ApplicationError] | None = None
) -> Iterator[None]:
    """Wrap a calendar write (book, move, hold a slot): what the checks under the locks could not
    see, the database's constraints still refuse, and that refusal is a 409, never a 500.

    A violated exclusion / unique / foreign-key constraint raises ``refusal`` (a named constraint
    of ``constraints`` its own error instead); a deadlock or serialization failure (the loser of
    two writes that met) is ``slot_unavailable``."""
    try:
        yield
    except IntegrityError as exc:
        for name, error in (constraints or {}).items():
            if name in str(exc):
                raise error from exc
        if is_exclusion_violation(exc):
            raise refusal from exc
        raise
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) in _LOST_RACE_SQLSTATES:
            raise SlotUnavailable("This time is no longer available.") from exc
        raise


def lock_customer(customer_id) -> None:
    """Lock the customer's row before any coach's, in every calendar write of theirs.

    Two bookings of one customer with two coaches took two different coach locks and then met in
    the exclusion constraint on the customer's time range, each waiting for the other (a deadlock).
    With the customer locked first they queue instead, and the second sees the first's session."""
    User.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True).first()


def session_price(*, hourly_rate: Decimal, duration_minutes: int) -> Decimal:
    return (hourly_rate * Decimal(duration_minutes) / Decimal(60)).quantize(Decimal("0.01"), ROUND_HALF_UP)
