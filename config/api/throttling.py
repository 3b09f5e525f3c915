"""Request throttles that cost one cache round trip, whatever the rate.

DRF's throttles keep a list of the timestamps of every request in the window: each request reads
the whole list from Redis, and writes it back one entry longer (``get`` + ``set`` of up to
``num_requests`` floats: 600 a minute by default, more where operators raise the rate). Profiling
the hot read paths showed that list's pickling and transfer on every request. These throttles count
requests in fixed windows instead: on Redis one pipelined ``INCR`` + ``EXPIRE NX``; on other caches
(development, tests) ``add``/``incr``. A client gets at most ``num_requests`` in each window of the
rate's duration; ``Retry-After`` is the time until the window ends.

They fail open: they run before any view, so a Redis outage would otherwise make every endpoint a
500, health included. A request throttle is a courtesy limit, not a guarantee: without the cache
the request goes through and a warning is logged. (The guarantees that rest on the cache, login
lockout and the chat's send rate, refuse with 503 instead: ``config.dependencies.cache_required``.)
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy
from rest_framework import throttling

from config.dependencies import CACHE_ERRORS

logger = logging.getLogger(__name__)


def _hit(cache, key: str, timeout: int) -> int:
    """Count one request under ``key`` (which expires after ``timeout`` seconds); the new count."""
    if isinstance(cache, ConnectionProxy):  # DRF's ``cache`` is django.core.cache.cache: the backend behind it
        cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        pipe = cache._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, timeout, nx=True)
        count, _ = pipe.execute()
        return int(count)
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout)
        return 1


class _CountingThrottle:
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        try:
            return self._count(request, view)
        except CACHE_ERRORS as exc:
            logger.warning("Cache unavailable, %s lets the request through: %s", type(self).__name__, exc)
            return True

    def _count(self, request, view) -> bool:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        # One second past the window, so a count is never read after its window's end.
        return _hit(self.cache, f"{self.key}:{window}", self.duration + 1) <= self.num_requests

    def wait(self) -> float:
        return max(self.wait_seconds, 1.0)


class UserRateThrottle(_CountingThrottle, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_CountingThrottle, throttling.AnonRateThrottle):
    pass
