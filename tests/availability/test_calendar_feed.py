"""The iCalendar feed, parsed back with the library."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from availability.models import CalendarFeed
from sessions_app import services
from tests.factories import AppointmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


def feed_path(client) -> str:
    url = client.get("/api/v1/me/calendar").json()["url"]
    assert url.startswith("http://testserver/api/v1/calendar/") and url.endswith(".ics")
    return url.removeprefix("http://testserver")


def events(anon_client, path) -> dict:
    res = anon_client.get(path)
    assert res.status_code == 200, res.content
    assert res["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(res.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_the_feed_lists_the_users_sessions_in_utc_and_needs_no_login(api, anon_client, coach, customer):
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    booked = services.session_book_scheduled(
        customer=customer, appointment_id=AppointmentFactory(coach=coach, start=start).id
    )
    cancelled = services.session_book_scheduled(
        customer=customer, appointment_id=AppointmentFactory(coach=coach, start=start + timedelta(hours=3)).id
    )
    services.session_cancel(session=cancelled, actor=customer, reason="ill")
    old = SessionFactory(customer=customer, appointment__start=timezone.now() - timedelta(days=120), status="COMPLETED")
    SessionFactory()  # somebody else's

    got = events(anon_client, feed_path(api(customer)))

    assert set(got) == {f"{booked.pk}@testserver", f"{cancelled.pk}@testserver"}  # 120 days ago: out
    assert f"{old.pk}@testserver" not in got
    event = got[f"{booked.pk}@testserver"]
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTSTART").tzinfo.utcoffset(None) == timedelta(0)
    assert event.decoded("DTEND") == start + timedelta(minutes=60)
    assert str(event["SUMMARY"]) == f"Coaching session with {coach.first_name} {coach.last_name}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(got[f"{cancelled.pk}@testserver"]["STATUS"]) == "CANCELLED"
    assert int(got[f"{cancelled.pk}@testserver"]["SEQUENCE"]) > int(event["SEQUENCE"])
    # The coach's feed names the customer.
    coach_events = events(anon_client, feed_path(api(coach)))
    assert str(coach_events[f"{booked.pk}@testserver"]["SUMMARY"]).endswith(customer.last_name)


def test_sequence_grows_with_every_change_and_the_uid_stays(api, anon_client, coach, customer):
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    session = services.session_book_scheduled(
        customer=customer, appointment_id=AppointmentFactory(coach=coach, start=start).id
    )
    path = feed_path(api(customer))
    uid = f"{session.pk}@testserver"
    first = int(events(anon_client, path)[uid]["SEQUENCE"])

    later = AppointmentFactory(coach=coach, start=start + timedelta(hours=5))
    services.session_reschedule(session=session, actor=customer, appointment_id=later.id)
    moved = events(anon_client, path)[uid]
    services.session_cancel(session=session, actor=coach)
    gone = events(anon_client, path)[uid]

    assert first < int(moved["SEQUENCE"]) < int(gone["SEQUENCE"])
    assert moved.decoded("DTSTART") == (start + timedelta(hours=5)).astimezone(UTC)
    assert str(gone["STATUS"]) == "CANCELLED"


def test_the_url_is_stable_until_rotated_then_the_old_one_is_404(api, anon_client, customer):
    client = api(customer)
    path = feed_path(client)
    assert feed_path(client) == path
    assert anon_client.get(path).status_code == 200

    res = client.post("/api/v1/me/calendar/rotate")

    assert res.status_code == 200
    new_path = res.json()["url"].removeprefix("http://testserver")
    assert new_path != path
    assert anon_client.get(path).status_code == 404
    assert anon_client.get(new_path).status_code == 200
    assert feed_path(client) == new_path


def test_the_token_is_stored_only_as_a_hash(api, customer):
    path = feed_path(api(customer))
    token = path.removeprefix("/api/v1/calendar/").removesuffix(".ics")
    assert len(token) >= 43
    feed = CalendarFeed.objects.get(user=customer)
    assert token not in (feed.token_hash, feed.nonce)
    assert not CalendarFeed.objects.filter(token_hash=token).exists()


def test_unknown_and_malformed_tokens_are_404(anon_client):
    assert anon_client.get("/api/v1/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert anon_client.get("/api/v1/calendar/short.ics").status_code == 404
    assert anon_client.get("/api/v1/calendar/" + "A" * 43).status_code == 404


def test_getting_the_calendar_url_needs_a_login(anon_client):
    assert anon_client.get("/api/v1/me/calendar").status_code == 401
    assert anon_client.post("/api/v1/me/calendar/rotate").status_code == 401
