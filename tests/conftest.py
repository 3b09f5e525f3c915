"""Shared fixtures: actors, API clients, and the service gates.

Tests that need PostgreSQL or Redis use the ``postgres`` / ``redis_url`` fixtures: without the
service they skip with the reason, and with ``REQUIRE_SERVICES=1`` (set by ``.ci/run``) they fail,
so CI can never go green by skipping.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import CoachFactory, CustomerFactory, StaffFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need(reason: str) -> None:
    """Skip, or fail when the services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        need("needs PostgreSQL: set DATABASE_URL=postgres://... to run it")


@pytest.fixture
def redis_url():
    url = settings.REDIS_URL or os.environ.get("REDIS_URL", "")
    if not url:
        need("needs Redis: set REDIS_URL=redis://... to run it")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        need(f"Redis at {url} is not reachable: {exc}")
    return url


@pytest.fixture(autouse=True)
def _isolation(settings, tmp_path):
    """Each test: eager Celery (the worker tests switch it off), fresh cache, its own media dir."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    storages = dict(settings.STORAGES)
    if storages["default"]["BACKEND"].endswith("FileSystemStorage"):
        storages["default"] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        }
        storages["recordings"] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "recordings")},
        }
        settings.STORAGES = storages
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def coach(db):
    return CoachFactory()


@pytest.fixture
def customer(db):
    return CustomerFactory()


@pytest.fixture
def outsider(db):
    """A customer with no part in the sessions under test."""
    return CustomerFactory()


@pytest.fixture
def other_coach(db):
    return CoachFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def anon_client():
    return APIClient()


def client_for(user) -> APIClient:
    """An API client with a real Bearer token of ``user``."""
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.user = user
    return client


@pytest.fixture
def api():
    """``api(user)`` -> an authenticated APIClient."""
    return client_for


__all__ = ["UserFactory"]
