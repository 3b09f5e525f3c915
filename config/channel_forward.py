"""WebSocket pushes across processes without Redis: for `make run` only.

Served like production, `make run` has two processes: gunicorn answers HTTP, uvicorn holds the
WebSockets. A message posted over HTTP is pushed to the sockets through the channel layer, which in
production is Redis. A newcomer's machine has no Redis, and an in-memory layer does not reach
another process, so here the HTTP process hands each ``group_send`` to the WebSocket process over
loopback HTTP (:class:`ForwardingChannelLayer`), and that process sends it on its own in-memory
layer (:class:`LayerBridge`), where the consumers are.

Both ends need ``CHANNEL_LAYER_FORWARD_SECRET`` (scripts/run.sh makes a new one each run), and the
bridge exists only with ``DJANGO_DEBUG`` on, no Redis and that secret set: production never has it.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from hmac import compare_digest

from channels.layers import BaseChannelLayer, get_channel_layer

PATH = "/internal/channel-layer"
HEADER = "X-Channel-Layer-Secret"
# A push carries one serialized message or session; anything larger is not one of ours.
MAX_BODY = 1024 * 1024


class ForwardingChannelLayer(BaseChannelLayer):
    """The HTTP process's layer: ``group_send`` goes to the WebSocket process's bridge. It only
    sends (this process has no consumers), as chat/broadcast.py does."""

    def __init__(self, url: str, secret: str, timeout: float = 2.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.url, self.secret, self.timeout = url, secret, timeout

    def _post(self, payload: dict) -> None:
        request = urllib.request.Request(  # noqa: S310 - a loopback URL from this run's own settings
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", HEADER: self.secret},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            answer.read()

    async def group_send(self, group: str, message: dict) -> None:
        assert self.require_valid_group_name(group)
        await asyncio.to_thread(self._post, {"group": group, "message": message})


class LayerBridge:
    """ASGI middleware of the WebSocket process: ``POST /internal/channel-layer`` with the secret is
    sent on this process's layer; every other request goes on to ``app``."""

    def __init__(self, app, secret: str, layer=None) -> None:
        self.app, self.secret, self.layer = app, secret, layer

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != PATH:
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        given = headers.get(HEADER.lower().encode(), b"").decode("latin-1")
        if scope["method"] != "POST" or not compare_digest(given, self.secret):
            return await _answer(send, 403)
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if len(body) > MAX_BODY:
                return await _answer(send, 413)
            if not event.get("more_body"):
                break
        try:
            payload = json.loads(body)
            group, message = payload["group"], payload["message"]
        except (ValueError, KeyError, TypeError):
            return await _answer(send, 400)
        await (self.layer or get_channel_layer()).group_send(group, message)
        return await _answer(send, 204)


async def _answer(send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
