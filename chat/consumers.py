"""Live delivery of a session: ``/ws/sessions/<id>/?token=<token>``, participants only.

Events sent to the client: ``{"type": "message.created", "message": {...}}`` and
``{"type": "session.updated", "session": {...}}``. The socket is receive-only (send messages with
the REST API); ``{"type": "ping"}`` is answered with ``{"type": "pong"}``.

Refusals are explicit close codes after the handshake, so a browser client can tell them apart:
4401 no or bad token (also later, at the first event after the token was revoked by logout or
expired), 4404 no such session for this user.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat.broadcast import session_group
from config.api.errors import NotFoundError
from config.api.websocket import token_still_valid
from sessions_app.selectors import session_get_for_user

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


@database_sync_to_async
def _is_participant(user, session_id) -> bool:
    try:
        session_get_for_user(user=user, session_id=session_id)
    except NotFoundError:
        return False
    return True


class SessionConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        if not await _is_participant(user, session_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = session_group(session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            return  # binary frames mean nothing here: ignored, like any other unknown input
        await super().receive(text_data=text_data, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping" and await self._still_allowed():
            await self.send_json({"type": "pong"})

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    def _absolute(self, url: str) -> str:
        """Broadcast payloads carry paths; make them absolute with the host this socket used."""
        if not url.startswith("/"):
            return url
        headers = dict(self.scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin-1")
        if not host:
            return url
        secure = self.scope.get("scheme") in ("wss", "https")
        return f"{'https' if secure else 'http'}://{host}{url}"

    async def _still_allowed(self) -> bool:
        """The token this socket connected with may since have been revoked (logout) or expired:
        then the socket is closed with 4401 instead of delivering the event."""
        if await token_still_valid(self.scope.get("auth_token")):
            return True
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        await self.close(code=CLOSE_NOT_AUTHENTICATED)
        return False

    async def message_created(self, event: dict) -> None:
        if not await self._still_allowed():
            return
        message = dict(event["message"])
        if message.get("media"):
            message["media"] = {**message["media"], "url": self._absolute(message["media"]["url"])}
        await self.send_json({"type": "message.created", "message": message})

    async def session_updated(self, event: dict) -> None:
        if not await self._still_allowed():
            return
        await self.send_json({"type": "session.updated", "session": event["session"]})


class NotFoundConsumer(AsyncJsonWebsocketConsumer):
    """Unknown WebSocket paths: accepted, then closed with 4404 so clients see why."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
