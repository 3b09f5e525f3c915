from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from integrations.agora import notifications
from recordings import services
from recordings.models import Recording, RecordingFile
from sessions_app.models import Session
from tests.factories import RecordingFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _old_session(**kwargs) -> Session:
    return SessionFactory(status=Session.Status.COMPLETED, ended_at=timezone.now() - timedelta(days=31), **kwargs)


def test_expiry_over_thousands_of_recordings_in_one_run_then_nothing(django_assert_max_num_queries):
    session = _old_session()
    fresh = RecordingFactory()  # ended just now: inside its window
    Recording.objects.bulk_create(
        [Recording(session=session, status="AVAILABLE", recorder_uid=i + 1) for i in range(3000)], batch_size=1000
    )
    result = services.recordings_expire_due(batch_size=500)
    assert result.expired == 3000 and result.failed == 0
    assert Recording.objects.filter(session=session, status="EXPIRED").count() == 3000
    assert Recording.objects.get(pk=fresh.pk).status == "AVAILABLE"
    # Batches keep the query count proportional to batches, not rows (6 batches here); each batch's
    # recording.expired events are one read and one insert (SQLite splits a 500-row insert in 3).
    Recording.objects.filter(session=session).update(status="AVAILABLE", expired_at=None)
    with django_assert_max_num_queries(6 * (8 + 4) + 2):
        services.recordings_expire_due(batch_size=500)
    again = services.recordings_expire_due()
    assert (again.due, again.expired, again.failed) == (0, 0, 0)


def test_files_are_deleted_and_a_failed_delete_is_retried_next_run(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "tests.recordings.storages.FlakyDeleteStorage",
            "OPTIONS": {"location": str(tmp_path / "flaky")},
        },
    }
    storage = storages.create_storage(settings.STORAGES["recordings"])
    session = _old_session()
    good = Recording.objects.create(session=session, status="AVAILABLE", file_prefix="recordings/a")
    bad = Recording.objects.create(session=session, status="AVAILABLE", file_prefix="recordings/b")
    for recording, name in ((good, "recordings/a/x_0.mp4"), (bad, "recordings/b/undeletable_0.mp4")):
        storage.save(name, ContentFile(b"\x00\x00\x00\x18ftypisom"))
        RecordingFile.objects.create(recording=recording, name=name)
    storage.save("recordings/a/x.m3u8", ContentFile(b"#EXTM3U"))

    result = services.recordings_expire_due()
    assert (result.expired, result.failed) == (1, 1)
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == "EXPIRED"
    assert not storage.exists("recordings/a/x_0.mp4") and not storage.exists("recordings/a/x.m3u8")
    assert bad.status == "AVAILABLE" and bad.expiry_claim == ""  # released for the next run
    assert services.recordings_expire_due().failed == 1
    RecordingFile.objects.filter(recording=bad).update(name="recordings/b/fixed_0.mp4")
    storage.save("recordings/b/fixed_0.mp4", ContentFile(b"x"))
    import os

    os.remove(storage.path("recordings/b/undeletable_0.mp4"))
    assert services.recordings_expire_due().expired == 1


def test_dry_run_and_retention_extension(capsys):
    recording = RecordingFactory(session=_old_session())
    call_command("expire_recordings", "--dry-run")
    assert "1 recording(s) would expire" in capsys.readouterr().out
    assert Recording.objects.get(pk=recording.pk).status == "AVAILABLE"

    services.recording_extend_retention(recording=recording, days=30)
    recording.refresh_from_db()
    assert recording.available_until > timezone.now() + timedelta(days=29)
    call_command("expire_recordings")
    assert Recording.objects.get(pk=recording.pk).status == "AVAILABLE"

    services.recording_expire(recording=recording)
    assert Recording.objects.get(pk=recording.pk).status == "EXPIRED"


def test_a_row_claimed_by_another_run_is_skipped():
    recording = RecordingFactory(session=_old_session())
    Recording.objects.filter(pk=recording.pk).update(expiry_claim=uuid.uuid4().hex, expiry_claimed_at=timezone.now())
    result = services.recordings_expire_due()
    assert (result.expired, result.skipped) == (0, 1)
    # A crashed run's lease lapses.
    Recording.objects.filter(pk=recording.pk).update(expiry_claimed_at=timezone.now() - timedelta(hours=1))
    assert services.recordings_expire_due().expired == 1


def test_admin_actions_extend_and_expire(client, staff):
    recording = RecordingFactory()
    client.force_login(staff)
    url = "/admin/recordings/recording/"
    assert client.get(url).status_code == 200
    client.post(url, {"action": "extend_retention", "_selected_action": [str(recording.pk)]})
    assert Recording.objects.get(pk=recording.pk).retention_extended_until is not None
    client.post(url, {"action": "expire_now", "_selected_action": [str(recording.pk)]})
    assert Recording.objects.get(pk=recording.pk).status == "EXPIRED"


@pytest.mark.django_db(transaction=True)
def test_two_workers_expire_each_recording_once(postgres):
    session = _old_session()
    Recording.objects.bulk_create([Recording(session=session, status="AVAILABLE") for _ in range(400)])
    results = []

    def run() -> None:
        try:
            results.append(services.recordings_expire_due(batch_size=50))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.expired for r in results) == 400
    assert Recording.objects.filter(status="EXPIRED").count() == 400


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_starts_record_once(postgres, api, fake_agora, live_session, coach, customer):
    barrier = threading.Barrier(2)
    codes = []

    def start(user) -> None:
        try:
            client = api(user)
            barrier.wait()
            codes.append(client.post(f"/api/v1/sessions/{live_session.id}/recordings").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(u,)) for u in (coach, customer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201, 409]
    assert Recording.objects.filter(session=live_session, status="RECORDING").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_stops_call_agora_once(postgres, api, fake_agora, live_session, coach, customer):
    assert api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings").status_code == 201
    barrier = threading.Barrier(4)
    codes = []

    def stop(user) -> None:
        try:
            client = api(user)
            barrier.wait()
            codes.append(client.post(f"/api/v1/sessions/{live_session.id}/recordings/stop").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=stop, args=(u,)) for u in (coach, customer, coach, customer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 409, 409, 409]
    assert len(fake_agora.calls("stop")) == 1
    assert Recording.objects.get(session=live_session).status in ("PROCESSING", "AVAILABLE")


def _wait_for(check, timeout: float = 20.0) -> None:
    # Polls the database rather than result.get(): the outcome that matters is the row.
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there in time")
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_webhook_event_and_expiry_run_on_a_real_worker(live_celery_worker, fake_agora, live_session, coach, api):
    from recordings.models import WebhookEvent
    from recordings.tasks import expire_recordings, process_webhook_event
    from tests.helpers.agora import recording_event

    res = api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings")
    recording = Recording.objects.select_related("session").get(pk=res.json()["id"])
    event, _ = services.webhook_event_store(
        event=notifications.parse(
            json.dumps(recording_event(recording, 11, 1, {"msgName": "session_exit", "exitStatus": 0})).encode()
        )
    )
    process_webhook_event.delay(event.pk)
    process_webhook_event.delay(event.pk)  # a second delivery of the task changes nothing
    _wait_for(lambda: WebhookEvent.objects.filter(pk=event.pk, result="stopped").exists())
    assert Recording.objects.get(pk=recording.pk).status == "PROCESSING"
    Session.objects.filter(pk=live_session.pk).update(status="COMPLETED", ended_at=timezone.now() - timedelta(days=40))
    expire_recordings.delay()
    _wait_for(lambda: Recording.objects.filter(pk=recording.pk, status="EXPIRED").exists())
    expire_recordings.delay()


def _staff_with(*codenames: str):
    from django.contrib.auth.models import Permission

    from tests.factories import StaffFactory

    user = StaffFactory(is_superuser=False)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="recordings", codename__in=codenames))
    return user


def test_admin_actions_need_the_change_permission(client):
    recording = RecordingFactory()
    url = "/admin/recordings/recording/"
    client.force_login(_staff_with("view_recording"))
    assert client.get(url).status_code == 200  # view-only staff may look
    for action in ("expire_now", "extend_retention"):
        client.post(url, {"action": action, "_selected_action": [str(recording.pk)]})
    recording.refresh_from_db()
    assert recording.status == "AVAILABLE" and recording.retention_extended_until is None

    editor = _staff_with("view_recording", "change_recording")
    client.force_login(editor)
    client.post(url, {"action": "expire_now", "_selected_action": [str(recording.pk)]})
    assert Recording.objects.get(pk=recording.pk).status == "EXPIRED"
    from django.contrib.admin.models import LogEntry

    entry = LogEntry.objects.get(object_id=str(recording.pk))
    assert entry.user == editor and "Expired" in entry.get_change_message()


def test_admin_cannot_delete_a_recording(client, staff):
    recording = RecordingFactory()
    client.force_login(staff)  # a superuser: even they expire instead of deleting
    assert client.get(f"/admin/recordings/recording/{recording.pk}/delete/").status_code == 403
    client.post("/admin/recordings/recording/", {"action": "delete_selected", "_selected_action": [str(recording.pk)]})
    assert Recording.objects.filter(pk=recording.pk).exists()
