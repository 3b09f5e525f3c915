"""An ASGI guard that refuses oversized request bodies before the application reads them.

Django's ASGI handler receives the whole body (spooled to a temporary file) before any view or
upload handler runs, so limits checked there only apply once the bytes are in. This wrapper answers
413 ``file_too_large`` as soon as the announced ``Content-Length`` is over the limit of the path,
and cuts a body without one (chunked) off at the limit, so a client cannot make the server take in
more than the largest allowed upload. Chat uploads get the chat limit; every other path the limit
of non-file bodies. Both come from the settings at request time.

The body limits are stated here once: the chat's upload checks (its view and upload handler) and
the exception handler's 413 read them from this module.
"""

from __future__ import annotations

import json
import re

from django.conf import settings

# POST sessions/<id>/messages, with or without the trailing slash: the only endpoint taking files.
_UPLOAD_PATH = re.compile(r"^/api/v1/sessions/[0-9a-fA-F-]{32,36}/messages/?$")
MIB = 1024 * 1024
# Room for the multipart envelope and the text next to the file.
ENVELOPE_BYTES = MIB


def upload_max_bytes() -> int:
    """The most any single chat upload may be, before we know what it is."""
    return max(settings.CHAT_IMAGE_MAX_BYTES, settings.CHAT_VIDEO_MAX_BYTES)


def upload_body_max_bytes() -> int:
    """The most a body carrying a chat upload may be: the file and its envelope."""
    return upload_max_bytes() + ENVELOPE_BYTES


def data_max_bytes() -> int:
    """The most a JSON or form body may be (Django refuses more with ``RequestDataTooBig``)."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def body_limit_for(path: str) -> int:
    if _UPLOAD_PATH.match(path):
        return upload_body_max_bytes()
    return data_max_bytes() + ENVELOPE_BYTES


def _too_large_body(limit: int) -> bytes:
    error = {"code": "file_too_large", "message": f"Request bodies here can be at most {limit} bytes."}
    return json.dumps({"error": error}).encode()


class BodyLimitMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):  # mounted under a prefix (uvicorn --root-path)
            path = path[len(root) :]
        limit = body_limit_for(path)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                announced = int(length)
            except ValueError:
                announced = None
            if announced is not None and announced > limit:
                return await self._refuse(send, limit)

        received = 0
        overflowed = False
        started = False

        async def limited_receive():
            nonlocal received, overflowed
            if overflowed:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Tell the application the client went away: it stops reading and answers nothing.
                    overflowed = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if overflowed and not started:
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send, limit: int) -> None:
        body = _too_large_body(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
