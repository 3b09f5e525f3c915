"""Agora Notification Center: the webhook's signature and the notification format.

The only module that reads Agora's raw notification body. A notification is
``{noticeId, productId, eventType, notifyMs, sid?, payload: {...}}``; Cloud Recording (product 3)
puts ``cname``, ``uid``, ``sid``, ``sequence``, ``sendts`` and ``details`` in ``payload``, RTC channel
events (product 1) put ``channelName``, ``uid``, ``ts`` and ``reason`` there. :func:`parse` turns the
signed bytes into a :class:`Notification`; the recordings services only ever see that value.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError

from config.api.parsers import JSONParser
from integrations.agora._values import INT64_MAX, RecordedFile, as_int, as_text, recorded_files

SIGNATURE_HEADER = "Agora-Signature-V2"

PRODUCT_RTC = 1
PRODUCT_CLOUD_RECORDING = 3
# Cloud Recording event types.
EVENT_ERROR = 1
EVENT_FILE_INFOS = 4
EVENT_SESSION_EXIT = 11
EVENT_UPLOADED = 31
EVENT_BACKED_UP = 32
EVENT_RECORDER_STARTED = 40
EVENT_RECORDER_LEAVE = 41
# RTC channel events: broadcaster / audience / communication-profile user joined, and left.
RTC_JOIN_EVENTS = (103, 105, 107)
RTC_LEAVE_EVENTS = (104, 106, 108)

# Agora's notifications nest four levels deep. A bound far below the interpreter's recursion limit
# means a body that decodes is also one the database and every later json.dumps/loads can take,
# wherever in the stack that happens.
MAX_DEPTH = 32


class MalformedNotification(ValueError):
    """The body is not a notification: not JSON (or JSON with NaN/Infinity), nested absurdly deep,
    not an object, or carrying values no database column or JSON column can hold."""


@dataclass(frozen=True)
class RecordingError:
    """``cloud_recording_error`` details. ``level``: lower is milder; None when Agora gave none."""

    code: str | None
    message: str
    level: int | None


@dataclass(frozen=True)
class Notification:
    key: str  # the same for Agora's redundant deliveries of one event (see _event_key)
    notice_id: str
    product_id: int | None
    event_type: int | None
    sid: str  # the Cloud Recording session's sid (RTC events carry a channel session's instead)
    channel_name: str
    uid: int | None
    notified_at: datetime | None  # notifyMs: when Agora sent it
    occurred_at: datetime | None  # when it happened: sendts, else ts, else notifyMs
    files: tuple[RecordedFile, ...] = ()
    exit_status: int | None = None  # session_exit's exitStatus: 0 is a normal stop
    error: RecordingError | None = None
    leave_reason: str | None = None  # RTC leave events' reason
    body: dict[str, Any] | None = None  # the decoded body as received, kept for the audit trail

    @property
    def is_recording_event(self) -> bool:
        return self.product_id == PRODUCT_CLOUD_RECORDING

    @property
    def is_channel_event(self) -> bool:
        return self.product_id == PRODUCT_RTC


def is_configured() -> bool:
    return bool(settings.AGORA_WEBHOOK_SECRET)


def signature_valid(*, raw: bytes, signature: str | None) -> bool:
    """``signature`` is the hex HMAC-SHA256 of ``raw`` with ``AGORA_WEBHOOK_SECRET``."""
    secret = settings.AGORA_WEBHOOK_SECRET
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    # Bytes, not str: compare_digest refuses non-ASCII strings, and the header is anyone's input.
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8", "replace"))


def parse(raw: bytes) -> Notification:
    """The notification in a (verified) body. Raises :class:`MalformedNotification`."""
    try:
        # The API's own JSON parser, so the webhook has its guards: NaN/Infinity refused (not JSON,
        # and PostgreSQL's jsonb refuses them), nesting deep enough to exhaust the stack refused.
        body = JSONParser().parse(io.BytesIO(raw))
    except ParseError:
        raise MalformedNotification("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise MalformedNotification("The body is not a JSON object.")
    _check_storable(body)
    return from_body(body, key=_event_key(body, raw))


def from_body(body: dict[str, Any], *, key: str) -> Notification:
    """The notification of a body stored earlier (``WebhookEvent.payload``), under its stored key."""
    inner = _object(body.get("payload"))
    details = _object(inner.get("details"))
    product_id = as_int(body.get("productId"))
    event_type = as_int(body.get("eventType"))
    error = None
    if event_type == EVENT_ERROR:
        code = details.get("errorCode")
        level = details.get("errorLevel")
        error = RecordingError(
            code=None if code is None else str(code),
            message=str(details.get("errorMsg") or details.get("msgName") or "cloud recording error"),
            level=level if isinstance(level, int) and not isinstance(level, bool) else None,
        )
    reason = inner.get("reason")
    notified_at = _timestamp(body.get("notifyMs"), 1000)
    return Notification(
        key=key,
        notice_id=str(body.get("noticeId") or "")[:255],
        product_id=product_id,
        event_type=event_type,
        sid=str(inner.get("sid") or body.get("sid") or "")[:128],
        channel_name=as_text(inner.get("cname") if product_id == PRODUCT_CLOUD_RECORDING else inner.get("channelName")),
        uid=as_int(inner.get("uid"), INT64_MAX),
        notified_at=notified_at,
        occurred_at=_timestamp(inner.get("sendts"), 1000) or _timestamp(inner.get("ts"), 1) or notified_at,
        files=recorded_files(details.get("fileList")),
        exit_status=as_int(details.get("exitStatus")),
        error=error,
        leave_reason=None if reason is None else str(reason),
        body=body,
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _timestamp(value: object, per_second: int) -> datetime | None:
    number = as_int(value, INT64_MAX)
    if not number:
        return None
    try:
        return datetime.fromtimestamp(number / per_second, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _event_key(body: dict[str, Any], raw: bytes) -> str:
    """What makes two deliveries one event. Agora's redundant delivery may resend a Cloud Recording
    event under another ``noticeId``, so those are keyed by sid, type and sequence. The raw values
    go into the key as before this module existed: keys already stored keep matching."""
    inner = _object(body.get("payload"))
    product = body.get("productId")
    event_type = body.get("eventType")
    sid = inner.get("sid") or body.get("sid") or ""
    sequence = inner.get("sequence")
    if product == PRODUCT_CLOUD_RECORDING and sid and sequence is not None:
        return f"{product}:{sid}:{event_type}:{sequence}"[:255]
    if notice_id := body.get("noticeId"):
        return f"{product}:{notice_id}:{event_type}"[:255]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _check_storable(body: dict[str, Any]) -> None:
    """Refuse what decodes but cannot be stored: nesting past :data:`MAX_DEPTH`, numbers such as
    ``1e400`` (they decode to infinity), and strings PostgreSQL's jsonb refuses (NUL, a lone
    surrogate). Iterative, so the walk itself cannot exhaust the stack."""
    stack: list[tuple[object, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise MalformedNotification(f"The body is nested deeper than {MAX_DEPTH} levels.")
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise MalformedNotification(f"The body is nested deeper than {MAX_DEPTH} levels.")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise MalformedNotification("The body holds a number too large for JSON.")
        elif isinstance(value, str) and not _storable_text(value):
            raise MalformedNotification("The body holds a NUL character or a lone surrogate.")


def _storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"): no UTF-8 form, jsonb refuses it
        return False
    return True
