"""Counters over a time window in the cache (Redis when configured, so every process shares them).

The one door for "how many times in the last N seconds": login failures and chat sends count here.
``cache.add`` is atomic, so the first hit opens the window and later hits only increment; a key that
expires between the two calls starts a new window.
"""

from __future__ import annotations

from django.core.cache import cache


def window_hit(key: str, *, window_seconds: int) -> int:
    """Count one hit on ``key`` and return the count so far in its window."""
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.add(key, 1, timeout=window_seconds)
        return 1


def window_count(key: str) -> int:
    """The hits on ``key`` in its current window (0 once it expired)."""
    return cache.get(key) or 0


def window_reset(key: str) -> None:
    cache.delete(key)
