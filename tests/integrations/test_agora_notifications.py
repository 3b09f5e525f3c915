"""The Notification Center format, read in one place: integrations/agora/notifications.py."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from integrations.agora import notifications
from integrations.agora._values import RecordedFile


def _raw(body: dict) -> bytes:
    return json.dumps(body).encode()


UPLOADED = {
    "noticeId": "n-1",
    "productId": 3,
    "eventType": 31,
    "notifyMs": 1_800_000_000_500,
    "payload": {
        "cname": "s_channel",
        "uid": "4242",
        "sid": "sid-1",
        "sequence": 7,
        "sendts": 1_800_000_000_000,
        "details": {
            "msgName": "uploaded",
            "fileList": [
                {"fileName": "recordings/a/b/sid-1_s_channel_0.mp4", "fileSize": "1024", "durationMs": 61_500},
                "not an entry",
            ],
        },
    },
}


def test_a_recording_event_is_unwrapped_into_typed_fields():
    event = notifications.parse(_raw(UPLOADED))
    assert event.is_recording_event and not event.is_channel_event
    assert (event.notice_id, event.product_id, event.event_type) == ("n-1", 3, 31)
    assert (event.sid, event.channel_name, event.uid) == ("sid-1", "s_channel", 4242)
    assert event.occurred_at == datetime.fromtimestamp(1_800_000_000, tz=UTC)
    assert event.notified_at == datetime.fromtimestamp(1_800_000_000.5, tz=UTC)
    assert event.files == (RecordedFile("recordings/a/b/sid-1_s_channel_0.mp4", size_bytes=1024, duration_seconds=61),)
    assert event.body == UPLOADED


def test_redundant_deliveries_of_a_recording_event_share_one_key():
    first = notifications.parse(_raw(UPLOADED))
    again = notifications.parse(_raw({**UPLOADED, "noticeId": "n-2", "notifyMs": 1_800_000_009_000}))
    assert first.key == again.key == "3:sid-1:31:7"


def test_other_events_are_keyed_by_notice_id_or_by_their_bytes():
    rtc = {"noticeId": "rtc-1", "productId": 1, "eventType": 103, "payload": {"channelName": "s_c", "uid": 5}}
    assert notifications.parse(_raw(rtc)).key == "1:rtc-1:103"
    anonymous = _raw({"productId": 1, "eventType": 104})
    assert notifications.parse(anonymous).key == "sha256:" + hashlib.sha256(anonymous).hexdigest()


def test_a_channel_event_reads_its_own_field_names():
    body = {
        "noticeId": "rtc-2",
        "productId": 1,
        "eventType": 104,
        "notifyMs": 1_800_000_100_000,
        "sid": "channel-session",
        "payload": {"channelName": "s_c", "uid": 77, "ts": 1_800_000_050, "reason": 2},
    }
    event = notifications.parse(_raw(body))
    assert event.is_channel_event
    assert (event.channel_name, event.uid, event.leave_reason) == ("s_c", 77, "2")
    assert event.occurred_at == datetime.fromtimestamp(1_800_000_050, tz=UTC)  # ts is in seconds
    assert event.sid == "channel-session"


def test_a_file_list_in_string_mode_is_the_one_file():
    body = {**UPLOADED, "payload": {**UPLOADED["payload"], "details": {"fileList": "x/y.m3u8"}}}
    assert notifications.parse(_raw(body)).files == (RecordedFile("x/y.m3u8"),)


def test_an_error_event_carries_code_message_and_level():
    details = {"errorCode": 65, "errorMsg": "token expired", "errorLevel": True}
    body = {**UPLOADED, "eventType": 1, "payload": {**UPLOADED["payload"], "details": details}}
    error = notifications.parse(_raw(body)).error
    assert error == notifications.RecordingError(code="65", message="token expired", level=None)  # a bool is no level


def test_untrusted_numbers_do_not_survive_as_numbers():
    body = {"productId": 10**30, "eventType": -1, "notifyMs": "soon", "payload": {"uid": "9" * 40}}
    event = notifications.parse(_raw(body))
    assert (event.product_id, event.event_type, event.uid, event.notified_at) == (None, None, None, None)


def test_a_stored_body_reads_back_as_the_same_notification():
    event = notifications.parse(_raw(UPLOADED))
    assert notifications.from_body(json.loads(json.dumps(event.body)), key=event.key) == event


@pytest.mark.parametrize(
    "raw",
    [
        b"{nope",
        b'{"notifyMs": NaN}',
        b'{"notifyMs": -Infinity}',
        b'{"sequence": 1e999}',
        b'"a string"',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a": "\\u0000"}',
        b'{"\\udfff": 1}',
        b"\xff\xfe{}",
    ],
)
def test_what_is_not_a_storable_json_object_is_malformed(raw):
    with pytest.raises(notifications.MalformedNotification):
        notifications.parse(raw)


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body(settings):
    settings.AGORA_WEBHOOK_SECRET = "s3cret"
    raw = _raw(UPLOADED)
    good = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert notifications.signature_valid(raw=raw, signature=good)
    assert notifications.signature_valid(raw=raw, signature=f" {good.upper()} ")
    assert not notifications.signature_valid(raw=raw + b" ", signature=good)
    assert not notifications.signature_valid(raw=raw, signature=None)
    settings.AGORA_WEBHOOK_SECRET = ""
    assert not notifications.signature_valid(raw=raw, signature=good)
    assert not notifications.is_configured()
