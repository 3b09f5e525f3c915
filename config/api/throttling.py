"""The API's request throttles, failing open when the cache is down.

They read the cache before any view runs, so a Redis outage would otherwise make every endpoint
a 500, health included. A request throttle is a courtesy limit, not a guarantee: without the cache
the request goes through and a warning is logged. (The guarantees that rest on the cache, login
lockout and the chat's send rate, refuse with 503 instead: ``config.dependencies.cache_required``.)
"""

from __future__ import annotations

import logging

from rest_framework import throttling

from config.dependencies import CACHE_ERRORS

logger = logging.getLogger(__name__)


class _FailOpen:
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            logger.warning("Cache unavailable, %s lets the request through: %s", type(self).__name__, exc)
            self.history = []
            return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    pass
