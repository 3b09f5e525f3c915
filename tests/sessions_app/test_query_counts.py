"""GET sessions and GET coaches use a fixed number of queries, however many rows they show."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CoachFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _count_queries(client, path) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        res = client.get(path)
    assert res.status_code == 200, res.json()
    return len(ctx.captured_queries), res.json()


def _sessions_for(customer, n: int, offset: int) -> None:
    base = timezone.now() + timedelta(days=1)
    for i in range(n):
        # Each on its own coach and slot: a per-row lookup of coach or customer would show.
        SessionFactory(customer=customer, appointment__start=base + timedelta(hours=2 * (offset + i)))


def test_session_list_query_count_does_not_grow_with_rows(api, customer, django_assert_max_num_queries):
    client = api(customer)
    _sessions_for(customer, 3, 0)
    few, body = _count_queries(client, "/api/v1/sessions?page_size=100")
    assert body["count"] == 3

    _sessions_for(customer, 27, 3)
    with django_assert_max_num_queries(few):
        res = client.get("/api/v1/sessions?page_size=100")
    assert res.json()["count"] == 30
    assert len(res.json()["results"]) == 30


def test_coach_session_list_query_count_does_not_grow_with_rows(api, coach, django_assert_max_num_queries):
    client = api(coach)
    base = timezone.now() + timedelta(days=1)
    for i in range(3):
        SessionFactory(appointment__coach=coach, appointment__start=base + timedelta(hours=2 * i))
    few, _ = _count_queries(client, "/api/v1/sessions?page_size=100")
    for i in range(3, 30):
        SessionFactory(appointment__coach=coach, appointment__start=base + timedelta(hours=2 * i))
    with django_assert_max_num_queries(few):
        res = client.get("/api/v1/sessions?page_size=100")
    assert len(res.json()["results"]) == 30


def test_coach_list_query_count_does_not_grow_with_rows(api, customer, django_assert_max_num_queries):
    client = api(customer)
    for i in range(3):
        CoachFactory(coach_profile__hourly_rate=Decimal(10 + i))
    few, body = _count_queries(client, "/api/v1/coaches?page_size=100")
    assert body["count"] == 3

    for i in range(27):
        CoachFactory(coach_profile__categories=["yoga", f"c{i}"], coach_profile__rating_count=i)
    with django_assert_max_num_queries(few):
        res = client.get("/api/v1/coaches?page_size=100")
    assert res.json()["count"] == 30
    assert len(res.json()["results"]) == 30
