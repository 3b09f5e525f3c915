"""Benchmark of weekly-schedule publishing and of the free-slot list; prints figures, asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_avail .venv/bin/python scripts/bench_availability.py

It uses the database of DATABASE_URL itself (migrated, then emptied: its name must start with
``bench``), so give it one of its own. Figures:

1. publishing 4 weeks for BENCH_COACHES (1,000) coaches with 10 rules each, in six time zones:
   time, slots, queries, peak memory; then a second run, which must publish nothing;
2. ``GET coaches/{id}/appointments`` over 4 weeks of a coach with ~300 slots, half of them booked:
   p50/p95 and queries, against the same request answered by the list as it was before schedules
   (no horizon, no buffers: the earlier selector, kept below as the baseline).
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

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

COACHES = int(os.environ.get("BENCH_COACHES", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))
ZONES = ["America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney", "Asia/Riyadh", "Asia/Kolkata"]


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_coaches(n: int):
    from accounts.models import CoachProfile, User

    users = [
        User(
            email=f"bench-coach-{i}@example.com",
            first_name="Coach",
            last_name=str(i),
            role=User.Role.COACH,
            timezone=ZONES[i % len(ZONES)],
            password="!",  # unusable: nobody logs in
        )
        for i in range(n)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    CoachProfile.objects.bulk_create(
        [CoachProfile(user=u, hourly_rate=60, is_verified=True, verified_at=timezone.now()) for u in users],
        batch_size=1000,
    )
    return users


def bench_publishing() -> None:
    from availability.models import WeeklyRule
    from availability.services import schedule_publish

    t0 = time.perf_counter()
    coaches = make_coaches(COACHES)
    # Ten rules a coach: weekday mornings and afternoons, 60-minute slots (6 a day, 120 in 4 weeks).
    WeeklyRule.objects.bulk_create(
        [
            WeeklyRule(coach=c, weekday=d, start_minute=start, end_minute=start + 180, duration_minutes=60)
            for c in coaches
            for d in range(5)
            for start in (9 * 60, 14 * 60)
        ],
        batch_size=5000,
    )
    print(f"fixture: {COACHES} coaches x 10 rules in {time.perf_counter() - t0:.1f} s on {connection.vendor}")

    now = timezone.now()
    for label in ("first run", "second run"):
        counter = QueryCounter()
        before = peak_mib()
        with connection.execute_wrapper(counter):
            t0 = time.perf_counter()
            result = schedule_publish(now=now)
            elapsed = time.perf_counter() - t0
        print(
            f"publish {label:<10}: {elapsed:6.2f} s  coaches {result.coaches}  created {result.created:6d}  "
            f"withdrawn {result.withdrawn}  queries {counter.count}  peak RSS {peak_mib():.0f} MiB "
            f"(+{peak_mib() - before:.0f})"
        )


def baseline_free_slots(*, coach_id, filters=None, now=None):
    """``appointment_free_for_coach`` as it was before schedules: no horizon, no buffered neighbours."""
    from sessions_app.models import Appointment

    now = now or timezone.now()
    filters = filters or {}
    qs = (
        Appointment.objects.filter(
            coach_id=coach_id,
            coach__coach_profile__is_verified=True,
            coach__is_active=True,
            is_instant=False,
            start__gt=now,
        )
        .with_booking()
        .filter(is_booked=False)
    )
    if start := filters.get("from"):
        qs = qs.filter(start__gte=start)
    if end := filters.get("to"):
        qs = qs.filter(start__lt=end)
    return qs.order_by("start")


def timed(label: str, fn) -> float:
    samples, queries = [], []
    for _ in range(ROUNDS):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            t0 = time.perf_counter()
            response = fn()
            samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content[:300]
        queries.append(counter.count)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(f"{label:<58} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   queries {max(queries):3d}   n={ROUNDS}")
    return p50


def bench_free_list() -> None:
    from accounts.models import CoachProfile
    from availability.services import Rule, Schedule, schedule_replace
    from sessions_app import selectors
    from sessions_app.models import Appointment
    from tests.factories import CoachFactory, CustomerFactory, SessionFactory
    from tests.helpers.api import client_for

    coach = CoachFactory()
    # 08:00-19:00 every day in 60-minute slots: 11 a day, ~300 in four weeks.
    rules = [Rule(d, 8 * 60, 19 * 60, 60) for d in range(7)]
    schedule_replace(coach=coach, schedule=Schedule("Europe/Berlin", rules, 0, 0, None, 28))
    slots = list(Appointment.objects.filter(coach=coach).order_by("start"))
    customer = CustomerFactory()
    for slot in slots[::2]:
        SessionFactory(appointment=slot, customer=customer)
    CoachProfile.objects.filter(pk=coach.pk).update(buffer_after_minutes=0)
    print(f"fixture: one coach, {len(slots)} slots over 4 weeks, {len(slots[::2])} booked")

    client = client_for(CustomerFactory())
    now = timezone.now()
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    path = f"/api/v1/coaches/{coach.pk}/appointments?page_size=100&from={now:{fmt}}&to={now + timedelta(days=28):{fmt}}"

    with_feature = timed("GET coaches/{id}/appointments (horizon + buffers)", lambda: client.get(path))
    current = selectors.appointment_free_for_coach
    selectors.appointment_free_for_coach = baseline_free_slots
    try:
        without = timed("GET coaches/{id}/appointments (before schedules)", lambda: client.get(path))
    finally:
        selectors.appointment_free_for_coach = current
    print(f"ratio with / without the schedule feature: {with_feature / without:.2f}")


def main() -> None:
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not str(name).startswith("bench"):
        sys.exit("Run it on a PostgreSQL database of its own whose name starts with 'bench' (it is emptied).")
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    bench_publishing()
    bench_free_list()
    call_command("flush", interactive=False, verbosity=0)


if __name__ == "__main__":
    main()
