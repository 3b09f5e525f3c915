"""``GET /api/v1/health``: is every dependency reachable?"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.celery import app


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return "ok" if ok else "cache did not return the value it stored"


def _check_broker() -> str:
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return "ok"  # no broker: tasks run eagerly in the web process
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def health_checks() -> dict[str, str]:
    """Each dependency: ``"ok"`` or the error (the API's answer and the staff dashboard's panel)."""
    body = {}
    for name, check in (("database", _check_database), ("cache", _check_cache), ("broker", _check_broker)):
        try:
            body[name] = check()
        except Exception as exc:
            body[name] = f"error: {type(exc).__name__}: {exc}"[:300]
    return body


HealthSerializer = inline_serializer(
    name="Health",
    fields={"database": serializers.CharField(), "cache": serializers.CharField(), "broker": serializers.CharField()},
)


class HealthApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request):
        body = health_checks()
        healthy = all(v == "ok" for v in body.values())
        return Response(body, status=200 if healthy else 503)
