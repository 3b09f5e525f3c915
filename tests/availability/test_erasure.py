"""Erasure (SPEC 10) reaches availability: the calendar feed stops answering, a coach's schedule goes."""

from __future__ import annotations

import pytest

from availability.models import CalendarFeed, TimeOff, WeeklyRule

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-42"


def test_erasure_deletes_the_feed_and_the_schedule(api, anon_client, coach):
    coach.set_password(PASSWORD)
    coach.save()
    client = api(coach)
    url = client.get("/api/v1/me/calendar").json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert anon_client.get(f"/{path}").status_code == 200
    schedule = {
        "timezone": "Europe/Berlin",
        "rules": [{"weekday": 0, "start": "09:00", "end": "12:00", "duration_minutes": 60}],
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "max_sessions_per_day": None,
        "booking_horizon_days": 28,
    }
    assert client.put("/api/v1/coach/schedule", schedule, format="json").status_code == 200
    assert WeeklyRule.objects.filter(coach=coach).exists()
    assert client.delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code == 204
    assert anon_client.get(f"/{path}").status_code == 404
    assert not CalendarFeed.objects.filter(user=coach).exists()
    assert not WeeklyRule.objects.filter(coach=coach).exists()
    assert not TimeOff.objects.filter(coach=coach).exists()
