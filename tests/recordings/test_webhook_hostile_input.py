"""The webhook is public: whatever arrives, the answer is a 4xx or a 200, never a 500."""

from __future__ import annotations

import json

import pytest

from recordings.models import Recording, WebhookEvent
from tests.helpers.agora import recording_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording(api, fake_agora, live_session, coach):
    res = api(coach).post(f"/api/v1/sessions/{live_session.id}/recordings")
    assert res.status_code == 201, res.json()
    return Recording.objects.select_related("session").get(pk=res.json()["id"])


@pytest.mark.parametrize("signature", ["\u00e9" * 64, "\u2603", "a" * 10_000])
def test_a_non_ascii_or_absurd_signature_is_a_401(post_webhook, recording, signature):
    res = post_webhook(recording_event(recording, 40, 1), signature=signature)
    assert res.status_code == 401
    assert res.json()["error"]["code"] == "not_authenticated"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "override",
    [
        {"productId": 10**30},
        {"eventType": 2**31},
        {"eventType": -1},
        {"eventType": 1.5e300},
        {"eventType": True},
        {"productId": "9" * 400},
    ],
)
def test_signed_events_with_out_of_range_numbers_are_stored_not_a_500(post_webhook, recording, override):
    event = {**recording_event(recording, 40, 1), **override}
    res = post_webhook(event)
    assert res.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.product_id in (None, 3) and stored.event_type in (None, 40)


def test_signed_file_list_with_absurd_sizes_is_not_a_500(post_webhook, recording):
    details = {"fileList": [{"fileName": f"{recording.file_prefix}/a.mp4", "size": 10**40, "durationMs": 10**30}]}
    res = post_webhook(recording_event(recording, 31, 2, details))
    assert res.status_code == 200
    assert WebhookEvent.objects.get().processed_at is not None


# --- the body: parsed with the API parser's guards (issue 11) --------------------------------------


def _post_raw(anon_client, raw: bytes):
    from tests.helpers.agora import sign

    return anon_client.post(
        "/api/v1/webhooks/agora", data=raw, content_type="application/json", HTTP_AGORA_SIGNATURE_V2=sign(raw)
    )


def _assert_refused(res) -> None:
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "validation_error"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_signed_body_with_nan_or_infinity_is_a_400(anon_client, recording, constant):
    raw = json.dumps(recording_event(recording, 40, 1)).encode()
    raw = raw.replace(b'"eventType": 40', b'"eventType": ' + constant.encode())
    assert constant.encode() in raw
    _assert_refused(_post_raw(anon_client, raw))


def test_a_signed_body_nested_50000_deep_is_a_400(anon_client, recording):
    depth = 50_000
    raw = b'{"noticeId": "deep", "productId": 3, "payload": ' + b"[" * depth + b"]" * depth + b"}"
    _assert_refused(_post_raw(anon_client, raw))


def test_a_signed_body_nested_past_what_agora_sends_is_a_400(anon_client, recording):
    # Deep enough to worry a later json.dumps in a deep stack, shallow enough for the decoder.
    details: dict = {}
    for _ in range(200):
        details = {"d": details}
    event = recording_event(recording, 40, 1, details)
    _assert_refused(_post_raw(anon_client, json.dumps(event).encode()))


def test_a_signed_number_too_large_for_a_float_is_a_400(anon_client, recording):
    raw = json.dumps(recording_event(recording, 40, 1)).encode().replace(b'"sequence": 1', b'"sequence": 1e400')
    _assert_refused(_post_raw(anon_client, raw))


@pytest.mark.parametrize("text", ["nul\\u0000byte", "lone \\ud800 surrogate"])
def test_a_signed_string_the_database_cannot_hold_is_a_400(anon_client, recording, text):
    raw = json.dumps(recording_event(recording, 40, 1, {"msgName": "PLACEHOLDER"})).encode()
    _assert_refused(_post_raw(anon_client, raw.replace(b"PLACEHOLDER", text.encode())))


def test_a_signed_body_that_is_not_an_object_is_a_400(anon_client, recording):
    _assert_refused(_post_raw(anon_client, b"[1, 2, 3]"))
