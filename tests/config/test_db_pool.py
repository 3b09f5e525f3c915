"""PostgreSQL connections come from one bounded pool per process: a burst of more threads than the
pool holds waits for a connection instead of opening more, and nothing is left open afterwards."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.utils import OperationalError


def _backends_of_this_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _burst(threads: int, hold_seconds: float) -> tuple[list, list]:
    """``threads`` threads at once, each holding a connection for ``hold_seconds`` as a request does,
    then handing it back (what Django does when a request finishes)."""
    results, errors = [], []
    barrier = threading.Barrier(threads)

    def request() -> None:
        try:
            barrier.wait()
            with connections["default"].cursor() as cursor:
                cursor.execute("select pg_backend_pid() from pg_sleep(%s)", [hold_seconds])
                results.append(cursor.fetchone()[0])
        except Exception as exc:
            errors.append(exc)
        finally:
            connections["default"].close()

    workers = [threading.Thread(target=request) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, errors


def test_postgres_uses_the_pool_without_persistent_connections(postgres):
    options = settings.DATABASES["default"]["OPTIONS"]["pool"]
    assert options["max_size"] == settings.DATABASE_POOL_MAX_SIZE
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    assert connection.pool is not None


@pytest.mark.django_db(transaction=True)
def test_a_burst_beyond_the_pool_waits_and_reuses_connections(postgres):
    max_size = settings.DATABASE_POOL_MAX_SIZE
    peak = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak.append(connection.pool.get_stats()["pool_size"])
            stop.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results, errors = _burst(threads=3 * max_size, hold_seconds=0.2)
    finally:
        stop.set()
        watcher.join()
    assert errors == []
    assert len(results) == 3 * max_size
    # Never more connections than the pool holds: the same backends served every thread.
    assert max(peak) <= max_size
    assert len(set(results)) <= max_size
    stats = connection.pool.get_stats()
    assert stats["requests_waiting"] == 0
    assert stats.get("requests_queued", 0) > 0  # some threads waited for a connection
    # Nothing leaked: every thread's connection went back (the test's own thread may hold one),
    # and PostgreSQL sees no more than the pool's.
    assert stats["pool_size"] - stats["pool_available"] <= 1
    assert _backends_of_this_database() <= max_size


@pytest.mark.django_db(transaction=True)
def test_a_wait_longer_than_the_pool_timeout_is_a_database_error_not_a_hang(postgres):
    pool = connection.pool
    connection.close()  # the test thread hands its own back: the pool is all in `held`
    held = [pool.getconn() for _ in range(settings.DATABASE_POOL_MAX_SIZE)]
    try:
        old_timeout, pool.timeout = pool.timeout, 0.3
        results, errors = _burst(threads=1, hold_seconds=0)
    finally:
        pool.timeout = old_timeout
        for conn in held:
            pool.putconn(conn)
    assert results == []
    assert len(errors) == 1 and isinstance(errors[0], OperationalError)
