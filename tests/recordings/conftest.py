from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import SessionFactory
from tests.recordings.fake_agora import FakeAgora, serve

APP_ID = "a" * 32
WEBHOOK_SECRET = "whsec-test-secret"


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


def sign(raw: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


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


def _now_ms() -> int:
    # Fresh: the webhook refuses events Agora sent longer ago than AGORA_WEBHOOK_MAX_AGE_HOURS.
    return int(timezone.now().timestamp() * 1000)


def recording_event(recording, event_type: int, sequence: int, details: dict | None = None, notice: str = "") -> dict:
    return {
        "noticeId": notice or f"n-{recording.sid}-{event_type}-{sequence}",
        "productId": 3,
        "eventType": event_type,
        "notifyMs": _now_ms(),
        "payload": {
            "cname": recording.session.channel_name,
            "uid": str(recording.recorder_uid),
            "sid": recording.sid,
            "sequence": sequence,
            "sendts": int(timezone.now().timestamp() * 1000),
            "serviceType": 0,
            "details": details or {},
        },
    }


def channel_event(session, event_type: int, uid: int, seq: int, ts: int | None = None) -> dict:
    return {
        "noticeId": f"rtc-{session.channel_name}-{event_type}-{uid}-{seq}",
        "productId": 1,
        "eventType": event_type,
        "notifyMs": _now_ms(),
        "sid": "rtc-session",
        "payload": {
            "channelName": session.channel_name,
            "uid": uid,
            "platform": 1,
            "clientSeq": seq,
            "ts": ts or int(timezone.now().timestamp()),
        },
    }


def box(kind: bytes, *parts: bytes) -> bytes:
    """One ISO BMFF box: 32-bit size, four-character type, payload."""
    payload = b"".join(parts)
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def mvhd(timescale: int = 1000, duration: int = 3000) -> bytes:
    # version 0, flags, creation and modification times, timescale, duration, then the rest (rate, matrix...).
    return box(b"mvhd", bytes(4), bytes(8), timescale.to_bytes(4, "big"), duration.to_bytes(4, "big"), bytes(80))


def trak(handler: bytes) -> bytes:
    # hdlr: version/flags, pre_defined, handler_type, 3 reserved words, a name.
    hdlr = box(b"hdlr", bytes(4), bytes(4), handler, bytes(12), b"Handler\x00")
    return box(b"trak", box(b"mdia", box(b"mdhd", bytes(24)), hdlr))


def mp4_bytes(
    major: bytes = b"isom",
    compatible: tuple[bytes, ...] = (b"isom", b"iso2", b"avc1", b"mp41"),
    handlers: tuple[bytes, ...] = (b"vide", b"soun"),
    moov: bytes | None = None,
) -> bytes:
    """A small MP4 as Agora and ffmpeg lay it out: ftyp, moov (mvhd: 3 s; a trak per handler), mdat."""
    ftyp = box(b"ftyp", major, (512).to_bytes(4, "big"), *compatible)
    if moov is None:
        moov = box(b"moov", mvhd(), *(trak(h) for h in handlers))
    return ftyp + moov + box(b"mdat", b"videodata")


MINIMAL_MP4 = mp4_bytes()
