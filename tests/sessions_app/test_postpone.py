"""Postpone requests (SPEC 11): a held slot, the customer's answer, expiry, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from events.models import Event
from sessions_app.models import PostponeRequest, Session
from sessions_app.services import postpone
from tests.factories import AppointmentFactory, CustomerFactory
from tests.helpers.api import error_code

pytestmark = pytest.mark.django_db


def _in(hours: float):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


@pytest.fixture
def booked(api, coach, customer):
    slot = AppointmentFactory(coach=coach, start=_in(48))
    res = api(customer).post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.id)}, format="json")
    assert res.status_code == 201
    return Session.objects.get(pk=res.json()["id"])


@pytest.fixture
def other_slot(coach):
    return AppointmentFactory(coach=coach, start=_in(72))


def _propose(client, session, slot, reason="I am travelling"):
    return client.post(
        f"/api/v1/sessions/{session.id}/postpone-requests",
        {"appointment_id": str(slot.id), "reason": reason},
        format="json",
    )


def _answer(client, session, request_id, answer):
    return client.post(f"/api/v1/sessions/{session.id}/postpone-requests/{request_id}/{answer}")


def test_coach_proposes_and_the_slot_is_held(api, coach, booked, other_slot):
    res = _propose(api(coach), booked, other_slot)
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["status"] == "PENDING"
    assert body["proposed_appointment_id"] == str(other_slot.id)
    assert body["requested_by"] == {"id": str(coach.id), "role": "coach"}
    assert body["proposed_start"].endswith("Z")
    # The held slot is no longer offered, and nobody else can book it.
    free = api(CustomerFactory()).get(f"/api/v1/coaches/{coach.id}/appointments").json()["results"]
    assert str(other_slot.id) not in [a["id"] for a in free]
    intruder = api(CustomerFactory()).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(other_slot.id)}, format="json"
    )
    assert intruder.status_code == 409
    assert error_code(intruder) == "slot_unavailable"
    # The booking itself is unchanged until the customer answers.
    booked.refresh_from_db()
    assert booked.scheduled_start == _in(48)
    assert Event.objects.filter(type="session.postpone_requested", session_id=booked.id).count() == 1


def test_accept_moves_the_session_and_frees_the_old_slot(api, coach, customer, booked, other_slot):
    old_slot_id = booked.appointment_id
    request_id = _propose(api(coach), booked, other_slot).json()["id"]
    res = _answer(api(customer), booked, request_id, "accept")
    assert res.status_code == 200, res.json()
    assert res.json()["appointment_id"] == str(other_slot.id)
    booked.refresh_from_db()
    assert booked.appointment_id == other_slot.id
    assert booked.scheduled_start == other_slot.start
    assert booked.free_cancel_until == other_slot.start - timedelta(hours=12)
    assert PostponeRequest.objects.get(pk=request_id).status == "ACCEPTED"
    assert booked.logs.filter(action="RESCHEDULED", actor=customer).count() == 1
    free = api(CustomerFactory()).get(f"/api/v1/coaches/{coach.id}/appointments").json()["results"]
    assert str(old_slot_id) in [a["id"] for a in free]
    types = set(Event.objects.filter(session_id=booked.id).values_list("type", flat=True))
    assert {"session.postpone_accepted", "session.rescheduled"} <= types


@pytest.mark.parametrize(("who", "answer"), [("customer", "decline"), ("coach", "withdraw")])
def test_decline_and_withdraw_release_the_held_slot(api, coach, customer, booked, other_slot, who, answer):
    request_id = _propose(api(coach), booked, other_slot).json()["id"]
    res = _answer(api({"customer": customer, "coach": coach}[who]), booked, request_id, answer)
    assert res.status_code == 200, res.json()
    assert res.json()["status"] == {"decline": "DECLINED", "withdraw": "WITHDRAWN"}[answer]
    booked.refresh_from_db()
    assert booked.appointment_id != other_slot.id
    taker = api(CustomerFactory()).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(other_slot.id)}, format="json"
    )
    assert taker.status_code == 201


def test_only_the_customer_answers_and_only_the_requester_withdraws(api, coach, customer, booked, other_slot):
    request_id = _propose(api(coach), booked, other_slot).json()["id"]
    for answer in ("accept", "decline"):
        res = _answer(api(coach), booked, request_id, answer)
        assert res.status_code == 403
        assert error_code(res) == "permission_denied"
    res = _answer(api(customer), booked, request_id, "withdraw")
    assert res.status_code == 403
    assert PostponeRequest.objects.get(pk=request_id).status == "PENDING"


def test_outsiders_get_404_everywhere(api, coach, booked, other_slot, outsider):
    request_id = _propose(api(coach), booked, other_slot).json()["id"]
    client = api(outsider)
    assert client.get(f"/api/v1/sessions/{booked.id}/postpone-requests").status_code == 404
    assert _propose(client, booked, other_slot).status_code == 404
    for answer in ("accept", "decline", "withdraw"):
        assert _answer(client, booked, request_id, answer).status_code == 404


def test_customer_cannot_propose_and_coach_cannot_patch_the_slot(api, coach, customer, booked, other_slot):
    res = _propose(api(customer), booked, other_slot)
    assert res.status_code == 403
    res = api(coach).patch(f"/api/v1/sessions/{booked.id}", {"appointment_id": str(other_slot.id)}, format="json")
    assert res.status_code == 403
    assert error_code(res) == "permission_denied"
    booked.refresh_from_db()
    assert booked.appointment_id != other_slot.id


def test_one_open_request_per_session_and_a_slot_held_once(api, coach, booked, other_slot):
    assert _propose(api(coach), booked, other_slot).status_code == 201
    third = AppointmentFactory(coach=coach, start=_in(96))
    res = _propose(api(coach), booked, third)
    assert res.status_code == 409
    assert error_code(res) == "invalid_state"
    # Another session of the same coach cannot be offered the held slot either.
    slot = AppointmentFactory(coach=coach, start=_in(120))
    second = api(CustomerFactory()).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.id)}, format="json"
    )
    res = _propose(api(coach), Session.objects.get(pk=second.json()["id"]), other_slot)
    assert res.status_code == 409
    assert error_code(res) == "slot_unavailable"
    assert PostponeRequest.objects.filter(proposed_appointment=other_slot, status="PENDING").count() == 1


def test_a_booked_slot_cannot_be_proposed(api, coach, booked, other_slot):
    api(CustomerFactory()).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(other_slot.id)}, format="json"
    )
    res = _propose(api(coach), booked, other_slot)
    assert res.status_code == 409
    assert error_code(res) == "slot_unavailable"


def test_requests_expire_by_time_and_by_the_approaching_start(api, coach, customer, booked, other_slot):
    request_id = _propose(api(coach), booked, other_slot).json()["id"]
    request = PostponeRequest.objects.get(pk=request_id)
    assert request.expires_at <= timezone.now() + timedelta(hours=48)
    assert postpone.postpone_requests_expire_due() == 0
    later = request.expires_at + timedelta(seconds=1)
    assert postpone.postpone_requests_expire_due(now=later) == 1
    assert postpone.postpone_requests_expire_due(now=later) == 0  # idempotent
    request.refresh_from_db()
    assert request.status == "EXPIRED"
    assert _answer(api(customer), booked, request_id, "accept").status_code == 409
    assert Event.objects.filter(type="session.postpone_expired").count() == 1


def test_a_request_expires_when_the_session_start_comes_within_the_notice(api, coach, booked, other_slot, settings):
    request_id = _propose(api(coach), booked, other_slot).json()["id"]
    near = booked.scheduled_start - timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES - 1)
    PostponeRequest.objects.filter(pk=request_id).update(expires_at=near + timedelta(days=1))
    call_command("expire_postpone_requests")  # the real "now" is far before: nothing yet
    assert PostponeRequest.objects.get(pk=request_id).status == "PENDING"
    assert postpone.postpone_requests_expire_due(now=near) == 1


def test_cancelling_the_session_releases_its_hold(api, coach, customer, booked, other_slot):
    request_id = _propose(api(coach), booked, other_slot).json()["id"]
    assert (
        api(customer).post(f"/api/v1/sessions/{booked.id}/cancel", {"reason": "sorry"}, format="json").status_code
        == 200
    )
    assert PostponeRequest.objects.get(pk=request_id).status == "EXPIRED"
    # Webhook consumers learn the request is over, after the cancel, with the canceller as actor.
    types = list(Event.objects.filter(session_id=booked.id).order_by("created_at").values_list("type", flat=True))
    assert types[-2:] == ["session.cancelled", "session.postpone_expired"]
    expired = Event.objects.get(type="session.postpone_expired")
    assert expired.data["postpone_request"]["status"] == "EXPIRED"
    assert expired.data["session"]["status"] == "CANCELLED" and expired.data["actor"]["id"] == str(customer.pk)
    taker = api(CustomerFactory()).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(other_slot.id)}, format="json"
    )
    assert taker.status_code == 201


def test_list_shows_the_sessions_requests(api, coach, customer, booked, other_slot):
    _propose(api(coach), booked, other_slot)
    rows = api(customer).get(f"/api/v1/sessions/{booked.id}/postpone-requests").json()
    assert [r["status"] for r in rows] == ["PENDING"]
