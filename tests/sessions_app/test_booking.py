"""POST sessions (scheduled, instant, DIRECT), Idempotency-Key, reschedule and cancel."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import CoachProfile
from sessions_app.models import Appointment, IdempotencyKey, Session, SessionLog
from tests.factories import AppointmentFactory, CoachFactory, SessionFactory
from tests.helpers.api import error_code
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db


def _in(hours: float):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def _book(client, appointment, key: str | None = None, **extra):
    payload = {"type": "SCHEDULED", "appointment_id": str(appointment.id), **extra}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/sessions", payload, format="json", **headers)


def _instant(client, coach, minutes=30, type_="INSTANT"):
    payload = {"type": type_, "coach_id": str(coach.id), "duration_minutes": minutes}
    return client.post("/api/v1/sessions", payload, format="json")


# --- scheduled ---------------------------------------------------------------------------------------------


def test_customer_books_a_free_slot(api, coach, customer):
    appointment = AppointmentFactory(coach=coach, start=_in(3))
    res = _book(api(customer), appointment, topic="Marathon plan")
    assert res.status_code == 201, res.json()
    body = res.json()
    session = Session.objects.get(pk=body["id"])
    assert (session.status, session.type, session.customer_id, session.coach_id) == (
        "PENDING",
        "SCHEDULED",
        customer.id,
        coach.id,
    )
    assert session.appointment_id == appointment.id
    assert session.scheduled_start == appointment.start
    assert session.price == Decimal("60.00") and session.currency == "EUR"
    assert session.topic == "Marathon plan"
    assert body["number"] == f"SESS-{session.number:06d}"
    assert body["coach"] == {"id": str(coach.id), "first_name": coach.first_name, "last_name": coach.last_name}
    assert body["appointment_id"] == str(appointment.id)
    assert body["price"] == "60.00"
    assert body["scheduled_start"].endswith("Z")
    assert body["can_cancel"] is True
    assert list(session.logs.values_list("action", "actor")) == [("BOOKED", customer.id)]


def test_booking_inside_the_notice_is_too_late(api, coach, customer, settings):
    settings.MIN_BOOKING_NOTICE_MINUTES = 60
    appointment = AppointmentFactory(coach=coach, start=timezone.now() + timedelta(minutes=50))
    res = _book(api(customer), appointment)
    assert res.status_code == 400
    assert error_code(res) == "booking_too_late"
    assert not Session.objects.exists()


def test_duration_above_the_appointment_is_refused(api, coach, customer):
    appointment = AppointmentFactory(coach=coach, start=_in(3), duration_minutes=30)
    res = _book(api(customer), appointment, duration_minutes=45)
    assert res.status_code == 400
    assert error_code(res) == "duration_exceeds_appointment"
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("rate", "minutes", "price"),
    [
        ("60.00", 60, "60.00"),
        ("50.00", 30, "25.00"),
        ("10.01", 30, "5.01"),
        ("99.99", 45, "74.99"),
        ("1.00", 1, "0.02"),
    ],
)
def test_price_is_hourly_rate_times_minutes_rounded_to_cents(api, customer, rate, minutes, price):
    coach = CoachFactory(coach_profile__hourly_rate=Decimal(rate), coach_profile__currency="GBP")
    appointment = AppointmentFactory(coach=coach, start=_in(3), duration_minutes=60)
    res = _book(api(customer), appointment, duration_minutes=minutes)
    assert res.status_code == 201, res.json()
    assert res.json()["price"] == price
    assert res.json()["currency"] == "GBP"
    session = Session.objects.get()
    assert session.price == Decimal(price)
    assert session.duration_minutes == minutes
    assert session.scheduled_end == appointment.start + timedelta(minutes=minutes)


def test_price_is_fixed_at_booking(api, coach, customer):
    res = _book(api(customer), AppointmentFactory(coach=coach, start=_in(3)))
    CoachProfile.objects.filter(pk=coach.pk).update(hourly_rate=Decimal("500.00"))
    assert api(customer).get(f"/api/v1/sessions/{res.json()['id']}").json()["price"] == "60.00"


def test_free_session_is_refused_while_free_sessions_are_disabled(api, customer):
    coach = CoachFactory(coach_profile__hourly_rate=Decimal("0.00"))
    res = _book(api(customer), AppointmentFactory(coach=coach, start=_in(3)))
    assert res.status_code == 400
    assert error_code(res) == "free_sessions_disabled"
    assert not Session.objects.exists()


def test_free_session_is_booked_when_free_sessions_are_enabled(api, customer, settings):
    settings.FREE_SESSIONS_ENABLED = True
    coach = CoachFactory(coach_profile__hourly_rate=Decimal("0.00"))
    res = _book(api(customer), AppointmentFactory(coach=coach, start=_in(3)))
    assert res.status_code == 201, res.json()
    assert res.json()["price"] == "0.00"


def test_booked_slot_cannot_be_booked_again(api, coach, customer, outsider):
    appointment = AppointmentFactory(coach=coach, start=_in(3))
    assert _book(api(customer), appointment).status_code == 201
    res = _book(api(outsider), appointment)
    assert res.status_code == 409
    assert error_code(res) == "slot_unavailable"
    assert Session.objects.filter(appointment=appointment).count() == 1


def test_cancelled_slot_can_be_booked_again(api, coach, customer, outsider):
    appointment = AppointmentFactory(coach=coach, start=_in(3))
    session_id = _book(api(customer), appointment).json()["id"]
    assert api(customer).post(f"/api/v1/sessions/{session_id}/cancel").status_code == 200
    res = _book(api(outsider), appointment)
    assert res.status_code == 201, res.json()
    assert Session.objects.filter(appointment=appointment).exclude(status="CANCELLED").count() == 1


def test_customer_cannot_hold_two_overlapping_sessions(api, coach, other_coach, customer):
    start = _in(3)
    assert _book(api(customer), AppointmentFactory(coach=coach, start=start)).status_code == 201
    overlapping = AppointmentFactory(coach=other_coach, start=start + timedelta(minutes=30))
    res = _book(api(customer), overlapping)
    assert res.status_code == 409
    assert error_code(res) == "slot_unavailable"
    assert Session.objects.filter(customer=customer).count() == 1
    adjacent = AppointmentFactory(coach=CoachFactory(), start=start + timedelta(minutes=60))
    assert _book(api(customer), adjacent).status_code == 201


@pytest.mark.parametrize("who", ["coach", "staff"])
def test_only_customers_book(api, coach, staff, who):
    user = {"coach": CoachFactory(), "staff": staff}[who]
    res = _book(api(user), AppointmentFactory(coach=coach, start=_in(3)))
    assert res.status_code == 403
    assert error_code(res) == "permission_denied"
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "SCHEDULED"},
        {"type": "INSTANT", "coach_id": None},
        {"type": "WEEKLY", "appointment_id": str(uuid.uuid4())},
        {"type": "SCHEDULED", "appointment_id": "not-a-uuid"},
        {"type": "SCHEDULED", "appointment_id": str(uuid.uuid4())},
    ],
)
def test_invalid_booking_requests_are_validation_errors(api, customer, payload):
    res = api(customer).post("/api/v1/sessions", {k: v for k, v in payload.items() if v is not None}, format="json")
    assert res.status_code == 400
    assert error_code(res) == "validation_error"
    assert res.json()["error"]["fields"]


def test_slot_of_an_unverified_coach_cannot_be_booked(api, customer):
    coach = CoachFactory(coach_profile__is_verified=False)
    res = _book(api(customer), AppointmentFactory(coach=coach, start=_in(3)))
    assert res.status_code == 400
    assert "appointment_id" in res.json()["error"]["fields"]
    assert not Session.objects.exists()


# --- instant -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["INSTANT", "DIRECT"])
def test_instant_booking_with_an_online_coach_starts_now(api, coach, customer, type_):
    before = timezone.now()
    res = _instant(api(customer), coach, minutes=30, type_=type_)
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["type"] == "INSTANT"
    assert body["price"] == "30.00"
    session = Session.objects.get(pk=body["id"])
    assert session.type == "INSTANT"
    assert before - timedelta(seconds=1) <= session.scheduled_start <= timezone.now()
    assert session.scheduled_end == session.scheduled_start + timedelta(minutes=30)
    assert session.appointment.is_instant
    assert session.appointment.coach_id == coach.id
    assert body["can_start"] is True


def test_direct_is_answered_as_instant_in_lists_and_filters(api, coach, customer):
    _instant(api(customer), coach, type_="DIRECT")
    res = api(customer).get("/api/v1/sessions?type=DIRECT")
    assert [s["type"] for s in res.json()["results"]] == ["INSTANT"]


def test_instant_booking_with_an_offline_coach_is_refused(api, customer):
    coach = CoachFactory(coach_profile__availability=CoachProfile.Availability.OFFLINE)
    res = _instant(api(customer), coach)
    assert res.status_code == 409
    assert error_code(res) == "coach_unavailable"
    assert not Session.objects.exists()
    assert not Appointment.objects.exists()


def test_instant_booking_with_an_unverified_coach_is_refused(api, customer):
    coach = CoachFactory(coach_profile__is_verified=False)
    res = _instant(api(customer), coach)
    assert res.status_code == 409
    assert error_code(res) == "coach_unavailable"
    assert not Session.objects.exists()


def test_instant_booking_with_a_coach_in_an_active_session_is_refused(api, coach, customer, outsider):
    session_in_state(Session.Status.IN_PROGRESS, coach=coach, customer=outsider)
    res = _instant(api(customer), coach)
    assert res.status_code == 409
    assert error_code(res) == "coach_unavailable"
    assert Session.objects.filter(customer=customer).count() == 0


def test_instant_booking_overlapping_a_bookable_published_slot_is_refused(api, coach, customer, settings):
    settings.MIN_BOOKING_NOTICE_MINUTES = 5  # the slot in 15 minutes can still be booked by others
    AppointmentFactory(coach=coach, start=_in(0.25))
    res = _instant(api(customer), coach, minutes=30)
    assert res.status_code == 409
    assert error_code(res) == "coach_unavailable"
    assert not Session.objects.exists()


def test_instant_booking_may_use_a_free_slot_too_close_to_be_booked(api, coach, customer):
    # Inside MIN_BOOKING_NOTICE_MINUTES nobody can book that slot any more: the coach is free.
    AppointmentFactory(coach=coach, start=_in(0.25))
    res = _instant(api(customer), coach, minutes=30)
    assert res.status_code == 201, res.json()


def test_coach_who_ended_early_can_take_an_instant_session_at_once(api, coach, customer, outsider):
    first = _instant(api(outsider), coach, minutes=60).json()
    api(outsider).post(f"/api/v1/sessions/{first['id']}/start-call")
    api(coach).post(f"/api/v1/sessions/{first['id']}/start-call")
    api(coach).post(f"/api/v1/sessions/{first['id']}/end")
    assert api(outsider).post(f"/api/v1/sessions/{first['id']}/end").json()["status"] == "COMPLETED"
    res = _instant(api(customer), coach, minutes=30)
    assert res.status_code == 201, res.json()


def test_instant_duration_is_limited(api, coach, customer, settings):
    settings.APPOINTMENT_DURATIONS = [30, 60]
    res = _instant(api(customer), coach, minutes=61)
    assert res.status_code == 400
    assert "duration_minutes" in res.json()["error"]["fields"]


# --- Idempotency-Key ---------------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer_and_books_nothing_more(api, coach, customer):
    client = api(customer)
    appointment = AppointmentFactory(coach=coach, start=_in(3))
    first = _book(client, appointment, key="abc-123")
    second = _book(client, appointment, key="abc-123")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Session.objects.count() == 1
    assert SessionLog.objects.filter(action="BOOKED").count() == 1


def test_same_idempotency_key_with_a_different_body_is_a_conflict(api, coach, customer):
    client = api(customer)
    _book(client, AppointmentFactory(coach=coach, start=_in(3)), key="k1")
    res = _book(client, AppointmentFactory(coach=coach, start=_in(5)), key="k1")
    assert res.status_code == 409
    assert error_code(res) == "idempotency_conflict"
    assert Session.objects.count() == 1


def test_idempotency_keys_belong_to_one_user(api, coach, customer, outsider):
    _book(api(customer), AppointmentFactory(coach=coach, start=_in(3)), key="shared")
    res = _book(api(outsider), AppointmentFactory(coach=coach, start=_in(5)), key="shared")
    assert res.status_code == 201
    assert Session.objects.count() == 2


def test_failed_booking_releases_its_idempotency_key(api, coach, customer, settings):
    client = api(customer)
    coach_profile = coach.coach_profile
    coach_profile.hourly_rate = Decimal("0")
    coach_profile.save()
    appointment = AppointmentFactory(coach=coach, start=_in(3))
    assert _book(client, appointment, key="retry").status_code == 400
    assert not IdempotencyKey.objects.exists()
    settings.FREE_SESSIONS_ENABLED = True
    assert _book(client, appointment, key="retry").status_code == 201


# --- reschedule and cancel -----------------------------------------------------------------------------------


def test_reschedule_moves_a_pending_session_to_another_free_slot(api, coach, customer):
    # Both well outside the free-change window (CANCEL_FREE_HOURS before the start).
    old = AppointmentFactory(coach=coach, start=_in(30))
    new = AppointmentFactory(coach=coach, start=_in(36))
    session_id = _book(api(customer), old).json()["id"]
    res = api(customer).patch(f"/api/v1/sessions/{session_id}", {"appointment_id": str(new.id)}, format="json")
    assert res.status_code == 200, res.json()
    session = Session.objects.get(pk=session_id)
    assert session.appointment_id == new.id
    assert session.scheduled_start == new.start
    assert session.status == "PENDING"
    assert session.logs.filter(action="RESCHEDULED", actor=customer).count() == 1
    free = api(customer).get(f"/api/v1/coaches/{coach.id}/appointments").json()["results"]
    assert [a["id"] for a in free] == [str(old.id)]


def test_reschedule_to_a_booked_slot_is_refused(api, coach, customer, outsider):
    mine = AppointmentFactory(coach=coach, start=_in(30))
    taken = AppointmentFactory(coach=coach, start=_in(36))
    session_id = _book(api(customer), mine).json()["id"]
    _book(api(outsider), taken)
    res = api(customer).patch(f"/api/v1/sessions/{session_id}", {"appointment_id": str(taken.id)}, format="json")
    assert res.status_code == 409
    assert error_code(res) == "slot_unavailable"
    assert Session.objects.get(pk=session_id).appointment_id == mine.id


def test_reschedule_to_another_coachs_slot_is_refused(api, coach, other_coach, customer):
    session_id = _book(api(customer), AppointmentFactory(coach=coach, start=_in(3))).json()["id"]
    foreign = AppointmentFactory(coach=other_coach, start=_in(6))
    res = api(customer).patch(f"/api/v1/sessions/{session_id}", {"appointment_id": str(foreign.id)}, format="json")
    assert res.status_code == 400
    assert Session.objects.get(pk=session_id).coach_id == coach.id


def test_started_session_cannot_be_rescheduled(api, coach, customer):
    session = session_in_state(Session.Status.IN_PROGRESS, coach=coach, customer=customer)
    new = AppointmentFactory(coach=coach, start=_in(6))
    res = api(coach).patch(f"/api/v1/sessions/{session.id}", {"appointment_id": str(new.id)}, format="json")
    assert res.status_code == 409
    assert error_code(res) == "invalid_state"
    session.refresh_from_db()
    assert session.appointment_id != new.id


def test_topic_can_be_changed_until_the_session_ends(api, coach, customer):
    session = session_in_state(Session.Status.IN_PROGRESS, coach=coach, customer=customer)
    res = api(coach).patch(f"/api/v1/sessions/{session.id}", {"topic": "Knee pain"}, format="json")
    assert res.status_code == 200
    assert Session.objects.get(pk=session.pk).topic == "Knee pain"
    Session.objects.filter(pk=session.pk).update(status=Session.Status.COMPLETED, ended_at=timezone.now())
    res = api(customer).patch(f"/api/v1/sessions/{session.id}", {"topic": "x"}, format="json")
    assert res.status_code == 409
    assert error_code(res) == "invalid_state"
    assert Session.objects.get(pk=session.pk).topic == "Knee pain"


def test_customer_cancels_a_pending_session(api, coach, customer):
    session = SessionFactory(appointment__coach=coach, customer=customer)
    res = api(customer).post(f"/api/v1/sessions/{session.id}/cancel", {"reason": "sick"}, format="json")
    assert res.status_code == 200
    assert res.json()["status"] == "CANCELLED"
    session.refresh_from_db()
    assert session.status == "CANCELLED"
    assert session.cancelled_by_id == customer.id
    assert session.cancel_reason == "sick"
    assert session.cancelled_at is not None
    assert list(session.logs.values_list("action", "actor", "text")) == [("CANCELLED", customer.id, "sick")]


def test_cancelled_instant_session_frees_the_coach_for_the_next_one(api, coach, customer, outsider):
    first = _instant(api(customer), coach, minutes=60).json()["id"]
    assert _instant(api(outsider), coach).status_code == 409
    assert api(customer).post(f"/api/v1/sessions/{first}/cancel").status_code == 200
    res = _instant(api(outsider), coach)
    assert res.status_code == 201, res.json()
    assert Session.objects.filter(coach=coach).exclude(status="CANCELLED").count() == 1
