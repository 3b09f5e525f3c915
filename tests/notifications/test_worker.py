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
