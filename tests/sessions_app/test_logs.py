"""GET/POST sessions/{id}/logs: automatic rows, client events, system-only actions, no logs after the end."""

from __future__ import annotations

import pytest

from sessions_app.models import Session, SessionLog
from tests.helpers.api import error_code
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db

S = Session.Status


@pytest.fixture
def live(coach, customer):
    return session_in_state(S.IN_PROGRESS, coach=coach, customer=customer)


def test_logs_list_oldest_first_with_actor_and_role(api, coach, customer, live):
    res = api(coach).get(f"/api/v1/sessions/{live.id}/logs")
    assert res.status_code == 200
    body = res.json()
    assert body["count"] == 3
    assert [row["action"] for row in body["results"]] == ["BOOKED", "STARTED", "ENTERED"]
    assert body["results"][0]["actor"] == {"id": str(customer.id), "role": "customer"}
    assert body["results"][0]["created_at"].endswith("Z")
    assert set(body["results"][0]) >= {"id", "action", "text", "actor", "created_at"}


def test_system_log_has_a_null_actor(api, coach, customer):
    from sessions_app import services

    session = session_in_state(S.PENDING, coach=coach, customer=customer)
    services.session_cancel(session=session, actor=None, reason="NO_SHOW")
    rows = api(customer).get(f"/api/v1/sessions/{session.id}/logs").json()["results"]
    assert rows[-1]["action"] == "CANCELLED"
    assert rows[-1]["actor"] is None
    assert rows[-1]["text"] == "NO_SHOW"


@pytest.mark.parametrize("action", [str(a) for a in SessionLog.CLIENT_ACTIONS])
def test_participant_adds_a_client_event(api, coach, live, action):
    res = api(coach).post(f"/api/v1/sessions/{live.id}/logs", {"action": action, "text": "wifi"}, format="json")
    assert res.status_code == 201, res.json()
    assert res.json()["action"] == action
    assert res.json()["actor"] == {"id": str(coach.id), "role": "coach"}
    log = SessionLog.objects.get(pk=res.json()["id"])
    assert (log.session_id, log.action, log.actor_id, log.text) == (live.id, action, coach.id, "wifi")


def test_client_event_may_be_sent_before_the_start(api, coach, customer):
    session = session_in_state(S.PENDING, coach=coach, customer=customer)
    res = api(customer).post(f"/api/v1/sessions/{session.id}/logs", {"action": "NETWORK_ISSUE"}, format="json")
    assert res.status_code == 201


@pytest.mark.parametrize(
    "action",
    [
        "BOOKED",
        "STARTED",
        "END_REQUESTED",
        "END_DECLINED",
        "COMPLETED",
        "CANCELLED",
        "RECORDING_STARTED",
        "RESCHEDULED",
        "mic_off",  # actions are spelled as the SPEC spells them
        "NOT_AN_ACTION",
    ],
)
def test_system_only_actions_are_refused(api, customer, live, action):
    before = SessionLog.objects.count()
    res = api(customer).post(f"/api/v1/sessions/{live.id}/logs", {"action": action}, format="json")
    assert res.status_code == 400
    assert error_code(res) == "validation_error"
    assert "action" in res.json()["error"]["fields"]
    assert SessionLog.objects.count() == before
    assert Session.objects.get(pk=live.pk).status == S.IN_PROGRESS


@pytest.mark.parametrize("payload", [{"action": "DANCING"}, {}, {"action": "LEFT", "text": "x" * 1001}])
def test_malformed_log_requests_are_validation_errors(api, customer, live, payload):
    res = api(customer).post(f"/api/v1/sessions/{live.id}/logs", payload, format="json")
    assert res.status_code == 400
    assert error_code(res) == "validation_error"


@pytest.mark.parametrize("state", [S.COMPLETED, S.CANCELLED])
def test_no_log_can_be_added_once_the_session_has_ended(api, coach, customer, state):
    session = session_in_state(state, coach=coach, customer=customer)
    before = session.logs.count()
    res = api(customer).post(f"/api/v1/sessions/{session.id}/logs", {"action": "LEFT"}, format="json")
    assert res.status_code == 409
    assert error_code(res) == "session_ended"
    assert session.logs.count() == before


def test_every_transition_of_a_full_session_is_logged(api, coach, customer):
    session = session_in_state(S.PENDING, coach=coach, customer=customer)
    cust, co = api(customer), api(coach)
    cust.post(f"/api/v1/sessions/{session.id}/start-call")
    co.post(f"/api/v1/sessions/{session.id}/start-call")
    cust.post(f"/api/v1/sessions/{session.id}/start-call")
    co.post(f"/api/v1/sessions/{session.id}/end")
    cust.post(f"/api/v1/sessions/{session.id}/end/decline")
    cust.post(f"/api/v1/sessions/{session.id}/end")
    co.post(f"/api/v1/sessions/{session.id}/end")
    rows = [(log.action, log.actor.role if log.actor else None) for log in session.logs.order_by("id")]
    assert rows == [
        ("BOOKED", "customer"),
        ("STARTED", "customer"),
        ("ENTERED", "customer"),
        ("ENTERED", "coach"),
        ("RECONNECTED", "customer"),
        ("END_REQUESTED", "coach"),
        ("END_DECLINED", "customer"),
        ("END_REQUESTED", "customer"),
        ("COMPLETED", "coach"),
    ]
