"""The ASGI application refuses oversized bodies before Django reads them, through the real stack."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from asgiref.sync import async_to_sync

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _call(
    path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]], root_path: str = ""
) -> tuple[int, bytes, int]:
    """Send one request; returns (status, body, how many chunks the application asked for)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": root_path + path,
        "raw_path": (root_path + path).encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    pending = list(chunks)
    asked = 0
    sent: list[dict] = []

    async def receive():
        nonlocal asked
        if pending:
            asked += 1
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending)}
        await asyncio.sleep(3600)  # the client stays connected, sending nothing more

    async def send(message):
        sent.append(message)

    await asyncio.wait_for(application(scope, receive, send), timeout=10)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, asked


def _messages_path() -> str:
    return f"/api/v1/sessions/{uuid.uuid4()}/messages"


def test_an_announced_oversized_upload_is_refused_before_any_byte_is_read(settings):
    settings.CHAT_VIDEO_MAX_BYTES = 1000
    settings.CHAT_IMAGE_MAX_BYTES = 500
    too_big = str(1000 + 1024 * 1024 + 1).encode()
    status, body, asked = async_to_sync(_call)(
        _messages_path(),
        [b"x" * 10],
        [(b"content-type", b"multipart/form-data; boundary=z"), (b"content-length", too_big)],
    )
    assert status == 413
    assert json.loads(body)["error"]["code"] == "file_too_large"
    assert asked == 0


def test_a_chunked_body_is_cut_off_at_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    chunk = b"x" * (256 * 1024)
    chunks = [chunk] * 40  # 10 MiB without a Content-Length; the limit is about 1 MiB
    status, body, asked = async_to_sync(_call)("/api/v1/auth/login", chunks, [(b"content-type", b"application/json")])
    assert status == 413
    assert json.loads(body)["error"]["code"] == "file_too_large"
    assert asked < 10  # stopped reading soon after the limit, not at the end of the body


def test_bodies_within_the_limit_reach_the_api():
    payload = json.dumps({"email": "nobody@example.com", "password": "wrong-password"}).encode()
    status, body, _ = async_to_sync(_call)(
        "/api/v1/auth/login",
        [payload],
        [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
    )
    assert status == 401
    assert json.loads(body)["error"]["code"] == "invalid_credentials"


def test_the_upload_limit_applies_under_a_path_prefix_too(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    size = str(3 * 1024 * 1024).encode()  # over the limit of other paths, within the chat's
    status, body, asked = async_to_sync(_call)(
        _messages_path(),
        [b"x" * 10],
        [(b"content-type", b"multipart/form-data; boundary=z"), (b"content-length", size)],
        root_path="/coach",
    )
    assert status != 413  # the chat path is recognised behind the prefix: the body is read
    assert asked >= 1
