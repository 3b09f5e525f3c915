"""Every transition of SPEC section 2, allowed and refused, with the log rows each one writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from sessions_app import services
from sessions_app.errors import OutsideJoinWindow
from sessions_app.models import Session, SessionLog
from tests.factories import SessionFactory
from tests.helpers.api import error_code
from tests.helpers.sessions import (
    END_REQUESTED_BY_COACH,
    END_REQUESTED_BY_CUSTOMER,
    book_open_session,
    session_in_state,
)

pytestmark = pytest.mark.django_db

S = Session.Status
PENDING, IN_PROGRESS, ERP, COMPLETED, CANCELLED = (
    S.PENDING,
    S.IN_PROGRESS,
    S.END_REQUEST_PENDING,
    S.COMPLETED,
    S.CANCELLED,
)
ERP_COACH, ERP_CUSTOMER = END_REQUESTED_BY_COACH, END_REQUESTED_BY_CUSTOMER

# (start state, action, actor) -> (HTTP status, resulting status, new logs as (action, actor) | error code)
# In every non-PENDING start state the customer started the call (STARTED + ENTERED by the customer).
ALLOWED = [
    (PENDING, "start-call", "customer", IN_PROGRESS, [("STARTED", "customer"), ("ENTERED", "customer")]),
    (PENDING, "start-call", "coach", IN_PROGRESS, [("STARTED", "coach"), ("ENTERED", "coach")]),
    (PENDING, "cancel", "customer", CANCELLED, [("CANCELLED", "customer")]),
    (PENDING, "cancel", "coach", CANCELLED, [("CANCELLED", "coach")]),
    (IN_PROGRESS, "start-call", "customer", IN_PROGRESS, [("RECONNECTED", "customer")]),
    (IN_PROGRESS, "start-call", "coach", IN_PROGRESS, [("ENTERED", "coach")]),
    (IN_PROGRESS, "end", "customer", ERP, [("END_REQUESTED", "customer")]),
    (IN_PROGRESS, "end", "coach", ERP, [("END_REQUESTED", "coach")]),
    (ERP_COACH, "end", "customer", COMPLETED, [("COMPLETED", "customer")]),
    (ERP_CUSTOMER, "end", "coach", COMPLETED, [("COMPLETED", "coach")]),
    (ERP_COACH, "end/decline", "customer", IN_PROGRESS, [("END_DECLINED", "customer")]),
    (ERP_CUSTOMER, "end/decline", "coach", IN_PROGRESS, [("END_DECLINED", "coach")]),
    (ERP_COACH, "start-call", "customer", ERP, [("RECONNECTED", "customer")]),
    (ERP_CUSTOMER, "start-call", "coach", ERP, [("ENTERED", "coach")]),
]

REFUSED = [
    (PENDING, "end", "customer"),
    (PENDING, "end", "coach"),
    (PENDING, "end/decline", "customer"),
    (PENDING, "end/decline", "coach"),
    (IN_PROGRESS, "cancel", "customer"),
    (IN_PROGRESS, "cancel", "coach"),
    (IN_PROGRESS, "end/decline", "customer"),
    (IN_PROGRESS, "end/decline", "coach"),
    # The one who asked to end can neither confirm nor decline their own request.
    (ERP_COACH, "end", "coach"),
    (ERP_COACH, "end/decline", "coach"),
    (ERP_CUSTOMER, "end", "customer"),
    (ERP_CUSTOMER, "end/decline", "customer"),
    (ERP_COACH, "cancel", "customer"),
    (ERP_CUSTOMER, "cancel", "coach"),
    *[
        (final, action, actor)
        for final in (COMPLETED, CANCELLED)
        for action in ("start-call", "cancel", "end", "end/decline")
        for actor in ("customer", "coach")
    ],
]


def _stored_status(state: str) -> str:
    return ERP if state in (ERP_COACH, ERP_CUSTOMER) else state


@pytest.mark.parametrize(("state", "action", "actor", "expected", "logs"), ALLOWED)
def test_allowed_transition(api, coach, customer, state, action, actor, expected, logs):
    session = session_in_state(state, coach=coach, customer=customer)
    users = {"coach": coach, "customer": customer}
    before = set(SessionLog.objects.filter(session=session).values_list("id", flat=True))

    res = api(users[actor]).post(f"/api/v1/sessions/{session.id}/{action}", {}, format="json")

    assert res.status_code == 200, res.json()
    session.refresh_from_db()
    assert session.status == expected
    new_logs = SessionLog.objects.filter(session=session).exclude(id__in=before).order_by("id")
    assert [(log.action, log.actor.role) for log in new_logs] == logs
    body = res.json()
    answered = body["session"]["status"] if action == "start-call" else body["status"]
    assert answered == expected


@pytest.mark.parametrize(("state", "action", "actor"), REFUSED)
def test_refused_transition_is_invalid_state_and_changes_nothing(api, coach, customer, state, action, actor):
    session = session_in_state(state, coach=coach, customer=customer)
    users = {"coach": coach, "customer": customer}
    logs_before = SessionLog.objects.filter(session=session).count()
    row_before = Session.objects.filter(pk=session.pk).values().get()

    res = api(users[actor]).post(f"/api/v1/sessions/{session.id}/{action}", {}, format="json")

    assert res.status_code == 409, res.json()
    assert error_code(res) == "invalid_state"
    assert Session.objects.filter(pk=session.pk).values().get() == row_before
    assert session.status == _stored_status(state)
    assert SessionLog.objects.filter(session=session).count() == logs_before


def test_customer_cannot_cancel_started_session(api, coach, customer):
    session = session_in_state(IN_PROGRESS, coach=coach, customer=customer)
    res = api(customer).post(f"/api/v1/sessions/{session.id}/cancel", {"reason": "too late"}, format="json")
    assert res.status_code == 409
    assert error_code(res) == "invalid_state"
    session.refresh_from_db()
    assert session.status == IN_PROGRESS
    assert session.cancelled_at is None


def test_start_call_sets_started_at_and_writes_started_then_entered(api, coach, customer, open_session):
    res = api(coach).post(f"/api/v1/sessions/{open_session.id}/start-call")
    assert res.status_code == 200
    open_session.refresh_from_db()
    assert open_session.started_at is not None
    assert list(open_session.logs.order_by("id").values_list("action", flat=True)) == ["BOOKED", "STARTED", "ENTERED"]


def test_end_request_records_who_asked_and_decline_clears_it(api, coach, customer):
    session = session_in_state(IN_PROGRESS, coach=coach, customer=customer)
    res = api(coach).post(f"/api/v1/sessions/{session.id}/end")
    assert res.json()["end_requested_by"] == str(coach.id)
    session.refresh_from_db()
    assert session.end_requested_by_id == coach.id
    assert session.end_requested_at is not None

    status = api(customer).get(f"/api/v1/sessions/{session.id}/status").json()
    assert status["status"] == ERP
    assert status["end_requested_by"] == str(coach.id)

    res = api(customer).post(f"/api/v1/sessions/{session.id}/end/decline")
    assert res.json()["end_requested_by"] is None
    session.refresh_from_db()
    assert (session.status, session.end_requested_by_id, session.end_requested_at) == (IN_PROGRESS, None, None)


def test_confirmed_end_sets_ended_at(api, coach, customer):
    session = session_in_state(ERP_CUSTOMER, coach=coach, customer=customer)
    res = api(coach).post(f"/api/v1/sessions/{session.id}/end")
    assert res.status_code == 200
    session.refresh_from_db()
    assert session.status == COMPLETED
    assert session.ended_at is not None
    assert res.json()["ended_at"] is not None


def test_staff_cancel_goes_through_the_same_service(coach, customer, staff):
    session = book_open_session(coach=coach, customer=customer)
    services.session_cancel(session=session, actor=staff, reason="moderation")
    session.refresh_from_db()
    assert (session.status, session.cancelled_by_id, session.cancel_reason) == (CANCELLED, staff.id, "moderation")
    assert session.logs.filter(action="CANCELLED", actor=staff).count() == 1


# --- join window -------------------------------------------------------------------------------------


def _scheduled(coach, customer, start):
    return SessionFactory(appointment__coach=coach, appointment__start=start, customer=customer)


@pytest.mark.parametrize(
    ("minutes_from_now", "duration"),
    [
        (settings.JOIN_EARLY_MINUTES + 5, 60),  # too early
        (-61, 60),  # its end has passed
    ],
)
def test_start_call_outside_join_window_is_refused(api, coach, customer, minutes_from_now, duration):
    start = timezone.now() + timedelta(minutes=minutes_from_now)
    session = _scheduled(coach, customer, start)
    res = api(customer).post(f"/api/v1/sessions/{session.id}/start-call")
    assert res.status_code == 409
    assert error_code(res) == "outside_join_window"
    session.refresh_from_db()
    assert session.status == PENDING
    assert session.started_at is None
    assert not session.logs.exists()


def test_join_window_boundaries(coach, customer, settings):
    settings.JOIN_EARLY_MINUTES = 10
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    session = _scheduled(coach, customer, start)
    opens = start - timedelta(minutes=10)

    with pytest.raises(OutsideJoinWindow):
        services.session_start_call(session=session, actor=customer, now=opens - timedelta(seconds=1))
    with pytest.raises(OutsideJoinWindow):
        services.session_start_call(session=session, actor=customer, now=session.scheduled_end)
    creds = services.session_start_call(session=session, actor=customer, now=opens)
    assert creds.session.status == IN_PROGRESS
    assert creds.session.started_at == opens


def test_scheduled_session_can_be_started_a_few_minutes_early(api, coach, customer):
    start = timezone.now() + timedelta(minutes=settings.JOIN_EARLY_MINUTES - 2)
    session = _scheduled(coach, customer, start)
    res = api(customer).post(f"/api/v1/sessions/{session.id}/start-call")
    assert res.status_code == 200, res.json()
    session.refresh_from_db()
    assert session.status == IN_PROGRESS


def test_instant_session_can_be_started_right_away(api, coach, customer):
    res = api(customer).post(
        "/api/v1/sessions", {"type": "INSTANT", "coach_id": str(coach.id), "duration_minutes": 30}, format="json"
    )
    assert res.status_code == 201, res.json()
    session_id = res.json()["id"]
    res = api(coach).post(f"/api/v1/sessions/{session_id}/start-call")
    assert res.status_code == 200, res.json()
    assert Session.objects.get(pk=session_id).status == IN_PROGRESS


def test_instant_session_not_started_within_its_window_cannot_be_started(coach, customer, settings):
    settings.INSTANT_JOIN_WINDOW_MINUTES = 10
    booked_at = timezone.now() - timedelta(minutes=11)
    session = services.session_book_instant(customer=customer, coach_id=coach.id, duration_minutes=60, now=booked_at)
    with pytest.raises(OutsideJoinWindow):
        services.session_start_call(session=session, actor=customer)
    session.refresh_from_db()
    assert session.status == PENDING


def test_reconnect_returns_a_fresh_token_and_logs_reconnected(api, coach, customer, open_session):
    client = api(customer)
    first = client.post(f"/api/v1/sessions/{open_session.id}/start-call").json()
    started_at = Session.objects.get(pk=open_session.pk).started_at
    second = client.post(f"/api/v1/sessions/{open_session.id}/start-call").json()

    assert second["token"] != first["token"]
    assert second["uid"] == first["uid"]
    assert second["channel_name"] == first["channel_name"]
    open_session.refresh_from_db()
    assert open_session.status == IN_PROGRESS
    assert open_session.started_at == started_at
    assert open_session.logs.filter(action="RECONNECTED", actor=customer).count() == 1
    assert open_session.logs.filter(action="STARTED").count() == 1


def test_reconnect_after_the_grace_period_is_refused(coach, customer, settings):
    session = session_in_state(IN_PROGRESS, coach=coach, customer=customer)
    late = session.scheduled_end + timedelta(minutes=settings.SESSION_GRACE_MINUTES)
    with pytest.raises(OutsideJoinWindow):
        services.session_start_call(session=session, actor=customer, now=late)
    assert not session.logs.filter(action="RECONNECTED").exists()


# --- domain signals ----------------------------------------------------------------------------------


def test_transitions_send_their_domain_signals_after_commit(coach, customer, django_capture_on_commit_callbacks):
    from sessions_app import signals

    received = []

    def receiver(sender, session, actor, signal, **kwargs):
        received.append((signal, session.status, actor))

    sigs = [signals.session_started, signals.session_completed, signals.session_cancelled]
    for sig in sigs:
        sig.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            session = session_in_state(COMPLETED, coach=coach, customer=customer)
        with django_capture_on_commit_callbacks(execute=True):
            other = book_open_session(coach=coach, customer=customer, minutes_ago=-600)
            services.session_cancel(session=other, actor=customer)
    finally:
        for sig in sigs:
            sig.disconnect(receiver)

    assert session.status == COMPLETED
    assert received == [
        (signals.session_started, COMPLETED, customer),  # sent after commit: the row as it is by then
        (signals.session_completed, COMPLETED, customer),
        (signals.session_cancelled, CANCELLED, customer),
    ]


def test_status_endpoint_reports_elapsed_and_remaining_seconds(api, coach, customer):
    start = timezone.now() - timedelta(minutes=5)
    session = SessionFactory(
        appointment__coach=coach, appointment__start=start, customer=customer, status=IN_PROGRESS, started_at=start
    )
    body = api(coach).get(f"/api/v1/sessions/{session.id}/status").json()
    assert body["status"] == IN_PROGRESS
    assert 299 <= body["elapsed_seconds"] <= 310
    assert 55 * 60 - 10 <= body["remaining_seconds"] <= 55 * 60
    assert body["end_requested_by"] is None
