"""Sessions in each state, made one way for each need.

``session_in_state`` drives a session there through the real services (logs, signals, the
rules): for tests of the lifecycle and of what it writes. ``session_made`` builds the same states
with the factory, without a history: for satellites' tests that only need a session in a state.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from sessions_app import services
from sessions_app.models import Session
from tests.factories import AppointmentFactory, SessionFactory

# Pseudo-states for the tables: an end request made by one side or the other.
END_REQUESTED_BY_COACH = "END_REQUEST_PENDING(coach)"
END_REQUESTED_BY_CUSTOMER = "END_REQUEST_PENDING(customer)"


def book_open_session(*, coach, customer, minutes_ago: int = 1, duration: int = 60) -> Session:
    """A PENDING scheduled session whose join window is open now, booked through the service
    (with a ``now`` well before the slot, so the booking notice holds)."""
    start = (timezone.now() - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    appointment = AppointmentFactory(coach=coach, start=start, duration_minutes=duration)
    return services.session_book_scheduled(
        customer=customer, appointment_id=appointment.id, now=start - timedelta(hours=2)
    )


def session_in_state(state: str, *, coach, customer) -> Session:
    """A session driven into ``state`` by the services, the customer having started the call."""
    session = book_open_session(coach=coach, customer=customer)
    if state == Session.Status.PENDING:
        return session
    if state == Session.Status.CANCELLED:
        return services.session_cancel(session=session, actor=customer, reason="changed my mind")
    session = services.session_start_call(session=session, actor=customer).session
    if state == Session.Status.IN_PROGRESS:
        return session
    if state in (END_REQUESTED_BY_COACH, Session.Status.COMPLETED):
        session = services.session_request_end(session=session, actor=coach)
    elif state == END_REQUESTED_BY_CUSTOMER:
        session = services.session_request_end(session=session, actor=customer)
    else:
        raise AssertionError(f"unknown state {state}")
    if state == Session.Status.COMPLETED:
        session = services.session_request_end(session=session, actor=customer)
    return session


def session_made(status: str = Session.Status.IN_PROGRESS, *, coach, customer, minutes_ago: int = 5) -> Session:
    """A session in ``status`` made by the factory (no logs, no signals) whose slot started
    ``minutes_ago``: a started one began a minute into its slot, a completed one ended now or at
    its scheduled end, whichever came first; a cancelled one was cancelled now."""
    now = timezone.now()
    start = now - timedelta(minutes=minutes_ago)
    scheduled_end = start + timedelta(minutes=60)  # the factory's slots last an hour
    started = status not in (Session.Status.PENDING, Session.Status.CANCELLED)
    return SessionFactory(
        appointment__coach=coach,
        appointment__start=start,
        customer=customer,
        status=status,
        started_at=start + timedelta(minutes=1) if started else None,
        ended_at=min(now, scheduled_end) if status == Session.Status.COMPLETED else None,
        cancelled_at=now if status == Session.Status.CANCELLED else None,
    )
