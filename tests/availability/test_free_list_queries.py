"""GET coaches/{id}/appointments over four weeks of a busy scheduled coach: a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import CoachProfile
from availability.services import Rule, Schedule, schedule_replace
from sessions_app.models import Appointment
from tests.factories import CustomerFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _list(client, coach, start, end) -> tuple[int, list]:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    path = f"/api/v1/coaches/{coach.pk}/appointments?page_size=100&from={start:{fmt}}&to={end:{fmt}}"
    with CaptureQueriesContext(connection) as ctx:
        res = client.get(path)
    assert res.status_code == 200, res.content
    return len(ctx.captured_queries), res.json()["results"]


def _book_every_other(coach, slots) -> None:
    for slot in slots[::2]:
        SessionFactory(appointment=slot, customer=CustomerFactory(), buffer_after_minutes=0)


def test_the_free_list_does_not_grow_in_queries_with_slots_or_bookings(api, coach):
    CoachProfile.objects.filter(pk=coach.pk).update(buffer_after_minutes=0)
    rules = [Rule(d, 8 * 60, 19 * 60, 60) for d in range(7)]
    schedule_replace(coach=coach, schedule=Schedule("Europe/Berlin", rules, 0, 0, None, 28))
    client = api(CustomerFactory())
    now = timezone.now()

    few, few_rows = _list(client, coach, now, now + timedelta(days=2))
    slots = list(Appointment.objects.filter(coach=coach).order_by("start"))
    assert len(slots) > 250  # four weeks of 11 slots a day
    _book_every_other(coach, slots)
    many, rows = _list(client, coach, now, now + timedelta(days=28))

    assert many == few
    assert len(rows) == 100  # a full page of the free half
    booked = {str(s.pk) for s in slots[::2]}
    assert not booked & {r["id"] for r in rows}
