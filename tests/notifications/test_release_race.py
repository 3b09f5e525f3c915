"""Two (four) workers releasing the same due reminders at once on PostgreSQL: each goes out once,
none for a cancelled session."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Delivery, Notification
from notifications.services import reminders_sync, send_due_notifications
from sessions_app.models import Session
from tests.factories import CoachFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_workers_send_each_due_reminder_once(postgres, smtp, settings):
    settings.REMINDER_OFFSETS_MINUTES = [60]
    base = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    # Thirty coaches, thirty sessions at the same time: sixty reminders due at once.
    sessions = [SessionFactory(appointment__coach=CoachFactory(), appointment__start=base) for _ in range(30)]
    for session in sessions:
        reminders_sync(session_id=session.pk, now=timezone.now())
    cancelled = sessions[0]
    Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)
    now = base - timedelta(minutes=45)
    expected = {
        (session.pk, user_id) for session in sessions[1:] for user_id in (session.coach_id, session.customer_id)
    }
    assert Notification.objects.filter(state="PLANNED", due_at__lte=now).count() == 60

    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            send_due_notifications(now=now)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []

    sent = Notification.objects.filter(state="SENT", kind=Kind.SESSION_REMINDER)
    assert {(n.session_id, n.recipient_id) for n in sent} == expected
    assert not Notification.objects.filter(session=cancelled, kind=Kind.SESSION_REMINDER).exists()
    assert not Notification.objects.filter(state="CLAIMED").exists()
    deliveries = Delivery.objects.filter(notification__in=sent)
    assert deliveries.count() == len(expected)
    assert set(deliveries.values_list("attempts", flat=True)) == {1}
    assert set(deliveries.values_list("status", flat=True)) == {"SENT"}
    reminder_mails = Counter(
        (rcpts[0], message["Subject"].strip()) for rcpts, message in smtp.messages if "starts in" in message["Subject"]
    )
    assert len(reminder_mails) == len(expected)
    assert set(reminder_mails.values()) == {1}
