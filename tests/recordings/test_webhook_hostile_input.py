"""The webhook is public: whatever arrives, the answer is a 4xx or a 200, never a 500."""

from __future__ import annotations

import pytest

from recordings.models import Recording, WebhookEvent
from tests.recordings.conftest import recording_event

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
