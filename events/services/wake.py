"""Waking a relay after a commit: once per transaction, and off the request's path.

A committed event needs a relay to come by. Sending a Celery task per event cost the request a
broker round trip and the workers a task each. Instead:

- A transaction that emitted registers one on-commit callback, however many events it wrote.
- Under eager Celery (``make run``, tests) that callback runs the relay at once, in the request.
- On a real broker it pokes this process's waker thread and returns: the request does not wait.
  The thread takes the shared *wake flag* (one ``SET NX`` in the cache) and sends the relay task
  only if it got it; a flag already set means a relay is queued or at work and will see the event.
- A relay renews the flag while it works; when it runs out of work it drops the flag and then
  looks once more, so an event whose emitter found the flag still set is never left behind.

What can go wrong costs time, never events: a process that dies before its thread sent the task,
a task that is lost, a relay killed while holding the flag (it lapses after ``FLAG_SECONDS``) all
leave pending events in the outbox, and the beat sweep relays them.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from config.dependencies import CACHE_ERRORS
from config.tasks import enqueue

logger = logging.getLogger(__name__)

RELAY_TASK = "events.tasks.relay_events"
FLAG_KEY = "events:relay-wake"
# Longer than a relay goes between two renewals (one batch), short enough that a dead relay's flag
# delays nothing for long.
FLAG_SECONDS = 15


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def _redis_client(key: str):
    """The Redis client and full key behind ``key`` when the cache is Redis: one ``SET NX EX``
    instead of the cache API's pickling ``add``."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        return backend._cache.get_client(full_key, write=True), full_key
    return None, key


def flag_take() -> bool:
    """Set the wake flag if nobody holds it; True if this caller set it (and so must send a relay).
    Without the cache, True: better a task too many than an event that waits for the sweep."""
    try:
        client, key = _redis_client(FLAG_KEY)
        if client is not None:
            return bool(client.set(key, b"1", nx=True, ex=FLAG_SECONDS))
        return cache.add(FLAG_KEY, 1, FLAG_SECONDS)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable: waking a relay without the wake flag", exc_info=True)
        return True


def flag_hold() -> None:
    """A relay at work: keep the flag (emitters then leave the new events to it)."""
    with contextlib.suppress(*CACHE_ERRORS):
        cache.set(FLAG_KEY, 1, FLAG_SECONDS)


def flag_drop() -> None:
    with contextlib.suppress(*CACHE_ERRORS):
        cache.delete(FLAG_KEY)


def relay_now() -> bool:
    """Send the relay task unless one is queued or at work; True if a task was sent."""
    if not flag_take():
        return False
    if enqueue(RELAY_TASK):
        return True
    flag_drop()  # nothing was queued: the next commit tries again (and the sweep is there)
    return False


class _Waker:
    """One daemon thread per process that sends the wake-ups the commits asked for. Pokes that
    arrive while it is sending are folded into one more round, so a burst costs one or two."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        atexit.register(self.flush)

    def poke(self) -> None:
        if self._pid != os.getpid():  # first use, or a forked child (threads do not survive a fork)
            self._start()
        self._wanted.set()

    def flush(self) -> None:
        """At exit (a management command that emitted): send what is still asked for."""
        if self._pid == os.getpid() and self._wanted.is_set():
            self._wanted.clear()
            relay_now()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._wanted = threading.Event()
            threading.Thread(target=self._run, args=(self._wanted,), name="events-relay-waker", daemon=True).start()
            self._pid = os.getpid()

    @staticmethod
    def _run(wanted: threading.Event) -> None:
        while True:
            wanted.wait()
            wanted.clear()
            try:
                relay_now()
            except Exception:
                logger.exception("Could not wake a relay; the sweep relays the events")


_waker = _Waker()


def _after_commit() -> None:
    if _eager():
        enqueue(RELAY_TASK)  # runs the relay here and now, as make run promises
    else:
        _waker.poke()


def relay_after_commit() -> None:
    """Wake a relay once the current transaction commits (at once outside one); one per transaction."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is _after_commit for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_after_commit)
