"""The periodic completions and no-show cancellations (service, Celery task run eagerly, command).

The same job through a real worker on Redis is in test_periodic_worker.py.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions_app import services
from sessions_app.models import Session, SessionLog
from sessions_app.tasks import close_stale_sessions
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

S = Session.Status


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.SESSION_GRACE_MINUTES = 10
    settings.END_REQUEST_TIMEOUT_MINUTES = 5
    settings.INSTANT_JOIN_WINDOW_MINUTES = 10


def _session(status, *, start, duration=60, **fields):
    return SessionFactory(appointment__start=start, appointment__duration_minutes=duration, status=status, **fields)


def _run(now):
    return services.sessions_close_stale(now=now)


def test_in_progress_session_is_completed_once_its_end_plus_grace_passes():
    now = timezone.now()
    start = now - timedelta(minutes=70)  # ended 10 minutes ago: exactly end + grace
    due = _session(S.IN_PROGRESS, start=start, started_at=start)
    within_grace = _session(S.IN_PROGRESS, start=start + timedelta(minutes=1), started_at=start)

    result = _run(now)

    assert (result.completed, result.cancelled) == (1, 0)
    due.refresh_from_db()
    within_grace.refresh_from_db()
    assert due.status == S.COMPLETED
    assert due.ended_at == now
    assert within_grace.status == S.IN_PROGRESS
    log = due.logs.get(action="COMPLETED")
    assert log.actor is None
    assert log.created_at == now


def test_overdue_end_request_is_completed_even_if_nobody_answers():
    now = timezone.now()
    start = now - timedelta(minutes=75)
    session = _session(
        S.END_REQUEST_PENDING, start=start, started_at=start, end_requested_at=start + timedelta(minutes=59)
    )
    session.end_requested_by = session.coach
    session.save()
    # The end request itself is young... but the slot's end plus grace has passed.
    assert _run(start + timedelta(minutes=61)).completed == 0
    assert _run(now).completed == 1
    session.refresh_from_db()
    assert session.status == S.COMPLETED


def test_unanswered_end_request_is_completed_after_the_timeout():
    now = timezone.now()
    start = now - timedelta(minutes=20)
    unanswered = _session(
        S.END_REQUEST_PENDING, start=start, started_at=start, end_requested_at=now - timedelta(minutes=5)
    )
    fresh = _session(
        S.END_REQUEST_PENDING,
        start=start + timedelta(minutes=60),
        started_at=start,
        end_requested_at=now - timedelta(minutes=4),
    )

    result = _run(now)

    assert result.completed == 1
    unanswered.refresh_from_db()
    fresh.refresh_from_db()
    assert unanswered.status == S.COMPLETED
    assert unanswered.logs.filter(action="COMPLETED", actor=None).count() == 1
    assert fresh.status == S.END_REQUEST_PENDING


def test_scheduled_session_nobody_started_is_cancelled_as_no_show():
    now = timezone.now()
    no_show = _session(S.PENDING, start=now - timedelta(minutes=60))  # its slot ended just now
    still_open = _session(S.PENDING, start=now - timedelta(minutes=59))
    future = _session(S.PENDING, start=now + timedelta(hours=1))

    result = _run(now)

    assert (result.completed, result.cancelled) == (0, 1)
    no_show.refresh_from_db()
    assert no_show.status == S.CANCELLED
    assert no_show.cancel_reason == services.NO_SHOW == "NO_SHOW"
    assert no_show.cancelled_by is None
    assert no_show.cancelled_at == now
    assert list(no_show.logs.values_list("action", "actor", "text")) == [("CANCELLED", None, "NO_SHOW")]
    for session in (still_open, future):
        session.refresh_from_db()
        assert session.status == S.PENDING


def test_instant_session_not_started_within_its_join_window_is_cancelled(coach, customer, outsider):
    now = timezone.now()
    stale = services.session_book_instant(
        customer=customer, coach_id=coach.id, duration_minutes=60, now=now - timedelta(minutes=10)
    )
    result = _run(now - timedelta(seconds=1))
    assert result.cancelled == 0
    result = _run(now)
    assert result.cancelled == 1
    stale.refresh_from_db()
    assert (stale.status, stale.cancel_reason) == (S.CANCELLED, "NO_SHOW")
    # The coach is free for instant bookings again.
    fresh = services.session_book_instant(customer=outsider, coach_id=coach.id, duration_minutes=30, now=now)
    assert fresh.status == S.PENDING


def test_started_instant_session_is_not_cancelled(coach, customer):
    now = timezone.now()
    session = services.session_book_instant(
        customer=customer, coach_id=coach.id, duration_minutes=60, now=now - timedelta(minutes=30)
    )
    services.session_start_call(session=session, actor=customer, now=now - timedelta(minutes=29))
    assert (_run(now).completed, _run(now).cancelled) == (0, 0)
    session.refresh_from_db()
    assert session.status == S.IN_PROGRESS


def test_final_sessions_are_left_alone():
    now = timezone.now()
    start = now - timedelta(days=1)
    done = _session(S.COMPLETED, start=start, started_at=start, ended_at=start + timedelta(minutes=60))
    cancelled = _session(S.CANCELLED, start=start, cancelled_at=start)
    assert (_run(now).completed, _run(now).cancelled) == (0, 0)
    assert not SessionLog.objects.filter(session__in=[done, cancelled]).exists()


def test_second_run_changes_nothing():
    now = timezone.now()
    start = now - timedelta(hours=3)
    _session(S.IN_PROGRESS, start=start, started_at=start)
    _session(S.PENDING, start=start - timedelta(hours=2))
    first = _run(now)
    rows = list(Session.objects.order_by("pk").values("pk", "status", "ended_at", "cancelled_at", "updated_at"))
    logs = SessionLog.objects.count()

    second = _run(now + timedelta(minutes=1))

    assert (first.completed, first.cancelled) == (1, 1)
    assert (second.completed, second.cancelled) == (0, 0)
    assert list(Session.objects.order_by("pk").values("pk", "status", "ended_at", "cancelled_at", "updated_at")) == rows
    assert SessionLog.objects.count() == logs


def test_celery_task_runs_the_same_job():
    # Called in-process (not .delay()/.apply(): those would cache Celery's result backend before
    # the real-worker test configures one).
    start = timezone.now() - timedelta(hours=3)
    session = _session(S.IN_PROGRESS, start=start, started_at=start)
    assert close_stale_sessions() == {"completed": 1, "cancelled": 0}
    session.refresh_from_db()
    assert session.status == S.COMPLETED
    assert close_stale_sessions() == {"completed": 0, "cancelled": 0}


def test_close_stale_sessions_command_runs_the_job_on_demand():
    start = timezone.now() - timedelta(hours=3)
    overdue = _session(S.IN_PROGRESS, start=start, started_at=start)
    no_show = _session(S.PENDING, start=start - timedelta(hours=2))
    out = StringIO()

    call_command("close_stale_sessions", stdout=out)

    assert "completed: 1" in out.getvalue()
    assert "cancelled: 1" in out.getvalue()
    overdue.refresh_from_db()
    no_show.refresh_from_db()
    assert (overdue.status, no_show.status) == (S.COMPLETED, S.CANCELLED)
    out = StringIO()
    call_command("close_stale_sessions", stdout=out)
    assert "completed: 0, cancelled: 0" in out.getvalue()


def test_a_job_that_runs_days_late_records_when_the_session_really_ended():
    now = timezone.now()
    start = now - timedelta(days=2)
    overdue = _session(S.IN_PROGRESS, start=start, started_at=start)
    # Still inside its slot; the request to end went unanswered 6 minutes ago (timeout: 5).
    asked = now - timedelta(minutes=6)
    recent = now - timedelta(minutes=30)
    unanswered = _session(S.END_REQUEST_PENDING, start=recent, started_at=recent, end_requested_at=asked)

    _run(now)

    overdue.refresh_from_db()
    unanswered.refresh_from_db()
    assert overdue.status == unanswered.status == S.COMPLETED
    assert overdue.ended_at == overdue.hard_end  # its slot's end plus the grace, not today
    assert unanswered.ended_at == asked + timedelta(minutes=5)  # when the request timed out
    assert overdue.logs.get(action="COMPLETED").created_at == now  # the log says when the job acted
