from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import SessionFactory
from tests.helpers.agora import APP_ID, WEBHOOK_SECRET, sign
from tests.recordings.fake_agora import FakeAgora, serve


@pytest.fixture(scope="session")
def _fake_agora_server():
    fake = FakeAgora(app_id=APP_ID, customer_id="cust-id", customer_secret="cust-secret")
    server = serve(fake)
    yield fake
    server.shutdown()


@pytest.fixture
def fake_agora(_fake_agora_server, settings):
    """The fake Agora, reset, with the project's AGORA_* settings pointing at it."""
    fake = _fake_agora_server
    fake.requests.clear()
    fake.problems.clear()
    fake.queued.clear()
    fake.stop_upload_status = "uploaded"
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = "c" * 32
    settings.AGORA_CUSTOMER_ID = "cust-id"
    settings.AGORA_CUSTOMER_SECRET = "cust-secret"
    settings.AGORA_API_BASE_URL = fake.url
    settings.AGORA_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.AGORA_HTTP_BACKOFF_SECONDS = 0.01
    settings.AGORA_RECORDING_REGION = ""
    settings.AWS_S3_REGION_NAME = "us-east-1"
    if not settings.AWS_RECORDINGS_BUCKET_NAME:
        settings.AWS_RECORDINGS_BUCKET_NAME = "recordings-bucket"
    settings.AWS_ACCESS_KEY_ID = settings.AWS_ACCESS_KEY_ID or "AKIDTEST"
    settings.AWS_SECRET_ACCESS_KEY = settings.AWS_SECRET_ACCESS_KEY or "secret-test"
    return fake


@pytest.fixture
def live_session(coach, customer):
    start = timezone.now() - timedelta(minutes=5)
    return SessionFactory(
        appointment__coach=coach,
        appointment__start=start,
        customer=customer,
        status=Session.Status.IN_PROGRESS,
        started_at=start,
    )


@pytest.fixture
def post_webhook(anon_client, django_capture_on_commit_callbacks):
    """``post_webhook(event_dict, signature=...)`` -> response; signed correctly by default.
    The processing task is enqueued on commit: run those callbacks as a real request would."""

    def post(event: dict, signature: str | None = "good"):
        raw = json.dumps(event).encode()
        headers = {}
        if signature == "good":
            headers["HTTP_AGORA_SIGNATURE_V2"] = sign(raw)
        elif signature is not None:
            headers["HTTP_AGORA_SIGNATURE_V2"] = signature
        with django_capture_on_commit_callbacks(execute=True):
            return anon_client.post("/api/v1/webhooks/agora", data=raw, content_type="application/json", **headers)

    return post
