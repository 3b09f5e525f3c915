"""Each SPEC 7 change writes its event, in the service's transaction, with the SPEC's data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.services import coach_verify
from events.models import Event
from ratings import services as ratings
from recordings import services as recordings
from recordings.models import Recording, RecordingFile
from recordings.services.files import recording_finish_if_ready
from sessions_app import services as sessions
from sessions_app.models import Session
from tests.factories import AppointmentFactory, CoachFactory, RatingFactory, RecordingFactory, SessionFactory
from tests.helpers.mp4 import MINIMAL_MP4
from tests.helpers.sessions import book_open_session

pytestmark = pytest.mark.django_db


def only(type: str) -> Event:
    (event,) = Event.objects.filter(type=type)
    return event


def _in(hours: float):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def test_booking_through_the_api_emits_session_booked_with_the_session_as_answered(api, coach, customer):
    appointment = AppointmentFactory(coach=coach, start=_in(3))
    res = api(customer).post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(appointment.id)}, format="json"
    )
    assert res.status_code == 201
    event = only("session.booked")
    assert event.data == {"session": res.json(), "actor": {"id": str(customer.id), "role": "customer"}, "previous": {}}
    assert event.session_id == Session.objects.get().pk


def test_reschedule_emits_the_previous_slot(api, coach, customer):
    first = AppointmentFactory(coach=coach, start=_in(30))
    second = AppointmentFactory(coach=coach, start=_in(36))
    client = api(customer)
    session_id = client.post(
        "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(first.id)}, format="json"
    ).json()["id"]
    res = client.patch(f"/api/v1/sessions/{session_id}", {"appointment_id": str(second.id)}, format="json")
    assert res.status_code == 200, res.json()

    event = only("session.rescheduled")
    assert event.data["session"]["appointment_id"] == str(second.id)
    assert event.data["session"]["scheduled_start"] == res.json()["scheduled_start"]
    assert event.data["previous"] == {
        "appointment_id": str(first.id),
        "scheduled_start": first.start.isoformat().replace("+00:00", "Z"),
        "scheduled_end": first.end.isoformat().replace("+00:00", "Z"),
    }
    assert event.data["actor"] == {"id": str(customer.id), "role": "customer"}


def test_the_lifecycle_emits_started_end_requested_declined_completed(coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    session = sessions.session_start_call(session=session, actor=customer).session
    session = sessions.session_request_end(session=session, actor=coach)
    session = sessions.session_decline_end(session=session, actor=customer)
    session = sessions.session_request_end(session=session, actor=customer)
    sessions.session_request_end(session=session, actor=coach)

    types = list(Event.objects.order_by("created_at").values_list("type", flat=True))
    assert types == [
        "session.booked",
        "session.started",
        "session.end_requested",
        "session.end_declined",
        "session.end_requested",
        "session.completed",
    ]
    started = only("session.started")
    assert started.data["previous"] == {"status": "PENDING"}
    assert started.data["session"]["status"] == "IN_PROGRESS" and started.data["session"]["started_at"]
    declined = only("session.end_declined")
    assert declined.data["previous"] == {"status": "END_REQUEST_PENDING", "end_requested_by": str(coach.id)}
    assert declined.data["session"]["end_requested_by"] is None
    assert declined.data["actor"] == {"id": str(customer.id), "role": "customer"}
    completed = only("session.completed")
    assert completed.data["previous"] == {"status": "END_REQUEST_PENDING"}
    assert completed.data["session"]["status"] == "COMPLETED"
    assert completed.data["actor"] == {"id": str(coach.id), "role": "coach"}


def test_a_no_show_cancelled_by_the_periodic_job_has_no_actor(coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    sessions.sessions_close_stale(now=session.scheduled_end + timedelta(minutes=1))
    event = only("session.cancelled")
    assert event.data["actor"] is None
    assert event.data["previous"] == {"status": "PENDING"}
    assert event.data["session"]["status"] == "CANCELLED" and event.data["session"]["cancel_reason"] == "NO_SHOW"


def test_staff_cancel_names_the_staff_actor(coach, customer, staff):
    session = book_open_session(coach=coach, customer=customer)
    sessions.session_cancel(session=session, actor=staff, reason="coach ill")
    assert only("session.cancelled").data["actor"] == {"id": str(staff.id), "role": "staff"}


def test_a_refused_move_and_a_rolled_back_booking_emit_nothing(coach, customer):
    session = book_open_session(coach=coach, customer=customer)
    Event.objects.all().delete()
    with pytest.raises(Exception, match="needs"):
        sessions.session_request_end(session=session, actor=customer)  # not started: invalid_state
    appointment = AppointmentFactory(coach=coach, start=_in(30))
    with pytest.raises(RuntimeError), transaction.atomic():
        sessions.session_book_scheduled(customer=customer, appointment_id=appointment.id)
        assert Event.objects.filter(type="session.booked").count() == 1
        raise RuntimeError("the request failed after the booking")
    assert not Event.objects.exists()


def test_an_imported_recording_emits_recording_available(coach, tmp_path):
    session = SessionFactory(appointment__coach=coach, status=Session.Status.COMPLETED, ended_at=timezone.now())
    path = tmp_path / "call.mp4"
    path.write_bytes(MINIMAL_MP4)
    with path.open("rb") as fileobj:
        recording = recordings.recording_import(session=session, fileobj=fileobj)
    event = only("recording.available")
    assert event.data["session_id"] == str(session.id)
    assert event.data["recording"]["id"] == str(recording.id)
    assert event.data["recording"]["status"] == "AVAILABLE"
    assert event.data["recording"]["available_until"].endswith("Z")


def test_an_uploaded_recording_that_becomes_available_emits_once():
    recording = RecordingFactory(status="PROCESSING", upload_completed=True)
    RecordingFile.objects.create(recording=recording, name="recordings/x/a_0.mp4", duration_seconds=60)
    assert recording_finish_if_ready(recording_id=recording.pk)
    assert not recording_finish_if_ready(recording_id=recording.pk)  # already AVAILABLE
    assert only("recording.available").data["recording"]["duration_seconds"] == 60


def test_expiry_emits_recording_expired_per_recording():
    session = SessionFactory(status=Session.Status.COMPLETED, ended_at=timezone.now() - timedelta(days=31))
    Recording.objects.bulk_create(
        [Recording(session=session, status="AVAILABLE", recorder_uid=i + 1) for i in range(3)]
    )
    assert recordings.recordings_expire_due().expired == 3
    events = Event.objects.filter(type="recording.expired")
    assert events.count() == 3
    assert {e.data["recording"]["status"] for e in events} == {"EXPIRED"}
    assert {e.data["session_id"] for e in events} == {str(session.id)}


def test_approved_ratings_emit_rating_published():
    rating = RatingFactory(status="PENDING", feedback="Clear and kind.")
    ratings.rating_auto_moderate(rating_id=rating.pk)
    event = only("rating.published")
    assert event.data["coach_id"] == str(rating.session.coach_id)
    assert event.data["rating"]["id"] == str(rating.id)
    assert event.data["rating"]["status"] == "APPROVED"
    assert event.data["rating"]["rater"] == {"first_name": rating.rater.first_name}


def test_a_moderator_approving_a_flagged_rating_publishes_it(staff):
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="moderate_rating"))
    staff = type(staff).objects.get(pk=staff.pk)
    rating = RatingFactory(status="FLAGGED")
    ratings.rating_approve(rating=rating, moderator=staff)
    assert only("rating.published").data["rating"]["status"] == "APPROVED"
    ratings.rating_reject(rating=rating, moderator=staff, reason="spam")
    assert Event.objects.filter(type="rating.published").count() == 1


def test_verifying_a_coach_emits_coach_verified_once():
    coach = CoachFactory(coach_profile__is_verified=False, coach_profile__verified_at=None)
    assert coach_verify(coach=coach)
    assert not coach_verify(coach=coach)
    assert only("coach.verified").data == {"coach_id": str(coach.id)}
