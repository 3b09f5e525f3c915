"""The notification flow once through a real Celery worker on Redis: event -> planner -> delivery."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Delivery, Notification
from sessions_app import services
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(check, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_booking_notifications_go_through_the_worker(live_celery_worker, coach, customer):
    slot = AppointmentFactory(coach=coach, start=(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0))
    session = services.session_book_scheduled(customer=customer, appointment_id=slot.pk)
    assert _wait_for(lambda: Delivery.objects.filter(status="SENT").count() == 2)
    assert set(Notification.objects.filter(kind=Kind.SESSION_BOOKED).values_list("recipient_id", flat=True)) == {
        coach.pk,
        customer.pk,
    }
    assert Notification.objects.filter(session=session, state="PLANNED").count() == 6
    assert sorted(m.to[0] for m in mail.outbox) == sorted([coach.email, customer.email])


def _due_reminders(n: int):
    """``n`` sessions of distinct pairs starting in 45 minutes, their 60-minute reminders planned half
    an hour ago: due now by the clock, which is the time a worker goes by."""
    from notifications.services import reminders_sync
    from tests.factories import CoachFactory, SessionFactory

    start = (timezone.now() + timedelta(minutes=45)).replace(microsecond=0)
    for _ in range(n):
        session = SessionFactory(appointment__coach=CoachFactory(), appointment__start=start)
        reminders_sync(session_id=session.pk, now=timezone.now() - timedelta(minutes=30))
    return timezone.now()


def test_beat_hands_due_batches_to_the_workers_and_each_goes_once(postgres, live_celery_worker, smtp, settings):
    """PostgreSQL: the worker thread writes while this one reads (SQLite's shared in-memory database
    locks whole tables against that)."""
    from notifications.services import send_due_notifications

    settings.REMINDER_OFFSETS_MINUTES = [60]
    now = _due_reminders(6)
    result = send_due_notifications(now=now, batch_size=4, fan_out=True)  # three batches, three tasks
    emails = Delivery.objects.filter(channel="email")
    assert result.sent == 0 and result.queued == Delivery.objects.count() and emails.count() == 12
    assert _wait_for(lambda: not Delivery.objects.filter(status__in=["PENDING", "SENDING"]).exists())
    assert emails.filter(status="SENT", attempts=1).count() == 12
    recipients = sorted(emails.values_list("notification__recipient__email", flat=True))
    assert sorted(address for rcpts, _ in smtp.messages for address in rcpts) == recipients
    # Nothing is left for a second run, in either mode.
    assert send_due_notifications(now=now, fan_out=True).queued == 0
    assert send_due_notifications(now=now).sent == 0


def test_with_the_broker_down_beat_sends_the_due_batches_itself(smtp, settings, transactional_db):
    from config.celery import app
    from notifications.services import send_due_notifications

    settings.REMINDER_OFFSETS_MINUTES = [60]
    now = _due_reminders(3)

    def forget_connections() -> None:
        # What Celery itself resets after a fork: the pools an earlier test opened to the real broker.
        app._pool = None
        app.amqp._producer_pool = None

    old = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="redis://127.0.0.1:9/0", task_always_eager=False)  # nothing listens there
    forget_connections()
    try:
        result = send_due_notifications(now=now, batch_size=2, fan_out=True)  # several batches, one refusal
    finally:
        app.conf.update(old)
        forget_connections()
    assert (result.queued, result.sent) == (0, 6)
    assert len(smtp.messages) == 6
    assert Delivery.objects.filter(status="SENT", attempts=1).count() == 6
