"""Django's Redis cache, with one connection pool and one client per process and configuration.

Django keeps a cache backend per thread and per asyncio context (``django.core.cache.caches``); each
backend builds a connection pool of its own, and a new ``redis.Redis`` for every operation. Under
ASGI every request runs in a context of its own, so every request opened a TCP connection to Redis
(uvicorn, 93 requests of ``GET sessions/{id}/status``: 99 connections accepted by Redis) and every
cache call built a client object (about 0.2 ms of CPU, measured: most of the request throttle's
cost). Here the backends of one configuration share a single client and its pool: redis-py's
clients and pools are safe to share between threads, and a pool starts afresh in a forked child.
"""

from __future__ import annotations

import threading

from django.core.cache.backends import redis as django_redis
from django.utils.functional import cached_property


class SharedRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._lock = threading.Lock()

    def _pool_at(self, index: int):
        pool = self._pools.get(index)
        if pool is None:
            with self._lock:
                pool = self._pools.get(index)
                if pool is None:
                    pool = self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return pool

    def _get_connection_pool(self, write):
        return self._pool_at(self._get_connection_pool_index(write))

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._pool_at(index)
            with self._lock:
                client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


_shared: dict[tuple, SharedRedisCacheClient] = {}
_shared_lock = threading.Lock()


class RedisCache(django_redis.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` whose instances share their client."""

    @cached_property
    def _cache(self) -> SharedRedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _shared_lock:
            client = _shared.get(key)
            if client is None:
                client = _shared[key] = SharedRedisCacheClient(self._servers, **self._options)
        return client
