"""Push through FCM HTTP v1 against a local server: the real OAuth exchange (the service-account
file's token_uri), the real messages:send shape, UNREGISTERED tokens deleted, 5xx retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Delivery, Device, Notification
from notifications.services import send_due_notifications
from sessions_app.models import Session
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _device(user, token: str, platform="android") -> Device:
    return Device.objects.create(user=user, platform=platform, token=token)


def _book_instant(api, coach, customer) -> Session:
    res = api(customer).post("/api/v1/sessions", {"type": "INSTANT", "coach_id": str(coach.pk), "duration_minutes": 30})
    assert res.status_code == 201, res.json()
    session = Session.objects.get(pk=res.json()["id"])
    return session


def test_instant_request_reaches_the_coachs_phone_with_high_priority(api, fcm, coach, customer):
    _device(coach, "coach-phone")
    _device(customer, "customer-phone", platform="ios")
    session = _book_instant(api, coach, customer)
    assert fcm.token_requests == 1  # one OAuth exchange, the access token then reused
    (to_coach,) = fcm.sent_to("coach-phone")
    message = to_coach["message"]
    assert message["notification"]["title"] == f"{customer.get_full_name()} wants a session now"
    assert message["data"]["session_id"] == str(session.pk)
    assert message["data"]["kind"] == Kind.INSTANT_SESSION_REQUESTED
    assert message["android"]["priority"] == "HIGH"
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert all(isinstance(v, str) for v in message["data"].values())
    (to_customer,) = fcm.sent_to("customer-phone")
    assert to_customer["message"]["android"]["priority"] == "NORMAL"
    assert Delivery.objects.filter(channel="push", status="SENT").count() == 2


def test_unregistered_tokens_are_deleted_and_the_others_still_get_it(api, fcm, coach, customer):
    _device(coach, "stale-token")
    _device(coach, "fresh-token", platform="web")
    fcm.unregistered.add("stale-token")
    _book_instant(api, coach, customer)
    assert not Device.objects.filter(token="stale-token").exists()
    assert Device.objects.filter(token="fresh-token").exists()
    assert len(fcm.sent_to("fresh-token")) == 1
    delivery = Delivery.objects.get(notification__recipient=coach, channel="push")
    assert delivery.status == "SENT"


def test_only_unregistered_tokens_means_a_failed_delivery_and_no_devices(api, fcm, coach, customer):
    _device(coach, "gone")
    fcm.unregistered.add("gone")
    _book_instant(api, coach, customer)
    delivery = Delivery.objects.get(notification__recipient=coach, channel="push")
    assert delivery.status == "FAILED" and delivery.attempts == 1
    assert not Device.objects.filter(user=coach).exists()


def test_fcm_unavailable_is_retried_with_back_off(api, fcm, coach, customer):
    _device(coach, "busy")
    fcm.unavailable.add("busy")
    _book_instant(api, coach, customer)
    delivery = Delivery.objects.get(notification__recipient=coach, channel="push")
    assert delivery.status == "PENDING" and "UNAVAILABLE" in delivery.last_error
    fcm.unavailable.clear()
    send_due_notifications(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "SENT" and delivery.attempts == 2
    assert len(fcm.sent_to("busy")) == 1


def test_join_open_push_is_high_priority_and_sent_once(api, fcm, coach, customer):
    _device(customer, "c-phone")
    start = (timezone.now() + timedelta(hours=30)).replace(second=0, microsecond=0)
    slot = AppointmentFactory(coach=coach, start=start)
    res = api(customer).post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.pk)})
    session = Session.objects.get(pk=res.json()["id"])
    opens = session.scheduled_start - timedelta(minutes=10)
    send_due_notifications(now=opens)
    send_due_notifications(now=opens + timedelta(minutes=1))
    joins = [m for m in fcm.sent_to("c-phone") if m["message"]["data"]["kind"] == Kind.SESSION_JOIN_OPEN]
    assert len(joins) == 1
    assert joins[0]["message"]["android"]["priority"] == "HIGH"
    assert joins[0]["message"]["data"]["session_id"] == str(session.pk)


def test_push_preferences_are_obeyed(api, fcm, coach, customer):
    _device(coach, "quiet-phone")
    api(coach).put("/api/v1/me/notification-preferences", {"push": {"instant_session_requested": False}}, format="json")
    _book_instant(api, coach, customer)
    assert fcm.sent_to("quiet-phone") == []
    assert Notification.objects.filter(recipient=coach, kind=Kind.INSTANT_SESSION_REQUESTED).exists()


def test_without_credentials_push_is_off(api, settings, coach, customer):
    settings.FCM_CREDENTIALS_FILE = ""
    _device(coach, "phone")
    _book_instant(api, coach, customer)
    assert not Delivery.objects.filter(channel="push").exists()
