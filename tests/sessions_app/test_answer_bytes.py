"""The exact bytes (and headers) of the two answers clients poll most: ``GET sessions`` and
``GET sessions/{id}/status``.

Pinned before their fast paths were written (issue 10): the files under ``pinned/`` are what the
serializer-based views answered for these rows, so a faster path must answer the same bytes, on
SQLite and on PostgreSQL. The rows cover every state and every field that can be empty or not; the
clock is Django's ``timezone.now`` held at ``NOW`` (the answers contain seconds counted from now).
To rewrite the files after a deliberate change of the answers: ``PIN_ANSWERS=1 pytest <this file>``.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from sessions_app.models import Appointment, Session
from tests.factories import CoachFactory, CustomerFactory

pytestmark = pytest.mark.django_db

PINNED = Path(__file__).parent / "pinned"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
S = Session.Status


def _id(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def _session(n: int, *, coach, customer, start: datetime, minutes: int = 60, slot: bool = True, **fields) -> Session:
    appointment = None
    if slot:
        appointment = Appointment.objects.create(
            id=_id(0xA000 + n),
            coach=coach,
            start=start,
            end=start + timedelta(minutes=minutes),
            duration_minutes=minutes,
        )
    values = {
        "type": Session.Type.SCHEDULED,
        "status": S.PENDING,
        "price": Decimal("60.00"),
        "currency": "EUR",
        "created_at": NOW - timedelta(days=3, microseconds=n * 1111),
        **fields,
    }
    return Session.objects.create(
        id=_id(0x5000 + n),
        number=40 + n,
        coach=coach,
        customer=customer,
        appointment=appointment,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes),
        duration_minutes=minutes,
        channel_name=f"pinned-{n}",
        coach_uid=2 * n,
        customer_uid=2 * n + 1,
        **values,
    )


@pytest.fixture
def people():
    return {
        "ada": CoachFactory(id=_id(0xC1), first_name="Ada", last_name="Lovelace", email="ada@example.com"),
        "grace": CoachFactory(id=_id(0xC2), first_name="Grace", last_name="Hopper ✓", email="grace@example.com"),
        "bo": CustomerFactory(id=_id(0xB1), first_name="Bo", last_name="Nguyễn", email="bo@example.com"),
    }


@pytest.fixture
def sessions(people):
    ada, grace, bo = people["ada"], people["grace"], people["bo"]
    at = NOW.replace(minute=0)
    return {
        # join window open: can_start; a topic with characters JSON must escape or not
        "open": _session(
            1, coach=ada, customer=bo, start=at + timedelta(minutes=5),
            topic='Grüße, مرحبا, "quoted" \\ \u2028 ✓', free_cancel_until=at - timedelta(hours=20),
        ),
        "future": _session(
            2, coach=grace, customer=bo, start=at + timedelta(days=3), minutes=30, price=Decimal("150.5")
        ),
        "live": _session(
            3, coach=grace, customer=bo, start=at - timedelta(hours=3), minutes=185, type=Session.Type.INSTANT,
            status=S.IN_PROGRESS, started_at=at - timedelta(hours=2, minutes=58, seconds=7, microseconds=250),
            created_at=at - timedelta(hours=3, minutes=1),
        ),
        "ending": _session(
            # past its scheduled end, not yet closed by the periodic task
            4, coach=ada, customer=bo, start=at - timedelta(hours=8), minutes=240, status=S.END_REQUEST_PENDING,
            started_at=at - timedelta(hours=7, minutes=55), end_requested_by=ada,
            end_requested_at=at - timedelta(minutes=1),
        ),
        "done": _session(
            5, coach=ada, customer=bo, start=at - timedelta(days=2), status=S.COMPLETED,
            started_at=at - timedelta(days=2) + timedelta(minutes=2),
            ended_at=at - timedelta(days=2) + timedelta(minutes=61, seconds=30), attendance_coach="ATTENDED",
            attendance_customer="LATE", outcome="HELD", confirmed_at=at - timedelta(days=1),
        ),
        "no_show": _session(
            6, coach=grace, customer=bo, start=at - timedelta(days=4), type=Session.Type.INSTANT, status=S.COMPLETED,
            ended_at=at - timedelta(days=4) + timedelta(minutes=70), attendance_coach="ABSENT",
            attendance_customer="ATTENDED", outcome="COACH_NO_SHOW",
        ),
        "cancelled": _session(
            7, coach=grace, customer=bo, start=at + timedelta(days=1), slot=False, status=S.CANCELLED,
            cancelled_at=at - timedelta(hours=1), cancelled_by=bo, cancel_reason="Ill, sorry\n", late_cancellation=True,
            free_cancel_until=at - timedelta(hours=2),
        ),
    }  # fmt: skip


def _client(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _answer(client, path: str, **headers):
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = client.get(path, **headers)
    assert response.status_code == 200, response.content
    return response


def _header(key: str, value: str) -> str:
    # django-csp writes its directives in set order, which differs from process to process.
    return "; ".join(sorted(value.split("; "))) if key == "Content-Security-Policy" else value


def _check(name: str, response) -> None:
    headers = "".join(f"{key}: {_header(key, value)}\n" for key, value in sorted(response.headers.items()))
    for suffix, data in ((".json", response.content), (".headers", headers.encode())):
        path = PINNED / f"{name}{suffix}"
        if os.environ.get("PIN_ANSWERS") == "1":
            PINNED.mkdir(exist_ok=True)
            path.write_bytes(data)
        assert data == path.read_bytes(), f"{name}{suffix} changed"


LISTS = {
    "sessions_customer": ("bo", "/api/v1/sessions"),
    "sessions_customer_page2": ("bo", "/api/v1/sessions?page_size=2&page=2"),
    "sessions_coach_filtered": ("ada", "/api/v1/sessions?status=PENDING,COMPLETED&page_size=20"),
    "sessions_coach_range": ("grace", "/api/v1/sessions?from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00%2B01:00"),
    "sessions_empty": ("ada", "/api/v1/sessions?type=INSTANT"),
}


@pytest.mark.parametrize("name", LISTS)
def test_session_list_answers_the_pinned_bytes(people, sessions, name):
    who, path = LISTS[name]
    _check(name, _answer(_client(people[who]), path))


@pytest.mark.parametrize("key", ["open", "future", "live", "ending", "done", "no_show", "cancelled"])
def test_session_status_answers_the_pinned_bytes(people, sessions, key):
    for who in ("bo", sessions[key].coach.first_name.lower()):
        _check(f"status_{key}", _answer(_client(people[who]), f"/api/v1/sessions/{sessions[key].id}/status"))


def test_the_answers_speak_the_language_asked_for_or_the_users_own(people, sessions):
    """The language is in the headers only (these answers carry no text of ours), both ways."""
    live = f"/api/v1/sessions/{sessions['live'].id}/status"
    _check("status_live_ar", _answer(_client(people["grace"]), live, HTTP_ACCEPT_LANGUAGE="ar,en;q=0.5"))
    people["bo"].language = "ar"
    people["bo"].save(update_fields=["language"])
    _check("status_live_ar", _answer(_client(people["bo"]), live))
    _check("sessions_customer_page2_ar", _answer(_client(people["bo"]), LISTS["sessions_customer_page2"][1]))


def test_the_pinned_list_holds_every_state_and_both_kinds_of_empty(people, sessions):
    """The pins cover what they claim: every status, and each nullable field both empty and set."""
    import json

    results = json.loads((PINNED / "sessions_customer.json").read_bytes())["results"]
    assert {row["status"] for row in results} == set(S.values)
    for field in ("appointment_id", "started_at", "ended_at", "end_requested_by", "cancelled_at", "cancelled_by",
                  "free_cancel_until", "attendance", "outcome", "confirmed_at"):  # fmt: skip
        assert {row[field] is None for row in results} == {True, False}, field
    assert {row["can_start"] for row in results} == {True, False}
