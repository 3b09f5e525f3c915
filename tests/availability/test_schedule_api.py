"""PUT/GET coach/schedule and coach/time-off: the contract, the publisher's promises, permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from availability.models import TimeOff, WeeklyRule
from availability.services import schedule_publish
from sessions_app import services as session_services
from sessions_app.models import Appointment, Session
from tests.factories import AppointmentFactory, CoachFactory, SessionFactory

pytestmark = pytest.mark.django_db

MORNINGS = [{"weekday": d, "start": "09:00", "end": "12:00", "duration_minutes": 60} for d in range(5)]


def put_schedule(client, **body):
    payload = {"timezone": "Europe/Berlin", "rules": MORNINGS, **body}
    return client.put("/api/v1/coach/schedule", payload, format="json")


def schedule_slots(coach):
    return Appointment.objects.filter(coach=coach, source=Appointment.Source.SCHEDULE)


def test_put_schedule_publishes_the_horizon_in_the_coach_zone(api, coach):
    res = put_schedule(api(coach), buffer_after_minutes=15, max_sessions_per_day=4, booking_horizon_days=14)

    assert res.status_code == 200, res.content
    body = res.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["rules"][0] == {"weekday": 0, "start": "09:00", "end": "12:00", "duration_minutes": 60}
    assert (body["buffer_before_minutes"], body["buffer_after_minutes"]) == (0, 15)
    assert (body["max_sessions_per_day"], body["booking_horizon_days"]) == (4, 14)
    coach.refresh_from_db()
    assert coach.timezone == "Europe/Berlin"
    assert coach.coach_profile.buffer_after_minutes == 15
    slots = list(schedule_slots(coach))
    assert body["published"] == {"created": len(slots), "withdrawn": 0}
    # 14 days: two weeks of 5 mornings x 3 slots, give or take the partial days at both ends.
    assert 24 <= len(slots) <= 33
    berlin = ZoneInfo("Europe/Berlin")
    assert {s.start.astimezone(berlin).strftime("%H:%M") for s in slots} == {"09:00", "10:00", "11:00"}
    assert all(s.start.astimezone(berlin).weekday() < 5 for s in slots)
    now = timezone.now()
    assert all(now < s.start <= now + timedelta(days=14) for s in slots)

    again = api(coach).get("/api/v1/coach/schedule").json()
    assert again["rules"] == body["rules"] and "published" not in again


def test_putting_the_same_schedule_again_publishes_nothing(api, coach):
    client = api(coach)
    put_schedule(client)
    ids = set(schedule_slots(coach).values_list("id", flat=True))

    res = put_schedule(client)

    assert res.json()["published"] == {"created": 0, "withdrawn": 0}
    assert set(schedule_slots(coach).values_list("id", flat=True)) == ids
    call_command("publish_schedules")
    assert set(schedule_slots(coach).values_list("id", flat=True)) == ids


def test_new_rules_withdraw_free_old_slots_but_keep_booked_and_one_off_ones(api, coach, customer):
    client = api(coach)
    put_schedule(client)
    booked_slot = schedule_slots(coach).order_by("start")[3]
    session = session_services.session_book_scheduled(customer=customer, appointment_id=booked_slot.id)
    one_off = client.post(
        "/api/v1/coach/appointments",
        {"start": (timezone.now() + timedelta(days=3)).replace(hour=20, minute=0).isoformat(), "duration_minutes": 30},
        format="json",
    )
    assert one_off.status_code == 201, one_off.content

    res = put_schedule(client, rules=[{"weekday": 5, "start": "14:00", "end": "16:00", "duration_minutes": 30}])

    assert res.status_code == 200
    assert res.json()["published"]["withdrawn"] > 0
    left = schedule_slots(coach)
    berlin = ZoneInfo("Europe/Berlin")
    assert {s.start.astimezone(berlin).weekday() for s in left.exclude(pk=booked_slot.pk)} == {5}
    assert left.filter(pk=booked_slot.pk).exists()  # booked: never touched
    assert Appointment.objects.filter(pk=one_off.json()["id"]).exists()  # one-off: stays
    session.refresh_from_db()
    assert session.status == Session.Status.PENDING and session.appointment_id == booked_slot.pk


def test_an_empty_rule_list_withdraws_every_free_schedule_slot(api, coach):
    client = api(coach)
    put_schedule(client)
    assert schedule_slots(coach).exists()
    res = put_schedule(client, rules=[])
    assert res.status_code == 200
    assert not schedule_slots(coach).exists()
    assert not WeeklyRule.objects.filter(coach=coach).exists()


def test_overlapping_rules_of_one_weekday_are_400_and_change_nothing(api, coach):
    client = api(coach)
    put_schedule(client)
    before = set(schedule_slots(coach).values_list("id", flat=True))
    rules = [
        {"weekday": 2, "start": "09:00", "end": "12:00", "duration_minutes": 60},
        {"weekday": 2, "start": "11:00", "end": "13:00", "duration_minutes": 60},
    ]
    res = put_schedule(client, rules=rules)
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "validation_error"
    assert "rules" in res.json()["error"]["fields"]
    assert set(schedule_slots(coach).values_list("id", flat=True)) == before
    assert WeeklyRule.objects.filter(coach=coach).count() == len(MORNINGS)


def test_touching_rules_and_a_rule_ending_at_midnight_are_fine(api, coach):
    rules = [
        {"weekday": 2, "start": "09:00", "end": "12:00", "duration_minutes": 60},
        {"weekday": 2, "start": "12:00", "end": "13:00", "duration_minutes": 30},
        {"weekday": 3, "start": "23:00", "end": "24:00", "duration_minutes": 60},
    ]
    assert put_schedule(api(coach), rules=rules).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"rules": [{"weekday": 7, "start": "09:00", "end": "10:00", "duration_minutes": 60}]}, "rules"),
        ({"rules": [{"weekday": 1, "start": "9am", "end": "10:00", "duration_minutes": 60}]}, "rules"),
        ({"rules": [{"weekday": 1, "start": "10:00", "end": "09:00", "duration_minutes": 60}]}, "rules"),
        ({"rules": [{"weekday": 1, "start": "09:00", "end": "10:00", "duration_minutes": 45}]}, "rules"),
        ({"rules": [{"weekday": 1, "start": "09:00", "end": "09:30", "duration_minutes": 60}]}, "rules"),
        ({"buffer_before_minutes": -5}, "buffer_before_minutes"),
        ({"buffer_after_minutes": 241}, "buffer_after_minutes"),
        ({"max_sessions_per_day": 0}, "max_sessions_per_day"),
        ({"booking_horizon_days": 0}, "booking_horizon_days"),
    ],
)
def test_bad_schedules_are_400(api, coach, body, field):
    res = put_schedule(api(coach), **body)
    assert res.status_code == 400, res.content
    assert any(key.split(".")[0] == field for key in res.json()["error"]["fields"]), res.json()
    assert not WeeklyRule.objects.filter(coach=coach).exists()


def test_only_coaches_have_a_schedule(api, customer):
    client = api(customer)
    assert client.get("/api/v1/coach/schedule").status_code == 403
    assert put_schedule(client).status_code == 403
    assert client.get("/api/v1/coach/time-off").status_code == 403


def test_an_unverified_coach_may_read_but_not_put_a_schedule(api):
    coach = CoachFactory(coach_profile__is_verified=False)
    client = api(coach)
    assert client.get("/api/v1/coach/schedule").status_code == 200
    res = put_schedule(client)
    assert res.status_code == 403
    assert res.json()["error"]["code"] == "permission_denied"
    assert not WeeklyRule.objects.filter(coach=coach).exists()
    assert not Appointment.objects.filter(coach=coach).exists()


def test_time_off_withdraws_free_slots_reports_booked_ones_and_blocks_publishing(api, coach, customer):
    client = api(coach)
    put_schedule(client)
    slots = list(schedule_slots(coach).order_by("start"))
    booked = slots[4]
    session = session_services.session_book_scheduled(customer=customer, appointment_id=booked.id)
    start, end = slots[2].start, booked.end + timedelta(hours=2)
    inside = [s.pk for s in slots if s.start < end and s.end > start and s.pk != booked.pk]

    res = client.post(
        "/api/v1/coach/time-off",
        {"start": start.isoformat(), "end": end.isoformat(), "reason": "dentist"},
        format="json",
    )

    assert res.status_code == 201, res.content
    body = res.json()
    assert body["reason"] == "dentist"
    assert [c["id"] for c in body["conflicts"]] == [str(session.pk)]
    assert not Appointment.objects.filter(pk__in=inside).exists()
    assert Appointment.objects.filter(pk=booked.pk).exists()
    # The daily job does not publish into it again.
    assert schedule_publish(coach_ids=[coach.pk]).created == 0
    listed = client.get("/api/v1/coach/time-off").json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert [c["id"] for c in listed[0]["conflicts"]] == [str(session.pk)]

    assert client.delete(f"/api/v1/coach/time-off/{body['id']}").status_code == 204
    assert not TimeOff.objects.exists()
    assert schedule_slots(coach).count() == len(slots)  # published again at once


def test_time_off_of_another_coach_is_404(api, coach, other_coach):
    start = timezone.now() + timedelta(days=2)
    time_off = TimeOff.objects.create(coach=other_coach, start=start, end=start + timedelta(hours=3))
    assert api(coach).delete(f"/api/v1/coach/time-off/{time_off.pk}").status_code == 404
    assert api(coach).get("/api/v1/coach/time-off").json()["results"] == []
    assert TimeOff.objects.filter(pk=time_off.pk).exists()


def test_time_off_must_end_after_it_starts_and_in_the_future(api, coach):
    client = api(coach)
    now = timezone.now()
    for start, end in [
        (now + timedelta(hours=3), now + timedelta(hours=2)),
        (now - timedelta(days=2), now - timedelta(days=1)),
    ]:
        res = client.post("/api/v1/coach/time-off", {"start": start.isoformat(), "end": end.isoformat()}, format="json")
        assert res.status_code == 400
    assert not TimeOff.objects.exists()


def test_publishing_keeps_out_of_a_sessions_buffered_time(coach, customer):
    """A one-off session at 12:00-13:00 Berlin with a 60-minute after-buffer: the rule's 13:00 slot
    would sit in that break, and is not published; 14:00 is."""
    from availability.services import Rule, Schedule, schedule_replace

    now = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # a Monday
    slot = AppointmentFactory(coach=coach, start=datetime(2026, 6, 3, 10, 0, tzinfo=UTC))  # Wed 12:00 Berlin
    SessionFactory(appointment=slot, customer=customer, buffer_after_minutes=60)
    schedule = Schedule("Europe/Berlin", [Rule(2, 13 * 60, 15 * 60, 60)], 0, 0, None, 7)

    schedule_replace(coach=coach, schedule=schedule, now=now)

    starts = sorted(schedule_slots(coach).values_list("start", flat=True))
    assert starts == [datetime(2026, 6, 3, 12, 0, tzinfo=UTC)]  # 14:00 Berlin only


def test_a_booking_buffer_keeps_the_next_slot_out_until_the_session_is_cancelled(
    api, coach, customer, django_capture_on_commit_callbacks
):
    client = api(coach)
    put_schedule(client, buffer_after_minutes=30)
    first = schedule_slots(coach).order_by("start").first()
    following = schedule_slots(coach).get(start=first.end)
    session = session_services.session_book_scheduled(customer=customer, appointment_id=first.id)

    # The next run withdraws the slot inside the new session's break (the free list hid it already).
    assert schedule_publish(coach_ids=[coach.pk]).withdrawn == 1
    assert not Appointment.objects.filter(pk=following.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_cancel(session=session, actor=customer)

    # The cancellation republished the coach at once: the slot is back (a new row, same time).
    assert schedule_slots(coach).filter(start=following.start, end=following.end).exists()


def test_slots_show_where_they_came_from(api, coach, customer):
    client = api(coach)
    put_schedule(client)
    listed = api(customer).get(f"/api/v1/coaches/{coach.pk}/appointments").json()["results"]
    assert listed and {a["source"] for a in listed} == {"schedule"}
