"""Benchmark only: the HTTP application as ``django.core.asgi.get_asgi_application()`` builds it, so
scripts/bench_load.py can measure config/asgi_http.py's handler against Django's own (``uvicorn-django``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_floor_settings")
django_asgi_app = get_asgi_application()

from config.api.body_limit import BodyLimitMiddleware  # noqa: E402

application = BodyLimitMiddleware(django_asgi_app)
