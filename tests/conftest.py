"""Shared fixtures: actors, API clients, and the service gates.

Tests that need PostgreSQL or Redis use the ``postgres`` / ``redis_url`` fixtures: without the
service they skip with the reason, and with ``REQUIRE_SERVICES=1`` (set by ``.ci/run``) they fail,
so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import CoachFactory, CustomerFactory, StaffFactory
from tests.helpers.api import client_for
from tests.helpers.services import free_port, need


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
    # Real hashing costs ~100 ms a user; tests make hundreds. Set here only, for every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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


@pytest.fixture
def api():
    """``api(user)`` -> an authenticated APIClient."""
    return client_for


@pytest.fixture(scope="session")
def schema_document():
    """The OpenAPI document as ``/api/schema/`` serves it (built once: it reads no database)."""
    res = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert res.status_code == 200
    return res.json()


@pytest.fixture(scope="session")
def moto_endpoint():
    """A real S3 endpoint (moto's server mode) on a local port, for the whole test run."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint(moto_endpoint):
    """moto behind a gateway that refuses expired or tampered presigned URLs, as S3 does
    (moto alone serves them regardless; see tests/s3_gateway.py)."""
    from tests.s3_gateway import start_gateway

    server, url = start_gateway(upstream=moto_endpoint, secret="testing")
    yield url
    server.shutdown()


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    """Switch ``default`` and ``recordings`` storage to django-storages S3 on moto; returns a boto3 client."""
    import uuid

    import boto3

    moto_endpoint = s3_endpoint

    bucket = f"test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": moto_endpoint,
        "region_name": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "signature_version": "s3v4",
    }
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_RECORDINGS_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "recordings": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    client.bucket = bucket
    return client


@pytest.fixture
def live_celery_worker(redis_url, transactional_db):
    """A real Celery worker consuming from Redis (in a thread of this process, same test database).

    Use with ``@pytest.mark.django_db(transaction=True)``: the worker has its own DB connection and
    only sees committed rows. Tasks are sent to the broker, not run eagerly, while it is up.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    old = {key: app.conf.get(key) for key in keys}
    # A queue of this test's own: a developer's `make worker` on the same Redis must not take its tasks.
    queue = f"tests-{uuid.uuid4().hex}"
    app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue)
    # Celery caches the result backend per thread; an eager test before this one cached "none".
    app._local.__dict__.pop("backend", None)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]):
            yield app
    finally:
        app.conf.update(old)
        app._local.__dict__.pop("backend", None)
