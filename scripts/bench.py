"""Benchmark of the core API paths; prints figures, asserts nothing.

    .venv/bin/python scripts/bench.py            # SQLite (or whatever DATABASE_URL says)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python scripts/bench.py

It builds a throwaway test database, fills it (coaches, slots, sessions), then times through
Django's test client: booking, the session list at page sizes 20 and 100, the coach list, and
start-call (token building). Figures: median and 95th percentile milliseconds, queries per request,
and the peak resident memory of the process.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))


def timed(label: str, fn, rounds: int = ROUNDS) -> None:
    samples, queries = [], []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = fn()
            samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code < 400, (label, response.status_code, response.content[:300])
        queries.append(len(ctx.captured_queries))
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(
        f"{label:<44} p50 {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms   "
        f"queries {max(queries):3d}   n={rounds}"
    )


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory, SessionFactory
        from tests.helpers.api import client_for

        now = timezone.now()
        coaches = [CoachFactory() for _ in range(50)]
        customer = CustomerFactory()
        t0 = time.perf_counter()
        base = now + timedelta(days=2)
        for i in range(SESSIONS):
            coach = coaches[i % len(coaches)]
            start = base + timedelta(hours=i)  # one customer: their sessions never overlap
            SessionFactory(appointment=AppointmentFactory(coach=coach, start=start), customer=customer)
        print(
            f"fixture: {SESSIONS} sessions for one customer across {len(coaches)} coaches "
            f"in {time.perf_counter() - t0:.1f} s on {connection.vendor}"
        )

        client = client_for(customer)
        timed("GET /sessions?page_size=20", lambda: client.get("/api/v1/sessions?page_size=20"))
        timed("GET /sessions?page_size=100", lambda: client.get("/api/v1/sessions?page_size=100"))
        timed("GET /coaches?page_size=50", lambda: client.get("/api/v1/coaches?page_size=50"))

        # Far past the other sessions (which lie within ~85 days): the coach's horizon reaches them.
        from accounts.models import CoachProfile

        CoachProfile.objects.filter(pk=coaches[0].pk).update(booking_horizon_days=365)
        slots = iter(
            [AppointmentFactory(coach=coaches[0], start=now + timedelta(days=300, hours=i)) for i in range(ROUNDS)]
        )
        booker = client_for(CustomerFactory())
        timed(
            "POST /sessions (scheduled booking)",
            lambda: booker.post(
                "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(next(slots).id)}, format="json"
            ),
        )

        live = SessionFactory(
            appointment=AppointmentFactory(coach=coaches[1], start=now - timedelta(minutes=5)),
            customer=CustomerFactory(),
        )
        caller = client_for(live.customer)
        timed(
            "POST /sessions/{id}/start-call (reconnects)", lambda: caller.post(f"/api/v1/sessions/{live.id}/start-call")
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak resident memory of the process: {peak / 1024:.0f} MiB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
