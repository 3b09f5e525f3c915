"""GET sessions (own only, filters), sessions/current and sessions/{id}."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import SessionFactory
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db

S = Session.Status


def _iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@pytest.fixture
def mine(coach, customer):
    base = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    return {
        "pending": SessionFactory(appointment__coach=coach, appointment__start=base, customer=customer),
        "completed": SessionFactory(appointment__start=base - timedelta(days=3), customer=customer, status=S.COMPLETED),
        "cancelled": SessionFactory(
            appointment__coach=coach, appointment__start=base + timedelta(days=2), status=S.CANCELLED
        ),
    }


def _ids(res) -> set[str]:
    assert res.status_code == 200, res.json()
    return {s["id"] for s in res.json()["results"]}


def test_each_user_lists_only_their_own_sessions(api, coach, customer, outsider, mine):
    SessionFactory()  # somebody else's
    assert _ids(api(customer).get("/api/v1/sessions")) == {str(mine["pending"].id), str(mine["completed"].id)}
    assert _ids(api(coach).get("/api/v1/sessions")) == {str(mine["pending"].id), str(mine["cancelled"].id)}
    assert _ids(api(outsider).get("/api/v1/sessions")) == set()


def test_sessions_list_filters_by_status_type_and_time(api, customer, mine):
    client = api(customer)
    assert _ids(client.get("/api/v1/sessions", {"status": "COMPLETED"})) == {str(mine["completed"].id)}
    assert _ids(client.get("/api/v1/sessions", {"status": "pending,completed"})) == {
        str(mine["pending"].id),
        str(mine["completed"].id),
    }
    assert _ids(client.get("/api/v1/sessions", {"type": "INSTANT"})) == set()
    now = _iso(timezone.now())
    assert _ids(client.get("/api/v1/sessions", {"from": now})) == {str(mine["pending"].id)}
    assert _ids(client.get("/api/v1/sessions", {"to": now})) == {str(mine["completed"].id)}
    res = client.get("/api/v1/sessions", {"status": "SLEEPING"})
    assert res.status_code == 400


def test_session_list_is_newest_first(api, customer, mine):
    results = api(customer).get("/api/v1/sessions").json()["results"]
    assert [r["id"] for r in results] == [str(mine["pending"].id), str(mine["completed"].id)]


def test_session_detail_has_the_contract_fields(api, customer, mine):
    body = api(customer).get(f"/api/v1/sessions/{mine['pending'].id}").json()
    contract = {
        *("id", "number", "type", "status", "coach", "customer", "appointment_id", "topic"),
        *("scheduled_start", "scheduled_end", "duration_minutes", "price", "currency"),
        *("started_at", "ended_at", "end_requested_by", "cancelled_at", "cancelled_by", "cancel_reason"),
        *("can_cancel", "can_start", "can_chat"),
    }
    for field in contract:
        assert field in body, field
    assert body["customer"]["id"] == str(customer.id)
    assert (body["can_cancel"], body["can_start"], body["can_chat"]) == (True, False, False)


def test_current_is_404_without_an_active_or_joinable_session(api, customer, mine):
    res = api(customer).get("/api/v1/sessions/current")
    assert res.status_code == 404


def test_current_returns_the_session_whose_join_window_is_open(api, coach, customer, mine):
    session = session_in_state(S.PENDING, coach=coach, customer=customer)
    body = api(customer).get("/api/v1/sessions/current").json()
    assert body["id"] == str(session.id)
    assert body["can_start"] is True


def test_current_prefers_the_active_session(api, coach, customer):
    active = session_in_state(S.IN_PROGRESS, coach=coach, customer=customer)
    soon = timezone.now() + timedelta(minutes=61)
    SessionFactory(customer=customer, appointment__start=soon)
    for client in (api(customer), api(coach)):
        body = client.get("/api/v1/sessions/current").json()
        assert (body["id"], body["status"], body["can_chat"]) == (str(active.id), S.IN_PROGRESS, True)


def test_status_filter_accepts_repeated_parameters(api, coach, customer):
    from tests.factories import SessionFactory

    pending = SessionFactory(appointment__coach=coach, customer=customer)
    cancelled = SessionFactory(
        appointment__coach=coach, customer=customer, status="CANCELLED", appointment__start=pending.scheduled_end
    )
    res = api(customer).get("/api/v1/sessions?status=PENDING&status=CANCELLED")
    assert {s["id"] for s in res.json()["results"]} == {str(pending.id), str(cancelled.id)}
