"""SPEC 10: the data export, end to end through the API, on the local disk and on S3 (moto)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from django.core.files.storage import default_storage, storages
from django.utils import timezone

from privacy import services
from privacy.models import DataExport
from tests.helpers.privacy import build_world, open_zip

pytestmark = pytest.mark.django_db

FILES = {
    "profile.json",
    "sessions.json",
    "messages.json",
    "ratings.json",
    "recordings.json",
    "devices.json",
    "notifications.json",
}


def _request_export(client, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):  # the build task runs after the commit
        res = client.post("/api/v1/me/export")
    assert res.status_code == 202, res.json()
    body = res.json()
    assert set(body) == {"id", "status", "created_at"}
    assert body["status"] == "PENDING"
    return body


def _download(client, url: str) -> bytes:
    if url.startswith("http"):
        res = requests.get(url, timeout=10)
        assert res.status_code == 200, res.text
        return res.content
    res = client.get(url)
    assert res.status_code == 200
    assert res["Content-Type"] == "application/zip"
    return b"".join(res.streaming_content)


def _check_zip(world, data: bytes) -> dict:
    archive = open_zip(data)
    names = set(archive.namelist())
    media = {n for n in names if n.startswith("media/")}
    assert names - media == FILES
    parts = {name: json.loads(archive.read(name)) for name in FILES}
    everything = b"".join(archive.read(n) for n in names).decode("latin-1")

    customer, coach = world.customer, world.coach
    profile = parts["profile.json"]
    assert profile["email"] == customer.email
    assert profile["first_name"] == customer.first_name
    assert profile["coach_profile"] is None

    sessions = {s["id"]: s for s in parts["sessions.json"]}
    assert set(sessions) == {str(world.done.pk), str(world.pending.pk)}
    done = sessions[str(world.done.pk)]
    assert done["your_role"] == "customer"
    assert done["other_participant"] == {
        "id": str(coach.pk),
        "first_name": coach.first_name,
        "last_name": coach.last_name,
    }
    assert done["price"] == "60.00" and done["status"] == "COMPLETED"
    assert [log["action"] for log in done["logs"]][:2] == ["STARTED", "ENTERED"]
    assert {log["actor"] for log in done["logs"]} <= {"you", "coach", "system"}
    assert done["report"]["coach_summary"] == "Good base fitness"

    (chat,) = parts["messages.json"]
    assert chat["session_id"] == str(world.done.pk)
    texts = [(m["sender"], m["text"]) for m in chat["messages"]]
    assert texts == [
        ("you", "Here is my training log"),
        ("you", "And my question about tempo runs"),
        ("coach", "Look at this plan"),
    ]
    my_file = chat["messages"][0]["media"]["file"]
    assert my_file.startswith("media/") and my_file in media
    with default_storage.open(world.customer_media[0], "rb") as stored:
        assert archive.read(my_file) == stored.read()
    assert chat["messages"][2]["media"]["file"] is None  # the coach's file is theirs: not copied
    assert len(media) == 1

    ratings = parts["ratings.json"]
    assert [(r["overall"], r["status"]) for r in ratings["given"]] == [(5, "APPROVED")]
    assert [r["feedback"] for r in ratings["received"]] == ["Well prepared customer."]

    (recording,) = parts["recordings.json"]
    assert recording["id"] == str(world.recording.pk) and recording["status"] == "AVAILABLE"
    assert [(d["platform"], d["token"]) for d in parts["devices.json"]] == [("ios", "tok-customer-1")]
    mine = [n for n in parts["notifications.json"] if n["title"] == "Booked"]
    assert len(mine) == 1 and mine[0]["data"] == {"session_id": str(world.pending.pk)}

    # Nothing of other people beyond what the customer saw, and no secret of the call.
    for leaked in (
        coach.email,
        world.outsider.email,
        world.outsider.first_name,
        "Outsider private words",
        "tok-outsider-1",
        "Outsider notice",
        "Coach to outsider",
        "The outsider's opinion here.",
        str(world.foreign.pk),
        world.key["key"],
        world.key["salt"],
        world.done.channel_name,
        coach.password,
        customer.password,
    ):
        assert leaked not in everything, leaked
    return parts


def test_export_end_to_end_on_the_local_disk(api, coach, customer, django_capture_on_commit_callbacks):
    world = build_world(api, coach, customer)
    client = api(customer)
    created = _request_export(client, django_capture_on_commit_callbacks)

    res = client.get("/api/v1/me/export")
    assert res.status_code == 200
    body = res.json()
    assert body["id"] == created["id"] and body["status"] == "READY"
    assert body["ready_at"] and body["expires_at"]
    assert body["url"].startswith("/api/v1/me/export/files/")
    _check_zip(world, _download(client, body["url"]))
    export = DataExport.objects.get(pk=created["id"])
    assert default_storage.exists(export.file_name)
    assert export.expires_at - export.ready_at == timedelta(hours=72)


def test_export_end_to_end_on_s3(api, coach, customer, s3_storage, django_capture_on_commit_callbacks):
    world = build_world(api, coach, customer)
    client = api(customer)
    created = _request_export(client, django_capture_on_commit_callbacks)
    body = client.get("/api/v1/me/export").json()
    assert body["status"] == "READY"
    assert body["url"].startswith("http") and "X-Amz-Signature" in body["url"]
    _check_zip(world, _download(client, body["url"]))  # through the gateway that checks presigning
    export = DataExport.objects.get(pk=created["id"])
    keys = [o["Key"] for o in s3_storage.list_objects_v2(Bucket=s3_storage.bucket).get("Contents", [])]
    assert export.file_name in keys


def test_a_second_export_within_a_day_is_429_with_retry_after(api, customer, django_capture_on_commit_callbacks):
    client = api(customer)
    _request_export(client, django_capture_on_commit_callbacks)
    res = client.post("/api/v1/me/export")
    assert res.status_code == 429
    assert res.json()["error"]["code"] == "throttled"
    assert 23 * 3600 < int(res["Retry-After"]) <= 24 * 3600 + 1
    assert DataExport.objects.filter(user=customer).count() == 1


def test_a_failed_export_does_not_block_the_next_one(api, customer):
    DataExport.objects.create(user=customer, status=DataExport.Status.FAILED)
    assert api(customer).post("/api/v1/me/export").status_code == 202


def test_no_export_yet_is_404_and_a_pending_one_has_no_url(api, customer):
    client = api(customer)
    assert client.get("/api/v1/me/export").status_code == 404
    client.post("/api/v1/me/export")  # without running the on-commit task: stays PENDING
    body = client.get("/api/v1/me/export").json()
    assert body["status"] == "PENDING" and body["url"] is None


def test_an_export_is_only_for_its_owner(api, customer, outsider, django_capture_on_commit_callbacks):
    _request_export(api(customer), django_capture_on_commit_callbacks)
    assert api(outsider).get("/api/v1/me/export").status_code == 404


def test_the_retention_job_deletes_the_file_and_the_link_stops(api, customer, django_capture_on_commit_callbacks):
    client = api(customer)
    _request_export(client, django_capture_on_commit_callbacks)
    url = client.get("/api/v1/me/export").json()["url"]
    export = DataExport.objects.get(user=customer)

    # Not yet: a run before the end of retention changes nothing.
    assert services.data_exports_sweep(now=export.expires_at - timedelta(minutes=1)) == {"expired": 0, "built": 0}
    assert default_storage.exists(export.file_name)

    result = services.data_exports_sweep(now=export.expires_at + timedelta(seconds=1))
    assert result["expired"] == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED and export.deleted_at
    assert not default_storage.exists(export.file_name)
    body = client.get("/api/v1/me/export").json()
    assert body["status"] == "EXPIRED" and body["url"] is None
    assert client.get(url).status_code == 403
    # A second run has nothing left to do.
    assert services.data_exports_sweep(now=export.expires_at + timedelta(hours=1))["expired"] == 0


def test_a_signed_link_lapses_and_cannot_be_forged(api, customer, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_URL_TTL_SECONDS = 1
    client = api(customer)
    _request_export(client, django_capture_on_commit_callbacks)
    url = client.get("/api/v1/me/export").json()["url"]
    assert client.get(url[:-3] + "abc").status_code == 403
    import time

    time.sleep(2.1)
    assert client.get(url).status_code == 403


def test_a_lost_build_task_is_picked_up_by_the_sweep(api, customer):
    api(customer).post("/api/v1/me/export")  # the on-commit task never runs
    export = DataExport.objects.get(user=customer)
    assert services.data_exports_sweep(now=timezone.now())["built"] == 0  # too recent: maybe still queued
    result = services.data_exports_sweep(now=timezone.now() + timedelta(minutes=6))
    assert result["built"] == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY
    assert storages["default"].exists(export.file_name)
    # Run twice: the claim makes the second build a no-op.
    assert services.data_export_build(export_id=export.pk).file_name == export.file_name
