"""The periodic job decides on an earlier read; a participant's move that lands in between wins (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from sessions_app import services
from sessions_app.models import Session
from tests.factories import AppointmentFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)
S = Session.Status


def _wait_until_someone_waits_for_a_lock() -> None:
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the periodic job never waited for the session's row lock")


def _race(session: Session, now, move) -> None:
    """Run the periodic job while ``move`` (a participant's request) holds the session's row: the job
    has read its candidates and waits for the lock; the move commits; then the job goes on."""
    errors: list[BaseException] = []

    def sweep():
        try:
            services.sessions_close_stale(now=now)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        Session.objects.select_for_update().get(pk=session.pk)
        worker = threading.Thread(target=sweep)
        worker.start()
        _wait_until_someone_waits_for_a_lock()
        move()
    worker.join(timeout=30)
    assert not worker.is_alive() and not errors, errors


def test_an_end_request_declined_while_the_job_runs_is_not_completed(postgres, coach, customer):
    now = timezone.now()
    start = now - timedelta(minutes=20)
    session = SessionFactory(
        appointment__coach=coach,
        appointment__start=start,
        customer=customer,
        status=S.END_REQUEST_PENDING,
        started_at=start,
        end_requested_by=coach,
        end_requested_at=now - timedelta(minutes=6),  # past END_REQUEST_TIMEOUT_MINUTES
    )

    _race(
        session, now, lambda: services.session_decline_end(session=Session.objects.get(pk=session.pk), actor=customer)
    )

    session.refresh_from_db()
    assert session.status == S.IN_PROGRESS
    assert not session.logs.filter(action="COMPLETED").exists()


def test_a_no_show_moved_to_a_later_slot_while_the_job_runs_is_not_cancelled(postgres, coach, customer, settings):
    now = timezone.now()
    past = (now - timedelta(hours=2)).replace(second=0, microsecond=0)
    session = SessionFactory(appointment__coach=coach, appointment__start=past, customer=customer, status=S.PENDING)
    later = AppointmentFactory(coach=coach, start=(now + timedelta(days=2)).replace(second=0, microsecond=0))

    _race(
        session,
        now,
        lambda: services.session_reschedule(
            session=Session.objects.get(pk=session.pk), actor=customer, appointment_id=later.pk
        ),
    )

    session.refresh_from_db()
    assert session.status == S.PENDING and session.appointment_id == later.pk
