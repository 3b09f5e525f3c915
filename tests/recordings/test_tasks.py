"""The auto-stop: its task retries only what a retry can fix (issue 9), and a beat job stops what
the task never reached."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from recordings.errors import RecordingUnavailable
from recordings.models import Recording
from recordings.tasks import stop_orphaned_recordings, stop_session_recordings
from sessions_app import services as session_services
from sessions_app.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording(api, fake_agora, live_session, coach):
    res = api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings")
    assert res.status_code == 201, res.json()
    return Recording.objects.get(pk=res.json()["id"])


def _run(recording):
    # throw=True: run in this process and raise what the task raises, a Retry included.
    return stop_session_recordings.apply(args=[str(recording.session_id)], throw=True)


def test_auto_stop_does_not_retry_when_agora_refuses(fake_agora, recording, settings):
    settings.AGORA_CUSTOMER_SECRET = "rotated"  # Agora answers 401: no later try can succeed
    with pytest.raises(RecordingUnavailable) as raised:
        _run(recording)
    assert not isinstance(raised.value, Retry)
    assert len(fake_agora.calls("stop")) == 1
    recording.refresh_from_db()
    assert recording.status == "RECORDING" and recording.stop_claimed_at is None  # a participant may still stop it


def test_auto_stop_retries_while_agora_is_unreachable(fake_agora, recording, settings):
    for _ in range(settings.AGORA_HTTP_RETRIES):  # every one of the client's own tries fails
        fake_agora.queue("stop", 503, {"message": "service unavailable"})
    with pytest.raises(Retry):
        _run(recording)
    assert Recording.objects.get(pk=recording.pk).status == "RECORDING"
    assert _run(recording).result == {"stopped": 1}  # the retry, once Agora is back
    assert len(fake_agora.calls("stop")) == settings.AGORA_HTTP_RETRIES + 1
    assert Recording.objects.get(pk=recording.pk).status == "AVAILABLE"


def test_a_recording_whose_auto_stop_was_lost_is_stopped_by_the_beat_job(fake_agora, recording, coach):
    # Completed without running the on-commit callbacks: as if the broker had been down at the commit.
    session_services.session_complete(session=recording.session, actor=coach)
    assert Recording.objects.get(pk=recording.pk).status == "RECORDING"
    assert stop_orphaned_recordings() == {"stopped": 0}  # just ended: its own task may still come
    Session.objects.filter(pk=recording.session_id).update(updated_at=timezone.now() - timedelta(minutes=6))
    assert stop_orphaned_recordings() == {"stopped": 1}
    assert Recording.objects.get(pk=recording.pk).status == "AVAILABLE"
    assert len(fake_agora.calls("stop")) == 1
    assert stop_orphaned_recordings() == {"stopped": 0}
