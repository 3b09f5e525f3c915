"""Requests released together, for the race tests (on PostgreSQL)."""

from __future__ import annotations

import threading

from django.db import connection


def fire_at_once(requests) -> list[tuple[int, dict]]:
    """Run each zero-argument ``request`` in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait(timeout=30)
            res = request()
            results[index] = (res.status_code, res.json() if res.content else {})
        except Exception as exc:  # reported as a failed request below
            results[index] = (None, {"exception": repr(exc)})
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a booking request hung"
    return results
