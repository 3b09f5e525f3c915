from django.urls import re_path

from chat.consumers import NotFoundConsumer, SessionConsumer
from config.api.routing import UUID_RE

websocket_urlpatterns: list = [
    re_path(rf"^ws/sessions/(?P<session_id>{UUID_RE})/?$", SessionConsumer.as_asgi()),
    # Anything else: closed with 4404 (Channels would otherwise fail the handshake with a 500).
    re_path(r"", NotFoundConsumer.as_asgi()),
]
