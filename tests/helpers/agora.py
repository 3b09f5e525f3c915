"""Agora's notifications as the tests send them: signed bodies, recording and channel events."""

from __future__ import annotations

import hashlib
import hmac

from django.utils import timezone

APP_ID = "a" * 32
WEBHOOK_SECRET = "whsec-test-secret"


def sign(raw: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


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
