from __future__ import annotations

import pytest

from recordings.models import Recording, WebhookEvent
from sessions_app.models import Session, SessionLog
from tests.helpers.agora import channel_event, recording_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/agora"


@pytest.fixture
def recording(api, fake_agora, live_session, coach):
    res = api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings")
    assert res.status_code == 201, res.json()
    return Recording.objects.select_related("session").get(pk=res.json()["id"])


def test_good_signature_is_accepted_bad_or_missing_refused(post_webhook, recording):
    event = recording_event(recording, 40, 1, {"msgName": "recorder_started"})
    for signature in (None, "", "0" * 64, "not-hex"):
        res = post_webhook(event, signature=signature)
        assert res.status_code == 401
        assert res.json()["error"]["code"] == "not_authenticated"
    assert not WebhookEvent.objects.exists()
    res = post_webhook(event)
    assert res.status_code == 200
    assert res.json() == {"status": "accepted"}
    assert WebhookEvent.objects.get().result == "noted"


def test_webhook_without_configured_secret_is_refused(post_webhook, recording, settings):
    settings.AGORA_WEBHOOK_SECRET = ""
    res = post_webhook(recording_event(recording, 40, 1))
    assert res.status_code == 503
    assert not WebhookEvent.objects.exists()


def test_body_that_is_not_json_is_a_400(anon_client, fake_agora):
    from tests.helpers.agora import sign

    res = anon_client.post(URL, data=b"{nope", content_type="application/json", HTTP_AGORA_SIGNATURE_V2=sign(b"{nope"))
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "validation_error"


def test_replayed_event_is_stored_and_processed_once(post_webhook, recording):
    exit_event = recording_event(recording, 11, 9, {"msgName": "session_exit", "exitStatus": 0})
    assert post_webhook(exit_event).json() == {"status": "accepted"}
    assert post_webhook(exit_event).json() == {"status": "duplicate"}
    # Agora's redundant delivery: the same event under another noticeId.
    exit_event["noticeId"] = "another-notice"
    assert post_webhook(exit_event).json() == {"status": "duplicate"}
    assert WebhookEvent.objects.count() == 1
    recording.refresh_from_db()
    assert recording.status == "PROCESSING" and recording.stopped_at is not None
    logs = SessionLog.objects.filter(session_id=recording.session_id, action="RECORDING_STOPPED")
    assert logs.count() == 1


def test_uploaded_before_the_stop_answer_is_applied_when_it_stops(
    api, post_webhook, recording, coach, fake_agora, s3_storage
):
    fake_agora.stop_upload_status = "unknown"
    uploaded = recording_event(recording, 31, 5, {"msgName": "uploaded", "status": 0})
    assert post_webhook(uploaded).status_code == 200
    recording.refresh_from_db()
    assert recording.status == "RECORDING" and recording.upload_completed
    res = api(coach).post(f"/api/v1/sessions/{recording.session_id}/recordings/stop")
    assert res.json()["status"] == "AVAILABLE"


def test_events_before_the_start_answer_are_matched_by_channel_and_recorder_uid(post_webhook, recording):
    sid = recording.sid
    Recording.objects.filter(pk=recording.pk).update(sid="")
    recording.sid = sid
    assert post_webhook(recording_event(recording, 40, 1)).status_code == 200
    assert Recording.objects.get(pk=recording.pk).sid == sid


def test_file_list_in_the_uploaded_event_registers_the_mp4(post_webhook, recording):
    Recording.objects.filter(pk=recording.pk).update(status="PROCESSING")
    details = {"msgName": "uploaded", "status": 0, "fileList": [{"fileName": "main.mp4", "size": 1234, "duration": 61}]}
    post_webhook(recording_event(recording, 31, 3, details))
    recording.refresh_from_db()
    assert recording.status == "AVAILABLE"
    assert recording.size_bytes == 1234 and recording.duration_seconds == 61
    assert recording.files.get().name == f"{recording.file_prefix}/main.mp4"


def test_error_event_fails_the_recording_and_a_late_upload_changes_nothing(post_webhook, recording):
    post_webhook(
        recording_event(
            recording, 1, 2, {"msgName": "cloud_recording_error", "errorCode": 65, "errorMsg": "token expired"}
        )
    )
    recording.refresh_from_db()
    assert recording.status == "FAILED" and "token expired" in recording.failure_reason
    post_webhook(recording_event(recording, 31, 3, {"msgName": "uploaded", "status": 0}))
    assert Recording.objects.get(pk=recording.pk).status == "FAILED"


def test_abnormal_exit_fails_the_recording(post_webhook, recording):
    post_webhook(recording_event(recording, 11, 4, {"msgName": "session_exit", "exitStatus": 1}))
    recording.refresh_from_db()
    assert recording.status == "FAILED" and "status 1" in recording.failure_reason


def test_channel_events_log_participants_entering_and_leaving(post_webhook, recording, live_session, coach, customer):
    post_webhook(channel_event(live_session, 103, live_session.coach_uid, 1, ts=1_800_000_000))
    post_webhook(channel_event(live_session, 104, live_session.customer_uid, 2, ts=1_800_000_100))
    post_webhook(channel_event(live_session, 103, recording.recorder_uid, 3))  # the recorder itself
    post_webhook(channel_event(live_session, 104, live_session.customer_uid, 2, ts=1_800_000_100))  # replay
    logs = SessionLog.objects.filter(session=live_session, action__in=["ENTERED", "LEFT"]).order_by("created_at")
    assert [(log.action, log.actor_id) for log in logs] == [("ENTERED", coach.pk), ("LEFT", customer.pk)]
    assert logs[0].created_at.timestamp() == 1_800_000_000

    Session.objects.filter(pk=live_session.pk).update(status="COMPLETED")
    post_webhook(channel_event(live_session, 104, live_session.coach_uid, 5))
    assert SessionLog.objects.filter(session=live_session, action="LEFT").count() == 1


def test_unknown_events_are_stored_and_ignored(post_webhook, fake_agora):
    res = post_webhook({"noticeId": "x1", "productId": 3, "eventType": 31, "payload": {"sid": "nope", "sequence": 1}})
    assert res.status_code == 200
    assert WebhookEvent.objects.get().result == "ignored: unknown recording"


def test_an_event_whose_task_was_lost_is_applied_by_the_sweep(post_webhook, recording):
    from datetime import timedelta

    from django.utils import timezone

    from recordings.tasks import process_pending_webhook_events

    exit_event = recording_event(recording, 11, 9, {"msgName": "session_exit", "exitStatus": 0})
    post_webhook(exit_event)
    # As if the broker had lost the task: the event is stored, not applied, and a while old.
    WebhookEvent.objects.update(processed_at=None, received_at=timezone.now() - timedelta(minutes=5))
    Recording.objects.filter(pk=recording.pk).update(status="RECORDING", stopped_at=None)
    assert process_pending_webhook_events() == {"processed": 1}
    recording.refresh_from_db()
    assert recording.status == "PROCESSING"
    assert process_pending_webhook_events() == {"processed": 0}


# --- error levels: a minor error is noted, a serious one fails an active recording only ------------


def _error(recording, sequence: int, level: int | None, code: int = 32, message: str = "upload retry") -> dict:
    details = {"msgName": "cloud_recording_error", "module": 2, "errorCode": code, "errorMsg": message}
    if level is not None:
        details["errorLevel"] = level
    return recording_event(recording, 1, sequence, details)


def test_minor_error_while_uploading_is_noted_and_the_upload_still_lands(api, post_webhook, recording, fake_agora):
    fake_agora.stop_upload_status = "uploading"
    res = api(recording.started_by).post(f"/api/v1/sessions/{recording.session_id}/recordings/stop")
    assert res.json()["status"] == "PROCESSING"
    post_webhook(_error(recording, 5, level=2))
    event = WebhookEvent.objects.get(event_type=1)
    assert event.result.startswith("noted: minor error")
    assert Recording.objects.get(pk=recording.pk).status == "PROCESSING"
    post_webhook(recording_event(recording, 31, 6, {"msgName": "uploaded", "status": 0}))
    recording.refresh_from_db()
    assert recording.status == "AVAILABLE" and recording.failure_reason == ""
    assert not SessionLog.objects.filter(session_id=recording.session_id, action="RECORDING_FAILED").exists()


def test_minor_error_while_recording_changes_nothing(post_webhook, recording):
    post_webhook(_error(recording, 2, level=1, code=1001, message="network jitter"))
    assert Recording.objects.get(pk=recording.pk).status == "RECORDING"
    assert WebhookEvent.objects.get().result.startswith("noted: minor error")


def test_fatal_error_while_recording_fails_it_with_the_reason(post_webhook, recording):
    post_webhook(_error(recording, 2, level=5, code=65, message="token expired"))
    recording.refresh_from_db()
    assert recording.status == "FAILED"
    assert recording.failure_reason == "Agora error 65: token expired"
    assert SessionLog.objects.filter(session_id=recording.session_id, action="RECORDING_FAILED").count() == 1


def test_serious_error_after_the_stop_leaves_the_upload_to_agoras_retries(api, post_webhook, recording, fake_agora):
    fake_agora.stop_upload_status = "uploading"
    api(recording.started_by).post(f"/api/v1/sessions/{recording.session_id}/recordings/stop")
    post_webhook(_error(recording, 5, level=4, code=31, message="upload to the third-party storage failed"))
    post_webhook(_error(recording, 6, level=None, code=31, message="upload failed again"))
    assert Recording.objects.get(pk=recording.pk).status == "PROCESSING"
    assert all(e.result.startswith("noted") for e in WebhookEvent.objects.filter(event_type=1))
    # Agora backed the file up and delivered it later.
    post_webhook(recording_event(recording, 32, 7, {"msgName": "backuped", "status": 0}))
    assert Recording.objects.get(pk=recording.pk).status == "AVAILABLE"
