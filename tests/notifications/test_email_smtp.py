"""E-mail through a real SMTP server (aiosmtpd), configured the EMAIL_URL way: booking, reminder and
password-reset mails arrive with the right recipient, language, direction, time zone and link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Delivery, Notification
from notifications.services import send_due_notifications
from sessions_app.models import Session
from tests.factories import AppointmentFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _book(api, coach, customer, *, hours=48) -> Session:
    start = (timezone.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    slot = AppointmentFactory(coach=coach, start=start, duration_minutes=60)
    res = api(customer).post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.pk)})
    assert res.status_code == 201, res.json()
    session = Session.objects.get(pk=res.json()["id"])
    return session


def test_booking_mails_arrive_in_each_recipients_language_and_zone(api, smtp, coach, customer, settings):
    customer.language, customer.timezone = "ar", "Asia/Riyadh"
    customer.save()
    coach.timezone = "Europe/Berlin"
    coach.save()
    session = _book(api, coach, customer)

    (to_customer,) = smtp.to(customer.email)
    text, html = smtp.parts(to_customer)
    assert to_customer["Subject"].strip() == f"تم حجز جلستك مع {coach.get_full_name()}"
    assert to_customer["Content-Language"] == "ar"
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    riyadh = timezone.localtime(session.scheduled_start, timezone.get_fixed_timezone(180))
    assert f"{riyadh:%H:%M}" in text and "Asia/Riyadh" in text
    assert f"{settings.FRONTEND_URL}/sessions/{session.pk}" in text
    assert to_customer["List-Unsubscribe"].strip().startswith(f"<{settings.FRONTEND_URL}/settings/notifications")
    assert to_customer["From"] == settings.DEFAULT_FROM_EMAIL

    (to_coach,) = smtp.to(coach.email)
    text, html = smtp.parts(to_coach)
    assert to_coach["Subject"].strip() == f"New booking with {customer.get_full_name()}"
    assert 'dir="ltr"' in html
    assert "Europe/Berlin" in text
    assert Delivery.objects.filter(channel="email", status="SENT").count() == 2


def test_reminder_mails_arrive_once_each_in_the_right_language(api, smtp, coach, customer):
    coach.language = "ar"
    coach.save()
    session = _book(api, coach, customer)
    before = len(smtp.messages)
    send_due_notifications(now=session.scheduled_start - timedelta(minutes=1440))
    send_due_notifications(now=session.scheduled_start - timedelta(minutes=1439))
    send_due_notifications(now=session.scheduled_start - timedelta(minutes=60))
    subjects = [m["Subject"].strip() for m in smtp.to(customer.email) if "starts in" in m["Subject"]]
    assert subjects == [
        f"Your session with {coach.get_full_name()} starts in 24 hours",
        f"Your session with {coach.get_full_name()} starts in 1 hour",
    ]
    to_coach = [m["Subject"].strip() for m in smtp.to(coach.email)][1:]
    assert to_coach == [
        f"تبدأ جلستك مع {customer.get_full_name()} بعد 24 ساعة",
        f"تبدأ جلستك مع {customer.get_full_name()} بعد ساعة واحدة",
    ]
    text, _ = smtp.parts(smtp.to(customer.email)[-1])
    assert f"/sessions/{session.pk}" in text
    assert len(smtp.messages) == before + 4  # two reminders for two people, nothing more


def test_a_late_release_sends_only_the_reminder_that_is_still_true(api, smtp, coach, customer):
    session = _book(api, coach, customer)
    send_due_notifications(now=session.scheduled_start - timedelta(minutes=50))  # workers were down a day
    subjects = [m["Subject"].strip() for m in smtp.to(customer.email) if "starts in" in m["Subject"]]
    assert subjects == [f"Your session with {coach.get_full_name()} starts in 1 hour"]


def test_password_reset_mail_carries_a_working_link(api, anon_client, smtp, settings):
    user = CustomerFactory(language="ar")
    res = anon_client.post("/api/v1/auth/password-reset", {"email": user.email.upper()}, format="json")
    assert res.status_code == 204
    (message,) = smtp.to(user.email)
    text, html = smtp.parts(message)
    assert message["Subject"].strip() == "إعادة تعيين كلمة المرور"
    assert "List-Unsubscribe" not in message
    assert 'dir="rtl"' in html
    links = re.findall(re.escape(settings.FRONTEND_URL) + r"/reset-password\?token=([\w-]+)", text)
    assert len(links) == 1
    res = anon_client.post(
        "/api/v1/auth/password-reset/confirm",
        {"token": links[0], "password": "a-new-long-passphrase-42"},
        format="json",
    )
    assert res.status_code == 204
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase-42")
    logged = Notification.objects.get(recipient=user, kind=Kind.ACCOUNT_EMAIL)
    assert links[0] not in (logged.title + logged.body + str(logged.data))  # the log never holds the link


def test_registration_sends_the_verification_mail(anon_client, smtp, settings):
    body = {
        "email": "new.person@example.com",
        "password": "a-long-enough-passphrase-7",
        "first_name": "New",
        "last_name": "Person",
        "role": "customer",
    }
    assert anon_client.post("/api/v1/auth/register", body, format="json").status_code == 201
    (message,) = smtp.to("new.person@example.com")
    text, _ = smtp.parts(message)
    assert message["Subject"].strip() == "Confirm your e-mail address"
    assert f"{settings.FRONTEND_URL}/verify-email?token=" in text


def test_a_transient_smtp_refusal_is_retried_later_a_permanent_one_is_not(api, smtp, coach, customer):
    smtp.refuse[customer.email] = "451 4.3.0 Try again later"
    smtp.refuse[coach.email] = "550 5.1.1 No such mailbox"
    _book(api, coach, customer)
    to_customer = Delivery.objects.get(notification__recipient=customer, channel="email")
    to_coach = Delivery.objects.get(notification__recipient=coach, channel="email")
    assert to_customer.status == "PENDING" and to_customer.attempts == 1 and "451" in to_customer.last_error
    assert to_coach.status == "FAILED" and "550" in to_coach.last_error
    assert to_customer.next_attempt_at > timezone.now()

    del smtp.refuse[customer.email]
    send_due_notifications(now=timezone.now())  # not due yet: the back-off holds
    to_customer.refresh_from_db()
    assert to_customer.status == "PENDING"
    send_due_notifications(now=to_customer.next_attempt_at)
    to_customer.refresh_from_db()
    assert to_customer.status == "SENT" and to_customer.attempts == 2
    assert len(smtp.to(customer.email)) == 1
    assert smtp.to(coach.email) == []


def _due_reminders(n: int) -> datetime:
    """``n`` sessions of distinct pairs, each with its 60-minute reminders planned; returns when they are due."""
    from notifications.services import reminders_sync
    from tests.factories import CoachFactory, SessionFactory

    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    for _ in range(n):
        session = SessionFactory(appointment__coach=CoachFactory(), appointment__start=start)
        reminders_sync(session_id=session.pk, now=timezone.now())
    return start - timedelta(minutes=45)


def test_one_run_keeps_one_smtp_session_per_sending_thread(smtp, settings):
    settings.REMINDER_OFFSETS_MINUTES = [60]
    settings.NOTIFICATION_SEND_THREADS = 2
    now = _due_reminders(15)
    result = send_due_notifications(now=now, batch_size=8)  # four batches: the sessions outlive a batch
    assert result.sent == 30 and len(smtp.messages) == 30
    # Django's backend opens and closes a session per send_messages() unless it is already open.
    assert len(set(smtp.peers)) <= 2


def test_a_refused_recipient_does_not_cost_the_others_their_session(smtp, settings):
    settings.REMINDER_OFFSETS_MINUTES = [60]
    settings.NOTIFICATION_SEND_THREADS = 1
    now = _due_reminders(3)
    refused = Notification.objects.filter(state="PLANNED").order_by("due_at", "pk").first().recipient
    smtp.refuse[refused.email] = "550 5.1.1 No such mailbox"
    result = send_due_notifications(now=now)
    assert (result.sent, result.failed) == (5, 1)
    assert len(smtp.messages) == 5
    failed = Delivery.objects.get(status="FAILED")
    assert failed.notification.recipient == refused and "550" in failed.last_error


def test_a_claim_goes_stale_by_the_clock_not_by_the_callers_now(api, smtp, coach, customer):
    from notifications.services import deliveries_reset_stale

    smtp.refuse[customer.email] = "451 4.3.0 Try again later"
    _book(api, coach, customer)
    delivery = Delivery.objects.get(notification__recipient=customer, channel="email")
    Delivery.objects.filter(pk=delivery.pk).update(status="SENDING", claimed_at=timezone.now())
    # A caller sending for a later time (a test, a catch-up run) must not take a live claim away.
    assert deliveries_reset_stale(now=timezone.now() + timedelta(days=1)) == 0
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert deliveries_reset_stale() == 1
    delivery.refresh_from_db()
    assert delivery.status == "PENDING"
