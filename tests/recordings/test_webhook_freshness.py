"""Agora notifications older than AGORA_WEBHOOK_MAX_AGE_HOURS (by notifyMs) are refused (issue 11):
a signed body captured on the way must not be replayable days later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.models import Recording, WebhookEvent
from sessions_app.models import SessionLog
from tests.helpers.agora import channel_event, recording_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording(api, fake_agora, live_session, coach):
    res = api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings")
    assert res.status_code == 201, res.json()
    return Recording.objects.select_related("session").get(pk=res.json()["id"])


def _sent(event: dict, ago: timedelta) -> dict:
    return {**event, "notifyMs": int((timezone.now() - ago).timestamp() * 1000)}


def test_an_event_sent_more_than_a_day_ago_is_refused_and_changes_nothing(post_webhook, recording):
    exit_event = recording_event(recording, 11, 9, {"msgName": "session_exit", "exitStatus": 1})
    res = post_webhook(_sent(exit_event, timedelta(hours=24, minutes=1)))
    assert res.status_code == 400
    body = res.json()["error"]
    assert body["code"] == "validation_error"
    assert "notifyMs" in body["fields"]
    assert not WebhookEvent.objects.exists()
    recording.refresh_from_db()
    assert recording.status == "RECORDING"
    assert not SessionLog.objects.filter(action="RECORDING_FAILED").exists()


def test_an_event_sent_inside_the_window_is_accepted(post_webhook, recording):
    res = post_webhook(_sent(recording_event(recording, 40, 1), timedelta(hours=23, minutes=59)))
    assert res.status_code == 200
    assert res.json() == {"status": "accepted"}
    assert WebhookEvent.objects.get().result == "noted"


def test_the_window_is_the_setting(post_webhook, recording, live_session, settings):
    settings.AGORA_WEBHOOK_MAX_AGE_HOURS = 1
    old_join = _sent(channel_event(live_session, 103, live_session.coach_uid, 1), timedelta(minutes=61))
    assert post_webhook(old_join).status_code == 400
    assert not SessionLog.objects.filter(session=live_session, action="ENTERED", text__startswith="From Agora").exists()
    assert post_webhook(_sent(recording_event(recording, 40, 1), timedelta(minutes=59))).status_code == 200


def test_a_stale_copy_of_an_accepted_event_is_refused_not_a_duplicate(post_webhook, recording, settings):
    event = recording_event(recording, 40, 1)
    assert post_webhook(event).json() == {"status": "accepted"}
    settings.AGORA_WEBHOOK_MAX_AGE_HOURS = 1
    # Agora stamps each of its redeliveries with a fresh notifyMs: a copy two hours old is a replay.
    assert post_webhook(_sent(event, timedelta(hours=2))).status_code == 400
    assert WebhookEvent.objects.count() == 1
