"""ASGI entry point: HTTP through Django (one thread hop a request), WebSockets through Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from config.api.body_limit import BodyLimitMiddleware  # noqa: E402
from config.api.websocket import TokenAuthMiddleware  # noqa: E402
from config.asgi_http import ThreadPoolASGIHandler  # noqa: E402

django_asgi_app = ThreadPoolASGIHandler(threads=settings.WEB_THREADS)

http_app = BodyLimitMiddleware(django_asgi_app)
if settings.CHANNEL_LAYER_FORWARD_SECRET and not settings.CHANNEL_LAYER_FORWARD_URL:
    # `make run` without Redis: this is the WebSocket process; the HTTP process sends its pushes
    # here (config/channel_forward.py). Settings refuse the secret outside development.
    from config.channel_forward import LayerBridge

    http_app = LayerBridge(http_app, settings.CHANNEL_LAYER_FORWARD_SECRET)

application = ProtocolTypeRouter(
    {
        # Oversized bodies are refused before Django reads them (config/api/body_limit.py).
        "http": http_app,
        # No Origin check: sockets authenticate with the API token, never with cookies, so a
        # foreign page gains nothing; and native mobile clients send no Origin at all.
        "websocket": TokenAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
