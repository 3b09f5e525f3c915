"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from config.api.body_limit import BodyLimitMiddleware  # noqa: E402
from config.api.websocket import TokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Oversized bodies are refused before Django reads them (config/api/body_limit.py).
        "http": BodyLimitMiddleware(django_asgi_app),
        # No Origin check: sockets authenticate with the API token, never with cookies, so a
        # foreign page gains nothing; and native mobile clients send no Origin at all.
        "websocket": TokenAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
