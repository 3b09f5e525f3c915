"""The Redis cache keeps one client and one connection pool per process, whatever the thread or the
asyncio context a request runs in (config/cache.py)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings

NAME = f"cache-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def redis_cache(redis_url):
    # A client name of this test's own: its connections are told apart from everyone else's on the server.
    backend = {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url, "OPTIONS": {"client_name": NAME}}
    with override_settings(CACHES={"default": backend}):
        yield caches


def _in_fresh_context_and_thread(fn):
    """Run ``fn`` as an ASGI request's sync code runs: another thread, a copied context."""
    out = []
    context = contextvars.copy_context()
    thread = threading.Thread(target=lambda: out.append(context.run(fn)))
    thread.start()
    thread.join()
    return out[0]


def test_backends_of_every_thread_and_context_share_one_client(redis_cache):
    def client():
        backend = redis_cache["default"]
        return backend, backend._cache.get_client(write=True)

    here_backend, here = client()
    there_backend, there = _in_fresh_context_and_thread(client)
    assert here_backend is not there_backend  # Django's handler still gives each its own backend
    assert here is there


def test_many_requests_worth_of_cache_calls_open_one_connection(redis_cache, redis_url):
    import redis

    raw = redis.Redis.from_url(redis_url)

    def connections() -> int:
        return sum(1 for client in raw.client_list() if client["name"] == NAME)

    def request(i: int) -> None:
        redis_cache["default"].set(f"cache-test-{i}", i, 30)
        assert redis_cache["default"].get(f"cache-test-{i}") == i

    request(-1)  # the pool's first connection

    async def requests():
        await asyncio.gather(*(asyncio.to_thread(request, i) for i in range(40)))

    asyncio.run(requests())
    for i in range(10):
        _in_fresh_context_and_thread(lambda i=i: request(100 + i))
    # Up to one connection per thread that used the pool at once; far from one per request.
    assert 1 <= connections() <= 12
    redis_cache["default"].delete_many([f"cache-test-{i}" for i in (-1, *range(40), *range(100, 110))])
