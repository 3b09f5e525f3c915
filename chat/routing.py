from django.urls import re_path

from chat.consumers import SessionConsumer
from config.api.routing import UUID_RE

websocket_urlpatterns: list = [
    re_path(rf"^ws/sessions/(?P<session_id>{UUID_RE})/?$", SessionConsumer.as_asgi()),
]
