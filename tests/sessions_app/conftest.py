"""Helpers for the session tests: sessions brought into a state through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app import services
from sessions_app.models import Session
from tests.factories import AppointmentFactory

# Pseudo-states for the tables: an end request made by one side or the other.
END_REQUESTED_BY_COACH = "END_REQUEST_PENDING(coach)"
END_REQUESTED_BY_CUSTOMER = "END_REQUEST_PENDING(customer)"


def error_code(response) -> str:
    return response.json()["error"]["code"]


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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every test creates users; PBKDF2's real cost would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def open_session(coach, customer):
    return book_open_session(coach=coach, customer=customer)
