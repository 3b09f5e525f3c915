"""SPEC 10: erasure through DELETE me and manage.py erase_user, on the local disk and on S3."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage, storages
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import CoachProfile, User
from chat.models import Message
from privacy import services
from privacy.models import DataExport, ErasureRecord, PendingDeletion
from ratings.models import Rating
from recordings.models import Recording
from sessions_app.models import Session
from tests.factories import PASSWORD
from tests.helpers.privacy import build_world

pytestmark = pytest.mark.django_db


def _login(anon_client, email: str, password: str = PASSWORD):
    return anon_client.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")


def _delete_me(client, password: str = PASSWORD, capture=None):
    if capture is None:
        return client.delete("/api/v1/me", {"password": password}, format="json")
    with capture(execute=True):
        return client.delete("/api/v1/me", {"password": password}, format="json")


def _export(client, capture) -> DataExport:
    with capture(execute=True):
        assert client.post("/api/v1/me/export").status_code == 202
    return DataExport.objects.filter(status=DataExport.Status.READY).latest("created_at")


def test_a_wrong_password_is_400_and_erases_nothing(api, customer):
    res = _delete_me(api(customer), password="not-my-password")
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "validation_error"
    assert "password" in res.json()["error"]["fields"]
    customer.refresh_from_db()
    assert customer.is_active and customer.first_name != "Deleted user"
    assert not ErasureRecord.objects.exists()


def test_a_missing_password_is_400(api, customer):
    res = api(customer).delete("/api/v1/me", {}, format="json")
    assert res.status_code == 400


def test_erasure_end_to_end_on_the_local_disk(api, anon_client, coach, customer, django_capture_on_commit_callbacks):
    world = build_world(api, coach, customer)
    client = api(customer)
    export = _export(client, django_capture_on_commit_callbacks)
    assert default_storage.exists(export.file_name)
    coach_before = CoachProfile.objects.get(pk=coach.pk)
    assert coach_before.rating_count == 2
    old_email = customer.email

    res = _delete_me(client, capture=django_capture_on_commit_callbacks)
    assert res.status_code == 204

    # Locked out: no login with the old address, the token used is dead, and every other one too.
    assert _login(anon_client, old_email).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    assert not AuthToken.objects.filter(user=customer).exists()
    customer.refresh_from_db()
    assert not customer.is_active and not customer.has_usable_password()
    assert customer.get_full_name() == "Deleted user"
    assert customer.email == f"deleted-{customer.pk.hex}@deleted.invalid"
    assert _login(anon_client, customer.email).status_code == 401

    # The pending session is cancelled as ACCOUNT_DELETED by the person; the past one is kept.
    world.pending.refresh_from_db()
    assert world.pending.status == Session.Status.CANCELLED
    assert world.pending.cancel_reason == "ACCOUNT_DELETED"
    assert world.pending.cancelled_by_id == customer.pk
    world.done.refresh_from_db()
    assert world.done.status == Session.Status.COMPLETED and str(world.done.price) == "60.00"

    # Files: the chat files the person sent, the recording, the export; the coach's file stays.
    assert not default_storage.exists(world.customer_media[0])
    assert default_storage.exists(world.coach_media[0])
    assert not storages["recordings"].exists(world.recording_file)
    world.recording.refresh_from_db()
    assert world.recording.status == Recording.Status.EXPIRED
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED and not default_storage.exists(export.file_name)
    assert not Message.objects.filter(sender=customer).exclude(media="").exists()

    # Ratings: the one given is no longer public and left the coach's average.
    world.given_rating.refresh_from_db()
    assert world.given_rating.status == Rating.Status.REJECTED and world.given_rating.feedback == ""
    profile = CoachProfile.objects.get(pk=coach.pk)
    assert profile.rating_count == 1 and str(profile.rating_average) == "2.00"
    public = api(world.outsider).get(f"/api/v1/coaches/{coach.pk}/ratings").json()["results"]
    assert [r["overall"] for r in public] == [2]

    # The audit: who asked, when, what was done.
    record = ErasureRecord.objects.get(user_ref=customer.pk)
    assert record.requested_by_id == customer.pk and record.source == ErasureRecord.Source.SELF
    assert record.completed_at is not None
    summary = record.summary
    assert summary["accounts.lock_out"]["tokens_revoked"] >= 1
    assert summary["sessions.pending"]["sessions_cancelled"] == 1
    assert summary["chat.media"] == {"chat_files_deleted": 1, "chat_files_deferred": 0}
    assert summary["recordings"] == {"recordings_expired": 1, "recordings_deferred": 0}
    assert summary["ratings.given"] == {"ratings_withdrawn": 1}
    assert summary["privacy.exports"] == {"exports_deleted": 1}
    assert old_email not in str(summary)


def test_the_other_participant_keeps_the_session_and_sees_a_deleted_user(api, coach, customer):
    world = build_world(api, coach, customer)
    services.user_erase(user=customer, actor=customer)

    coach_client = api(coach)
    session = coach_client.get(f"/api/v1/sessions/{world.done.pk}").json()
    assert session["customer"]["first_name"] == "Deleted user"
    assert session["customer"]["last_name"] == ""
    assert session["price"] == "60.00" and session["status"] == "COMPLETED"
    assert session["scheduled_start"] and session["started_at"]
    messages = coach_client.get(f"/api/v1/sessions/{world.done.pk}/messages").json()["results"]
    mine = [m for m in messages if m["sender"]["id"] == str(customer.pk)]
    assert [m["text"] for m in mine] == ["Here is my training log", "And my question about tempo runs"]
    assert all(m["media"] is None for m in mine)
    theirs = [m for m in messages if m["sender"]["id"] == str(coach.pk)]
    assert theirs[0]["media"] is not None  # the coach's own file is the coach's
    cancelled = coach_client.get(f"/api/v1/sessions/{world.pending.pk}").json()
    assert cancelled["status"] == "CANCELLED"
    logs = coach_client.get(f"/api/v1/sessions/{world.done.pk}/logs")
    assert logs.status_code == 200


def test_erasure_is_idempotent(api, coach, customer):
    world = build_world(api, coach, customer)
    services.user_erase(user=customer, actor=None, source=ErasureRecord.Source.STAFF)
    state = (
        User.objects.values().get(pk=customer.pk),
        list(Session.objects.order_by("pk").values("pk", "status", "cancel_reason")),
        list(Recording.objects.values("pk", "status")),
        list(Rating.objects.order_by("pk").values("pk", "status", "feedback")),
        CoachProfile.objects.values("rating_count", "rating_average").get(pk=coach.pk),
    )
    second = services.user_erase(user=customer, actor=None, source=ErasureRecord.Source.STAFF)
    assert (
        User.objects.values().get(pk=customer.pk),
        list(Session.objects.order_by("pk").values("pk", "status", "cancel_reason")),
        list(Recording.objects.values("pk", "status")),
        list(Rating.objects.order_by("pk").values("pk", "status", "feedback")),
        CoachProfile.objects.values("rating_count", "rating_average").get(pk=coach.pk),
    ) == state
    counts = [n for step, values in second.summary.items() if step != "pending_deletions" for n in values.values()]
    assert set(counts) == {0}
    assert ErasureRecord.objects.filter(user_ref=customer.pk).count() == 2
    assert world.pending.pk


def test_erase_user_command_erases_a_coach_and_unlists_them(api, coach, customer, outsider, staff):
    world = build_world(api, coach, customer)
    assert api(outsider).get(f"/api/v1/coaches/{coach.pk}").status_code == 200
    out = StringIO()
    call_command("erase_user", coach.email.upper(), "--requested-by", staff.email, stdout=out)
    assert "sessions_cancelled" in out.getvalue()

    profile = CoachProfile.objects.get(pk=coach.pk)
    assert profile.bio == "" and profile.categories == [] and not profile.is_verified
    assert profile.availability == CoachProfile.Availability.OFFLINE
    assert api(outsider).get(f"/api/v1/coaches/{coach.pk}").status_code == 404
    assert api(outsider).get(f"/api/v1/coaches/{coach.pk}/ratings").status_code == 404
    assert str(coach.pk) not in str(api(outsider).get("/api/v1/coaches").json())
    # Ratings about the deleted coach are no longer listed; the customer's own session stays.
    from ratings.selectors import rating_list_public_for_coach

    assert not rating_list_public_for_coach(coach_id=coach.pk).exists()
    world.pending.refresh_from_db()
    assert world.pending.status == Session.Status.CANCELLED
    assert api(customer).get(f"/api/v1/sessions/{world.done.pk}").json()["coach"]["first_name"] == "Deleted user"
    record = ErasureRecord.objects.get(user_ref=coach.pk)
    assert record.source == ErasureRecord.Source.STAFF and record.requested_by_id == staff.pk
    # The coach's chat file and the recordings of their sessions are gone too.
    assert not default_storage.exists(world.coach_media[0])
    assert Recording.objects.filter(session__coach=coach).exclude(status=Recording.Status.EXPIRED).count() == 0
    # Run again by id (the address is a placeholder now): nothing left to do.
    call_command("erase_user", str(coach.pk), stdout=StringIO())


def test_erase_user_refuses_unknown_addresses_and_non_staff_requesters(customer, outsider):
    with pytest.raises(CommandError):
        call_command("erase_user", "nobody@example.com")
    with pytest.raises(CommandError):
        call_command("erase_user", customer.email, "--requested-by", outsider.email)
    customer.refresh_from_db()
    assert customer.is_active


def _s3_keys(s3) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])}


def test_erasure_end_to_end_on_s3(api, anon_client, coach, customer, s3_storage, django_capture_on_commit_callbacks):
    world = build_world(api, coach, customer)
    client = api(customer)
    export = _export(client, django_capture_on_commit_callbacks)
    assert {world.customer_media[0], world.recording_file, export.file_name} <= _s3_keys(s3_storage)

    assert _delete_me(client, capture=django_capture_on_commit_callbacks).status_code == 204

    keys = _s3_keys(s3_storage)
    assert world.customer_media[0] not in keys
    assert world.recording_file not in keys
    assert export.file_name not in keys
    assert world.coach_media[0] in keys
    assert not PendingDeletion.objects.exists()
    assert _login(anon_client, customer.email).status_code == 401


def test_a_storage_outage_defers_deletions_and_the_retry_job_finishes_them(api, coach, customer, s3_storage, settings):
    world = build_world(api, coach, customer)
    good = settings.STORAGES
    # S3 down (a closed port), for the chat files and the recordings alike.
    from botocore.config import Config

    down = {
        **good["default"]["OPTIONS"],
        "endpoint_url": "http://127.0.0.1:9",
        "client_config": Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    }
    settings.STORAGES = {
        **good,
        "default": {**good["default"], "OPTIONS": down},
        "recordings": {**good["recordings"], "OPTIONS": down},
    }
    record = services.user_erase(user=customer, actor=customer)

    assert record.summary["chat.media"] == {"chat_files_deleted": 0, "chat_files_deferred": 1}
    assert record.summary["recordings"] == {"recordings_expired": 0, "recordings_deferred": 1}
    pending = PendingDeletion.objects.filter(erasure=record, done_at__isnull=True)
    assert {(p.kind, p.name) for p in pending} == {
        ("file", world.customer_media[0]),
        ("recording", str(world.recording.pk)),
    }
    # The account is erased all the same, and the chat row has already forgotten the file.
    customer.refresh_from_db()
    assert not customer.is_active
    assert not Message.objects.filter(sender=customer).exclude(media="").exists()

    # Still down: the retry fails, is counted, and waits longer.
    later = timezone.now() + timedelta(minutes=1)
    assert services.pending_deletions_retry(now=later) == {"done": 0, "failed": 2}
    assert services.pending_deletions_retry(now=later) == {"done": 0, "failed": 0}  # not due yet

    settings.STORAGES = good  # S3 is back
    result = services.pending_deletions_retry(now=later + timedelta(hours=1))
    assert result == {"done": 2, "failed": 0}
    keys = _s3_keys(s3_storage)
    assert world.customer_media[0] not in keys and world.recording_file not in keys
    world.recording.refresh_from_db()
    assert world.recording.status == Recording.Status.EXPIRED
    assert services.pending_deletions_retry(now=later + timedelta(days=2)) == {"done": 0, "failed": 0}


def test_the_admin_history_and_pages_no_longer_show_the_address(api, customer, staff):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.test import Client

    old_email = customer.email
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(customer.pk),
        object_repr=str(customer),
        action_flag=CHANGE,
    )
    record = services.user_erase(user=customer, actor=None, source=ErasureRecord.Source.STAFF)
    assert LogEntry.objects.get(object_id=str(customer.pk)).object_repr == "Deleted user"
    admin = Client()
    admin.force_login(staff)
    for path in (
        "/admin/privacy/erasurerecord/",
        f"/admin/privacy/erasurerecord/{record.pk}/change/",
        "/admin/privacy/dataexport/",
        "/admin/privacy/pendingdeletion/",
    ):
        page = admin.get(path)
        assert page.status_code == 200, path
        assert old_email not in page.content.decode()


def test_a_failing_step_does_not_stop_the_others_and_the_retry_job_finishes_it(
    api, anon_client, coach, customer, monkeypatch, django_capture_on_commit_callbacks
):
    from privacy import registry

    world = build_world(api, coach, customer)
    calls = []

    def broken(ctx):  # a satellite's step whose service is down, say
        calls.append("broken")
        raise ConnectionError("the other service is unreachable")

    monkeypatch.setitem(registry._erasure_steps, "test.flaky", registry.ErasureStep("test.flaky", broken, 35))
    res = _delete_me(api(customer), capture=django_capture_on_commit_callbacks)
    assert res.status_code == 204  # the account is gone for the person; the rest is the job's

    record = ErasureRecord.objects.get(user_ref=customer.pk)
    assert record.completed_at is None
    assert record.summary["test.flaky"] == {"error": "ConnectionError"}
    assert record.summary["ratings.given"] == {"ratings_withdrawn": 1}  # later steps still ran
    customer.refresh_from_db()
    assert customer.get_full_name() == "Deleted user" and not customer.is_active
    assert not default_storage.exists(world.customer_media[0])

    # Too early for the job; then the step works again and the job completes the erasure.
    assert services.erasures_resume(now=timezone.now()) == 0
    monkeypatch.setitem(
        registry._erasure_steps, "test.flaky", registry.ErasureStep("test.flaky", lambda ctx: {"done": 1}, 35)
    )
    assert services.erasures_resume(now=timezone.now() + timedelta(minutes=11)) == 1
    record.refresh_from_db()
    assert record.completed_at is not None
    assert record.summary["test.flaky"] == {"done": 1}
    assert record.summary["ratings.given"] == {"ratings_withdrawn": 1}  # nothing done twice
    assert services.erasures_resume(now=timezone.now() + timedelta(hours=1)) == 0
    assert calls == ["broken"]


def test_erasure_deletes_devices_notifications_and_emailed_links(api, customer):
    from accounts.models import AccountToken
    from notifications.models import Device, Notification

    client = api(customer)
    assert client.post("/api/v1/me/devices", {"platform": "web", "token": "tok-x"}, format="json").status_code == 201
    Notification.objects.create(recipient=customer, kind="session_booked", title="t", body="b")
    assert client.post("/api/v1/auth/password-reset", {"email": customer.email}, format="json").status_code == 204
    assert AccountToken.objects.filter(user=customer).exists()
    assert _delete_me(client).status_code == 204
    assert not Device.objects.filter(user=customer).exists()
    assert not Notification.objects.filter(recipient=customer).exists()
    assert not AccountToken.objects.filter(user=customer).exists()


def test_erasure_rewrites_the_persons_names_in_stored_events(api, coach, customer):
    from events.models import Event
    from tests.factories import AppointmentFactory

    slot = AppointmentFactory(coach=coach)
    client = api(customer)
    booked = client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.id)}, format="json")
    assert booked.status_code == 201
    event = Event.objects.get(type="session.booked")
    assert event.data["session"]["customer"]["first_name"] == customer.first_name
    assert _delete_me(client).status_code == 204
    event.refresh_from_db()
    assert event.data["session"]["customer"]["first_name"] == "Deleted user"
    assert event.data["session"]["coach"]["first_name"] == coach.first_name  # the other side is untouched
    assert customer.first_name not in str(Event.objects.values_list("data", flat=True)[::1])
