"""The sweep for recordings whose "uploaded" event never came (Agora does not guarantee delivery)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.utils import timezone

from recordings import services
from recordings.models import Recording
from recordings.tasks import sweep_processing_recordings
from sessions_app.models import SessionLog
from tests.helpers.mp4 import MINIMAL_MP4

pytestmark = pytest.mark.django_db


@pytest.fixture
def processing(api, fake_agora, live_session, coach):
    """A recording stopped while Agora was still uploading: PROCESSING, its MP4 name known from the
    stop answer but not in the bucket yet."""
    fake_agora.stop_upload_status = "uploading"
    assert api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings").status_code == 201
    res = api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings/stop")
    assert res.json()["status"] == "PROCESSING"
    return Recording.objects.select_related("session").get(pk=res.json()["id"])


def _stopped_ago(recording, delta: timedelta) -> None:
    Recording.objects.filter(pk=recording.pk).update(stopped_at=timezone.now() - delta)


def test_the_mp4_found_in_the_bucket_after_the_grace_period_makes_it_available(processing, fake_agora):
    key = fake_agora.mp4_key(processing.sid)
    services.recordings_storage().save(key, ContentFile(MINIMAL_MP4))
    # Inside the grace period the uploaded event may still come: the sweep leaves it alone.
    _stopped_ago(processing, timedelta(minutes=django_settings.RECORDING_UPLOAD_GRACE_MINUTES - 5))
    assert sweep_processing_recordings() == {"checked": 0, "available": 0, "failed": 0, "waiting": 0}
    assert Recording.objects.get(pk=processing.pk).status == "PROCESSING"

    _stopped_ago(processing, timedelta(minutes=django_settings.RECORDING_UPLOAD_GRACE_MINUTES + 1))
    assert sweep_processing_recordings() == {"checked": 1, "available": 1, "failed": 0, "waiting": 0}
    processing.refresh_from_db()
    assert processing.status == "AVAILABLE" and processing.upload_completed
    assert processing.size_bytes == len(MINIMAL_MP4)
    assert list(processing.files.values_list("name", flat=True)) == [key]
    # Idempotent: nothing left to do.
    assert sweep_processing_recordings()["checked"] == 0


def test_nothing_in_the_bucket_waits_then_fails_after_the_give_up_time(processing, settings):
    _stopped_ago(processing, timedelta(hours=2))
    assert sweep_processing_recordings() == {"checked": 1, "available": 0, "failed": 0, "waiting": 1}
    assert Recording.objects.get(pk=processing.pk).status == "PROCESSING"

    settings.RECORDING_UPLOAD_GIVE_UP_HOURS = 24
    _stopped_ago(processing, timedelta(hours=24, minutes=1))
    assert sweep_processing_recordings() == {"checked": 1, "available": 0, "failed": 1, "waiting": 0}
    processing.refresh_from_db()
    assert processing.status == "FAILED"
    assert "no MP4" in processing.failure_reason and "24 hours" in processing.failure_reason
    logs = SessionLog.objects.filter(session_id=processing.session_id, action="RECORDING_FAILED")
    assert logs.count() == 1
    assert sweep_processing_recordings()["checked"] == 0
    assert logs.count() == 1


def test_a_listing_failure_never_gives_up(processing, settings, tmp_path):
    # A storage outage is not proof that the file is missing.
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "tests.recordings.storages.UnlistableStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    _stopped_ago(processing, timedelta(days=3))
    assert sweep_processing_recordings() == {"checked": 1, "available": 0, "failed": 0, "waiting": 1}
    assert Recording.objects.get(pk=processing.pk).status == "PROCESSING"


def test_the_sweep_is_batch_limited(processing, fake_agora):
    others = [
        Recording.objects.create(
            session=processing.session,
            status="PROCESSING",
            file_prefix=f"recordings/x{i}",
            stopped_at=timezone.now() - timedelta(hours=1),
        )
        for i in range(3)
    ]
    _stopped_ago(processing, timedelta(hours=2))
    result = services.recordings_sweep_processing(limit=2)
    assert (result.checked, result.waiting) == (2, 2)
    assert len(others) == 3


def test_the_sweep_runs_on_beat():
    schedule = {entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["recordings.tasks.sweep_processing_recordings"] == 600.0
