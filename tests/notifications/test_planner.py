"""From events to notifications: who is told what, and the reminder plan through the real flows.

Each flow calls the real endpoint, whose service writes the outbox event (SPEC 7); ``emit`` is
left only where a test builds its rows with factories instead of a service.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Delivery, Notification
from notifications.services import send_due_notifications
from sessions_app.models import Session
from tests.factories import AppointmentFactory, RatingFactory, RecordingFactory
from tests.helpers.events import emit

pytestmark = pytest.mark.django_db(transaction=True)


def _slot(coach, *, hours: float, duration: int = 60):
    start = (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)
    return AppointmentFactory(coach=coach, start=start, duration_minutes=duration)


def _book(api, customer, appointment) -> Session:
    res = api(customer).post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(appointment.pk)})
    assert res.status_code == 201, res.json()
    session = Session.objects.get(pk=res.json()["id"])
    return session


def _planned(session) -> set[tuple]:
    return set(
        Notification.objects.filter(session=session, state=Notification.State.PLANNED).values_list(
            "kind", "offset_minutes", "recipient_id", "due_at"
        )
    )


def _inbox(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, state=Notification.State.SENT)
        .order_by("created_at")
        .values_list("kind", flat=True)
    )


def test_booking_tells_both_and_plans_each_reminder_and_the_join_notice(api, coach, customer):
    session = _book(api, customer, _slot(coach, hours=48))
    assert _inbox(coach) == [Kind.SESSION_BOOKED]
    assert _inbox(customer) == [Kind.SESSION_BOOKED]
    start = session.scheduled_start
    expected = set()
    for user in (coach, customer):
        expected |= {
            (Kind.SESSION_REMINDER, 1440, user.pk, start - timedelta(minutes=1440)),
            (Kind.SESSION_REMINDER, 60, user.pk, start - timedelta(minutes=60)),
            (Kind.SESSION_JOIN_OPEN, 10, user.pk, start - timedelta(minutes=10)),
        }
    assert _planned(session) == expected
    booked = Notification.objects.get(recipient=customer, kind=Kind.SESSION_BOOKED)
    assert booked.data == {"session_id": str(session.pk)}
    assert coach.first_name in booked.title
    # Both e-mails went out after the commit (locmem here; SMTP in test_email_smtp.py).
    assert sorted(m.to[0] for m in mail.outbox) == sorted([coach.email, customer.email])


def test_no_reminder_that_would_already_be_past_at_booking(api, coach, customer):
    session = _book(api, customer, _slot(coach, hours=3))
    kinds = {(kind, offset) for kind, offset, _, _ in _planned(session)}
    assert kinds == {(Kind.SESSION_REMINDER, 60), (Kind.SESSION_JOIN_OPEN, 10)}


def test_replaying_the_booking_event_plans_nothing_twice(api, coach, customer):
    session = _book(api, customer, _slot(coach, hours=48))
    from events.models import Event
    from notifications.services.planner import plan_from_event

    plan_from_event(Event.objects.get(type="session.booked"))  # a second relay, bypassing the receipt
    assert Notification.objects.filter(session=session, state=Notification.State.PLANNED).count() == 6


def test_reschedule_moves_the_reminders_and_tells_the_other_participant(api, coach, customer):
    # Booked outside the free-change window (CANCEL_FREE_HOURS), so the customer may still move it.
    session = _book(api, customer, _slot(coach, hours=30))
    new_slot = _slot(coach, hours=72)
    res = api(customer).patch(f"/api/v1/sessions/{session.pk}", {"appointment_id": str(new_slot.pk)})
    assert res.status_code == 200, res.json()
    session.refresh_from_db()
    assert _inbox(coach) == [Kind.SESSION_BOOKED, Kind.SESSION_RESCHEDULED]
    assert _inbox(customer) == [Kind.SESSION_BOOKED]
    start = new_slot.start
    dues = {(kind, offset): due for kind, offset, _, due in _planned(session)}
    # The new time is far enough ahead for the day-before reminder too.
    assert dues == {
        (Kind.SESSION_REMINDER, 1440): start - timedelta(minutes=1440),
        (Kind.SESSION_REMINDER, 60): start - timedelta(minutes=60),
        (Kind.SESSION_JOIN_OPEN, 10): start - timedelta(minutes=10),
    }
    assert len(_planned(session)) == 6


def test_staff_or_system_moves_and_cancels_tell_both(api, coach, customer, staff):
    session = _book(api, customer, _slot(coach, hours=48))
    from sessions_app import services

    services.session_cancel(session=session, actor=staff, reason="Coach is ill")
    session.refresh_from_db()
    for user in (coach, customer):
        cancelled = Notification.objects.get(recipient=user, kind=Kind.SESSION_CANCELLED)
        assert "Coach is ill" in cancelled.body


def test_cancel_drops_the_plan_and_nothing_goes_out_later(api, coach, customer):
    session = _book(api, customer, _slot(coach, hours=48))
    res = api(coach).post(f"/api/v1/sessions/{session.pk}/cancel", {"reason": "Family matters"})
    assert res.status_code == 200
    session.refresh_from_db()
    assert _planned(session) == set()
    assert _inbox(customer) == [Kind.SESSION_BOOKED, Kind.SESSION_CANCELLED]
    assert _inbox(coach) == [Kind.SESSION_BOOKED]  # the coach cancelled: only the customer is told
    assert "Family matters" in Notification.objects.get(kind=Kind.SESSION_CANCELLED).body
    mail.outbox.clear()
    send_due_notifications(now=session.scheduled_start - timedelta(minutes=5))
    assert Notification.objects.filter(session=session, kind=Kind.SESSION_REMINDER).count() == 0
    assert mail.outbox == []


def test_a_reminder_is_never_sent_for_a_session_cancelled_without_its_event(api, coach, customer):
    """The cancel's event may be late (a lost task): the release checks the session itself."""
    session = _book(api, customer, _slot(coach, hours=48))
    from sessions_app import services

    services.session_cancel(session=session, actor=customer, reason="")  # no event handled yet
    mail.outbox.clear()
    send_due_notifications(now=session.scheduled_start - timedelta(minutes=30))
    assert not Notification.objects.filter(session=session, kind=Kind.SESSION_REMINDER).exists()
    assert mail.outbox == []


def test_due_reminders_are_released_once_with_their_texts(api, coach, customer):
    session = _book(api, customer, _slot(coach, hours=48))
    mail.outbox.clear()
    day_before = session.scheduled_start - timedelta(minutes=1440)
    assert send_due_notifications(now=day_before - timedelta(minutes=1)).sent == 0
    assert send_due_notifications(now=day_before).sent == 2
    reminders = Notification.objects.filter(session=session, kind=Kind.SESSION_REMINDER, state="SENT")
    assert reminders.count() == 2
    customer_reminder = reminders.get(recipient=customer)
    assert customer_reminder.title == f"Your session with {coach.get_full_name()} starts in 24 hours"
    assert customer_reminder.created_at == day_before
    assert sorted(m.to[0] for m in mail.outbox) == sorted([coach.email, customer.email])
    assert send_due_notifications(now=day_before + timedelta(minutes=1)).sent == 0
    assert len(mail.outbox) == 2
    assert Delivery.objects.filter(notification__in=reminders, status=Delivery.Status.SENT).count() == 2


def test_start_drops_what_is_left_of_the_plan(api, coach, customer):
    session = _book(api, customer, _slot(coach, hours=48))
    Session.objects.filter(pk=session.pk).update(status=Session.Status.IN_PROGRESS)
    session.refresh_from_db()
    emit("session.started", session, actor=customer)  # hand-emitted
    assert _planned(session) == set()


def test_instant_booking_calls_the_coach_with_high_priority_kind(api, coach, customer):
    res = api(customer).post("/api/v1/sessions", {"type": "INSTANT", "coach_id": str(coach.pk), "duration_minutes": 30})
    assert res.status_code == 201, res.json()
    session = Session.objects.get(pk=res.json()["id"])
    assert _inbox(coach) == [Kind.INSTANT_SESSION_REQUESTED]
    assert _inbox(customer) == [Kind.SESSION_BOOKED]
    assert _planned(session) == set()  # instant sessions open at once: nothing to plan


def test_end_request_and_completion(api, coach, customer):
    from tests.helpers.sessions import book_open_session

    session = book_open_session(coach=coach, customer=customer)
    client = api(customer)
    assert client.post(f"/api/v1/sessions/{session.pk}/start-call").status_code == 200
    assert client.post(f"/api/v1/sessions/{session.pk}/end").status_code == 200
    session.refresh_from_db()
    assert _inbox(coach) == [Kind.SESSION_BOOKED, Kind.END_REQUESTED]  # the booking, then the request
    assert _inbox(customer) == [Kind.SESSION_BOOKED]  # never told of their own request
    assert api(coach).post(f"/api/v1/sessions/{session.pk}/end").status_code == 200
    session.refresh_from_db()
    coach_done = Notification.objects.get(recipient=coach, kind=Kind.SESSION_COMPLETED)
    customer_done = Notification.objects.get(recipient=customer, kind=Kind.SESSION_COMPLETED)
    assert "report" in coach_done.body
    assert "Rate" in customer_done.body


def test_rating_recording_and_verification_events(coach, customer):
    from django.db import transaction

    from events.services import event_emit
    from ratings.serializers import RatingSerializer
    from recordings.serializers import RecordingSerializer

    rating = RatingFactory(session__appointment__coach=coach, session__customer=customer)
    with transaction.atomic():  # hand-emitted
        event_emit(
            type="rating.published", data={"rating": dict(RatingSerializer(rating).data), "coach_id": str(coach.pk)}
        )
    assert _inbox(coach) == [Kind.RATING_PUBLISHED]
    assert _inbox(customer) == []
    recording = RecordingFactory(session=rating.session)
    with transaction.atomic():  # hand-emitted
        event_emit(
            type="recording.available",
            data={"session_id": str(rating.session_id), "recording": dict(RecordingSerializer(recording).data)},
            session_id=rating.session_id,
        )
    assert Notification.objects.get(recipient=customer, kind=Kind.RECORDING_AVAILABLE).data == {
        "session_id": str(rating.session_id),
        "recording_id": str(recording.pk),
    }
    with transaction.atomic():  # hand-emitted
        event_emit(type="coach.verified", data={"coach_id": str(coach.pk)})
    assert Kind.COACH_VERIFIED in _inbox(coach)


def test_preferences_decide_the_channels(api, coach, customer):
    api(customer).put("/api/v1/me/notification-preferences", {"email": {"session_booked": False}}, format="json")
    _book(api, customer, _slot(coach, hours=48))
    assert [m.to[0] for m in mail.outbox] == [coach.email]
    mine = Notification.objects.get(recipient=customer, kind=Kind.SESSION_BOOKED)
    assert not mine.deliveries.exists()  # the inbox still has it


def test_notifications_off_plans_nothing(api, coach, customer, settings):
    settings.NOTIFICATIONS_ENABLED = False
    session = _book(api, customer, _slot(coach, hours=48))
    assert not Notification.objects.filter(session=session).exists()
