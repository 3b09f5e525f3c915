"""Attendance and outcome at completion (SPEC 11), from the join/leave record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessions_app import services
from sessions_app.models import Session, SessionLog
from sessions_app.services.attendance import session_attendance
from tests.helpers.sessions import book_open_session

pytestmark = pytest.mark.django_db


def _start(session, who, *, at):
    return services.session_start_call(session=session, actor=who, now=at).session


def _complete_by_the_periodic_job(session):
    result = services.sessions_close_stale(now=session.hard_end + timedelta(seconds=1))
    assert result.completed == 1
    session.refresh_from_db()
    return session


@pytest.mark.parametrize(
    ("coach_joins", "customer_joins", "coach_mark", "customer_mark", "outcome"),
    [
        (None, 0, "ABSENT", "ATTENDED", "COACH_NO_SHOW"),
        (0, None, "ATTENDED", "ABSENT", "CUSTOMER_NO_SHOW"),
        (0, 1, "ATTENDED", "ATTENDED", "HELD"),
        (0, 25, "ATTENDED", "LATE", "HELD"),
        (20, 0, "LATE", "ATTENDED", "HELD"),
        (30, None, "LATE", "ABSENT", "CUSTOMER_NO_SHOW"),
    ],
)
def test_attendance_for_every_combination_of_joins(
    coach, customer, coach_joins, customer_joins, coach_mark, customer_mark, outcome
):
    session = book_open_session(coach=coach, customer=customer, minutes_ago=1)
    start = session.scheduled_start
    joins = sorted(
        [(m, who) for m, who in ((coach_joins, coach), (customer_joins, customer)) if m is not None],
        key=lambda pair: pair[0],
    )
    for minutes, who in joins:
        session = _start(session, who, at=start + timedelta(minutes=minutes))
    session = _complete_by_the_periodic_job(session)
    assert session.status == "COMPLETED"
    assert (session.attendance_coach, session.attendance_customer, session.outcome) == (
        coach_mark,
        customer_mark,
        outcome,
    )


def test_agora_join_events_count_and_the_recorder_does_not(coach, customer):
    session = book_open_session(coach=coach, customer=customer, minutes_ago=1)
    session = _start(session, customer, at=session.scheduled_start)
    # A join seen only through the provider's channel events, logged as ENTERED for the coach,
    # and a row of nobody's (the cloud recorder's uid matches no participant, so it has no actor).
    SessionLog.objects.create(session=session, action="ENTERED", actor=coach, created_at=session.scheduled_start)
    SessionLog.objects.create(session=session, action="ENTERED", actor=None, created_at=session.scheduled_start)
    result = session_attendance(session=session)
    assert (result.coach, result.customer, result.outcome) == ("ATTENDED", "ATTENDED", "HELD")


def test_attendance_shows_in_the_session_and_the_report(api, coach, customer):
    session = book_open_session(coach=coach, customer=customer, minutes_ago=1)
    session = _start(session, customer, at=session.scheduled_start)
    session = _complete_by_the_periodic_job(session)
    body = api(customer).get(f"/api/v1/sessions/{session.id}").json()
    assert body["attendance"] == {"coach": "ABSENT", "customer": "ATTENDED"}
    assert body["outcome"] == "COACH_NO_SHOW"
    report = api(customer).get(f"/api/v1/sessions/{session.id}/report").json()
    assert report["attendance"] == {"coach": "ABSENT", "customer": "ATTENDED"}
    assert report["outcome"] == "COACH_NO_SHOW"


def test_a_pending_session_has_no_attendance_yet(api, coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    body = api(customer).get(f"/api/v1/sessions/{session.id}").json()
    assert body["attendance"] is None and body["outcome"] is None
    assert Session.objects.get(pk=session.pk).outcome == ""
