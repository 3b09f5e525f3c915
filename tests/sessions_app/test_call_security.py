"""SPEC 9: the session's media encryption key, and token renewal without a log row."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from events.models import Event
from sessions_app import services
from sessions_app.models import Session, SessionLog, SessionMediaKey
from tests.factories import SessionFactory
from tests.helpers.api import error_code
from tests.helpers.sessions import END_REQUESTED_BY_COACH, book_open_session, session_in_state
from tests.sessions_app.test_agora_token import APP_ID, CERTIFICATE, decode_006

pytestmark = pytest.mark.django_db


@pytest.fixture
def agora(settings):
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = CERTIFICATE
    return settings


def _start_call(client, session) -> dict:
    res = client.post(f"/api/v1/sessions/{session.id}/start-call")
    assert res.status_code == 200, res.json()
    return res.json()


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- encryption ----------------------------------------------------------------------------------


def test_both_participants_and_a_reconnect_get_the_same_key_and_salt(agora, api, coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    first = _start_call(api(customer), session)["encryption"]
    coach_view = _start_call(api(coach), session)["encryption"]
    reconnect = _start_call(api(customer), session)["encryption"]

    assert first == coach_view == reconnect
    assert first["mode"] == "AES_128_GCM2"
    assert re.fullmatch(r"[0-9a-f]{64}", first["key"])
    assert len(base64.b64decode(first["salt"], validate=True)) == 32
    assert SessionMediaKey.objects.filter(session=session).count() == 1


def test_every_session_gets_its_own_key_and_salt(agora, api, coach, customer):
    one = book_open_session(coach=coach, customer=customer)
    two = SessionFactory(appointment__start=timezone.now() - timedelta(minutes=1))  # another coach: no overlap
    a = _start_call(api(customer), one)["encryption"]
    b = _start_call(api(two.customer), two)["encryption"]
    assert a["key"] != b["key"]
    assert a["salt"] != b["salt"]


def test_the_key_is_stored_encrypted(agora, api, coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    enc = _start_call(api(customer), session)["encryption"]
    row = SessionMediaKey.objects.values().get(session=session)
    stored = json.dumps(row, default=str)
    assert enc["key"] not in stored
    assert enc["salt"] not in stored
    assert enc["key"] not in repr(SessionMediaKey.objects.get(session=session))


def test_the_key_is_made_once_even_when_it_is_read_without_start_call(agora, coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    assert services.session_media_encryption_get(session=session) is None
    made = services.session_media_encryption(session=session)
    again = services.session_media_encryption(session=session)
    assert made == again
    assert made.key not in repr(made) and made.salt not in repr(made)  # a traceback shows neither


def test_the_key_is_never_in_logs_events_other_answers_or_the_admin(agora, api, coach, customer, staff):
    session = book_open_session(coach=coach, customer=customer)
    enc = _start_call(api(customer), session)["encryption"]
    _start_call(api(coach), session)
    services.session_request_end(session=session, actor=coach)
    services.session_request_end(session=session, actor=customer)  # completes: more logs, more events
    secrets_ = (enc["key"], enc["salt"])

    logs = json.dumps(list(SessionLog.objects.values()), default=str)
    events = json.dumps(list(Event.objects.values("type", "data")), default=str)
    answers = "".join(
        api(coach).get(path).content.decode()
        for path in (
            f"/api/v1/sessions/{session.id}",
            f"/api/v1/sessions/{session.id}/logs",
            f"/api/v1/sessions/{session.id}/status",
            "/api/v1/sessions",
        )
    )
    admin = Client()
    admin.force_login(staff)
    page = admin.get(f"/admin/sessions_app/session/{session.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert session.display_number in html  # the page really is the session's
    for secret in secrets_:
        assert secret not in logs
        assert secret not in events
        assert secret not in answers
        assert secret not in html


# --- token renewal -------------------------------------------------------------------------------


def _renew(client, session):
    return client.post(f"/api/v1/sessions/{session.id}/token")


def test_renewal_gives_a_fresh_short_token_and_writes_no_log(agora, api, coach, customer):
    agora.RTC_TOKEN_TTL_MINUTES = 5
    session = book_open_session(coach=coach, customer=customer)
    started = _start_call(api(customer), session)
    logs_before = list(SessionLog.objects.filter(session=session).values_list("pk", flat=True))

    before = int(timezone.now().timestamp())
    res = _renew(api(customer), session)
    after = int(timezone.now().timestamp())

    assert res.status_code == 200, res.json()
    body = res.json()
    assert set(body) == {"token", "uid", "channel_name", "expires_at"}
    assert body["uid"] == started["uid"] == session.customer_uid
    assert body["channel_name"] == session.channel_name
    token = decode_006(body["token"])
    assert token.app_id == APP_ID
    assert set(token.privileges) == {1, 2, 3, 4}
    expiry = token.privileges[1]
    assert before + 5 * 60 - 1 <= expiry <= after + 5 * 60  # the TTL, far before the hard end
    assert int(_when(body["expires_at"]).timestamp()) == expiry
    assert list(SessionLog.objects.filter(session=session).values_list("pk", flat=True)) == logs_before


def test_renewal_never_outlives_the_hard_end(agora, api, coach, customer):
    session = book_open_session(coach=coach, customer=customer, minutes_ago=55)  # 60 min: ends in 5
    _start_call(api(coach), session)
    body = _renew(api(coach), session).json()
    session.refresh_from_db()
    assert decode_006(body["token"]).privileges[1] == int(session.hard_end.timestamp())


def test_renewal_works_while_an_end_request_is_pending(agora, api, coach, customer):
    session = session_in_state(END_REQUESTED_BY_COACH, coach=coach, customer=customer)
    assert _renew(api(coach), session).status_code == 200
    assert _renew(api(customer), session).status_code == 200


@pytest.mark.parametrize("state", [Session.Status.PENDING, Session.Status.COMPLETED, Session.Status.CANCELLED])
def test_renewal_outside_the_call_is_invalid_state_and_changes_nothing(agora, api, coach, customer, state):
    session = session_in_state(state, coach=coach, customer=customer)
    logs = SessionLog.objects.filter(session=session).count()
    res = _renew(api(customer), session)
    assert res.status_code == 409
    assert error_code(res) == "invalid_state"
    session.refresh_from_db()
    assert session.status == state
    assert SessionLog.objects.filter(session=session).count() == logs


def test_renewal_after_the_hard_end_is_outside_join_window(agora, api, coach, customer):
    start = timezone.now() - timedelta(hours=3)
    session = SessionFactory(
        appointment__coach=coach,
        appointment__start=start,
        customer=customer,
        status=Session.Status.IN_PROGRESS,
        started_at=start,
    )
    res = _renew(api(customer), session)
    assert res.status_code == 409
    assert error_code(res) == "outside_join_window"


def test_renewal_by_someone_else_is_404(agora, api, coach, customer, outsider, other_coach):
    session = session_in_state(Session.Status.IN_PROGRESS, coach=coach, customer=customer)
    for user in (outsider, other_coach):
        res = _renew(api(user), session)
        assert res.status_code == 404
        assert error_code(res) == "not_found"


def test_a_call_started_without_a_key_stays_unencrypted_on_rejoin(agora, api, coach, customer):
    # Started before encryption was released: both clients are in the channel without a key.
    start = timezone.now() - timedelta(minutes=5)
    session = SessionFactory(
        appointment__coach=coach, appointment__start=start, customer=customer, status="IN_PROGRESS", started_at=start
    )
    body = _start_call(api(customer), session)
    assert body["encryption"] is None
    assert not SessionMediaKey.objects.filter(session=session).exists()
