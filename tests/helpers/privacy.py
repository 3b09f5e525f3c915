"""A small world for the export and erasure tests, made through the API and the services."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat.models import Message
from notifications.models import Notification
from ratings.models import Rating
from ratings.services import rating_recompute_for_coach
from recordings.models import Recording, RecordingFile
from sessions_app import services as session_services
from sessions_app.models import Session, SessionReport
from tests.chat import files
from tests.factories import CustomerFactory, RatingFactory, RecordingFactory, SessionFactory
from tests.helpers.mp4 import MINIMAL_MP4


@dataclass
class World:
    coach: object
    customer: object
    outsider: object
    done: Session  # completed, coach + customer: chat both ways, report, ratings, a recording
    pending: Session  # coach + customer, in the future
    foreign: Session  # completed, coach + outsider: nothing of it may reach the customer
    customer_media: list[str] = field(default_factory=list)
    coach_media: list[str] = field(default_factory=list)
    recording: Recording | None = None
    recording_file: str = ""
    key: dict = field(default_factory=dict)


def _send(client, session, *, text: str = "", image: bytes | None = None) -> dict:
    data = {"text": text} if text else {}
    if image is not None:
        data["file"] = SimpleUploadedFile("pic.png", image, content_type="image/png")
    res = client.post(f"/api/v1/sessions/{session.id}/messages", data, format="multipart")
    assert res.status_code == 201, res.json()
    return res.json()


def _live(coach, customer, *, hours_ago: int) -> Session:
    start = (timezone.now() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    return SessionFactory(
        appointment__coach=coach,
        appointment__start=start,
        customer=customer,
        status=Session.Status.IN_PROGRESS,
        started_at=start,
        topic="Marathon pacing",
    )


def build_world(api, coach, customer, *, agora_settings=None) -> World:
    outsider = CustomerFactory(first_name="Olga", last_name="Outsider")
    # The call: start-call makes the session's media key (which must never reach an export).
    done = SessionFactory(
        appointment__coach=coach,
        appointment__start=(timezone.now() - timedelta(minutes=2)).replace(second=0, microsecond=0),
        customer=customer,
        topic="Marathon pacing",
    )
    key = api(customer).post(f"/api/v1/sessions/{done.id}/start-call").json()["encryption"]
    api(coach).post(f"/api/v1/sessions/{done.id}/start-call")
    customer_client, coach_client = api(customer), api(coach)
    mine = _send(customer_client, done, text="Here is my training log", image=files.png())
    _send(customer_client, done, text="And my question about tempo runs")
    theirs = _send(coach_client, done, text="Look at this plan", image=files.png(size=(40, 30)))
    session_services.session_complete(session=done, actor=coach, reason="done")
    SessionReport.objects.create(
        session=done, coach_summary="Good base fitness", coach_recommendations=["Tempo run"], customer_notes="Fun"
    )
    given = RatingFactory(session=done, status=Rating.Status.APPROVED, overall=5, feedback="Great coach, very clear.")
    received = RatingFactory(
        session=done,
        rater=coach,
        ratee=customer,
        rater_role="coach",
        status=Rating.Status.APPROVED,
        scores={"punctuality": 5, "engagement": 4, "preparation": 4},
        feedback="Well prepared customer.",
    )
    rating_recompute_for_coach(coach_id=coach.pk)
    recording = RecordingFactory(session=done, file_prefix=f"recordings/{done.pk.hex}/r1")
    name = storages["recordings"].save(f"recordings/{done.pk.hex}/r1/main.mp4", ContentFile(MINIMAL_MP4))
    RecordingFile.objects.create(recording=recording, name=name, size_bytes=len(MINIMAL_MP4))

    foreign = _live(coach, outsider, hours_ago=5)
    _send(api(outsider), foreign, text="Outsider private words", image=files.png(size=(20, 20)))
    _send(api(coach), foreign, text="Coach to outsider")
    session_services.session_complete(session=foreign, actor=coach, reason="done")
    RatingFactory(session=foreign, status=Rating.Status.APPROVED, overall=2, feedback="The outsider's opinion here.")
    rating_recompute_for_coach(coach_id=coach.pk)

    pending = SessionFactory(appointment__coach=coach, customer=customer)  # tomorrow
    # Push devices and a notification each: only the customer's may reach the customer's export.
    assert (
        api(customer)
        .post("/api/v1/me/devices", {"platform": "ios", "token": "tok-customer-1"}, format="json")
        .status_code
        == 201
    )
    assert (
        api(outsider)
        .post("/api/v1/me/devices", {"platform": "android", "token": "tok-outsider-1"}, format="json")
        .status_code
        == 201
    )
    Notification.objects.create(
        recipient=customer,
        kind="session_booked",
        title="Booked",
        body="Your session",
        data={"session_id": str(pending.pk)},
    )
    Notification.objects.create(
        recipient=outsider, kind="session_booked", title="Olga's booking", body="Outsider notice"
    )

    world = World(coach=coach, customer=customer, outsider=outsider, done=done, pending=pending, foreign=foreign)
    world.customer_media = [Message.objects.get(pk=mine["id"]).media.name]
    world.coach_media = [Message.objects.get(pk=theirs["id"]).media.name]
    world.recording = recording
    world.recording_file = name
    world.key = key
    world.given_rating, world.received_rating = given, received
    return world


def open_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))
