"""Benchmark of notifications; prints figures, asserts nothing.

    .venv/bin/python scripts/bench_notifications.py                       # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python scripts/bench_notifications.py

1. Due reminders: N planned reminders (``BENCH_REMINDERS``, default 10,000; and a fifth of that first,
   to show memory does not grow with N) are released by one ``send_due_notifications`` run to a
   real SMTP server (aiosmtpd) and a local FCM v1 server with its OAuth exchange, one device per
   recipient: time, rate, the growth of the process's resident memory during the run, and checks that each
   went out once (deliveries SENT with one attempt, one push per notification id, N e-mails).
2. Booking latency with notifications on vs off: scheduled bookings through the API, whose service
   writes the outbox event, tasks sent to a broker (not run in the request), as in production.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

REMINDERS = int(os.environ.get("BENCH_REMINDERS", "10000"))
BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "100"))


def _fixture(n: int, tag: str):
    """``n`` due 60-minute reminders: n/2 one-minute sessions, ten per coach/customer pair (one device
    each), starting 40 to 51 minutes from now, so every reminder is due and still worth sending."""
    from accounts.models import User
    from notifications.kinds import Kind
    from notifications.models import Device, Notification
    from sessions_app.models import Session, SessionNumber

    pairs = max(1, n // 20)
    now = timezone.now().replace(microsecond=0)
    users = User.objects.bulk_create(
        [
            User(email=f"{tag}-{role}{i}@example.com", first_name=role.title(), last_name=str(i), role=role)
            for i in range(pairs)
            for role in ("coach", "customer")
        ]
    )
    Device.objects.bulk_create([Device(user=u, platform="android", token=f"{tag}-device-{u.pk}") for u in users])
    sessions = []
    per_pair = n // 2 // pairs
    numbers = SessionNumber.objects.bulk_create([SessionNumber() for _ in range(per_pair * pairs)])
    numbers = iter(numbers)
    for p in range(pairs):
        coach, customer = users[2 * p], users[2 * p + 1]
        for j in range(per_pair):
            start = now + timedelta(minutes=40) + timedelta(seconds=70 * j)  # one minute each, never overlapping
            number = next(numbers).pk
            sessions.append(
                Session(
                    number=number,
                    type="SCHEDULED",
                    coach=coach,
                    customer=customer,
                    scheduled_start=start,
                    scheduled_end=start + timedelta(minutes=1),
                    duration_minutes=1,
                    price="1.00",
                    currency="EUR",
                    channel_name=f"{tag}-{number}",
                    coach_uid=2 * number + 1,
                    customer_uid=2 * number + 2,
                )
            )
    Session.objects.bulk_create(sessions, batch_size=1000)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user_id,
                kind=Kind.SESSION_REMINDER,
                state=Notification.State.PLANNED,
                session=s,
                data={"session_id": str(s.pk)},
                due_at=s.scheduled_start - timedelta(minutes=60),
                offset_minutes=60,
                planned_at=now,
            )
            for s in sessions
            for user_id in (s.coach_id, s.customer_id)
        ],
        batch_size=2000,
    )
    return now


def _fakes(conn, workdir: str) -> None:
    """The SMTP and FCM fakes in a process of their own, as real servers are: their CPU is not ours."""
    from tests.notifications.fake_fcm import FakeFcm, write_service_account
    from tests.notifications.smtp import SmtpSink

    smtp, fcm = SmtpSink(), FakeFcm()
    smtp.start()
    fcm.start()
    conn.send((smtp.port, fcm.base_url, str(write_service_account(Path(workdir) / "sa.json", fcm))))
    while conn.recv() == "stats":
        with fcm.lock:
            ids = [m["message"]["data"].get("notification_id") for m in fcm.messages]
        conn.send((smtp.count, ids))
    smtp.stop()
    fcm.stop()


class Fakes:
    def __init__(self, conn) -> None:
        self.conn = conn

    def stats(self) -> tuple[int, list[str]]:
        self.conn.send("stats")
        return self.conn.recv()


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_due_reminders(n: int, tag: str, fakes: Fakes) -> None:
    from notifications.models import Delivery, Notification
    from notifications.services import send_due_notifications

    now = _fixture(n, tag)
    mails_before, pushes_before = fakes.stats()
    pushes_before = len(pushes_before)
    base_rss = _rss()
    peak = [base_rss]
    done = threading.Event()

    def sample() -> None:  # RSS, not tracemalloc: tracing every allocation would triple the time
        while not done.wait(0.1):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    result = send_due_notifications(now=now)
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    mails_after, pushes = fakes.stats()
    sent = Notification.objects.filter(recipient__email__startswith=f"{tag}-", state="SENT")
    deliveries = Delivery.objects.filter(notification__in=sent)
    pushed = Counter(pushes[pushes_before:])
    once = (
        sent.count() == n
        and deliveries.filter(status="SENT", attempts=1).count() == 2 * n
        and len(pushed) == n
        and set(pushed.values()) == {1}
        and mails_after - mails_before == n
    )
    again = send_due_notifications(now=now)
    print(
        f"{n:>6} due reminders -> {mails_after - mails_before} e-mails + {len(pushed)} pushes "
        f"in {elapsed:6.1f} s ({n / elapsed:5.0f}/s)   RSS +{(peak[0] - base_rss) / 2**20:5.1f} MiB during the run   "
        f"each once: {'yes' if once else 'NO'}   second run sent {again.sent}   ({result})"
    )


@contextlib.contextmanager
def _worker_process(app, redis_url: str, enabled: bool):
    """``celery worker`` in its own process, on the benchmark's database and a private queue."""
    import subprocess
    import uuid

    queue = f"bench-{uuid.uuid4().hex}"
    app.conf.update(broker_url=redis_url, task_default_queue=queue)
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://{settings.EMAIL_HOST}:{settings.EMAIL_PORT}",
        "FCM_CREDENTIALS_FILE": settings.FCM_CREDENTIALS_FILE,
        "FCM_API_BASE_URL": settings.FCM_API_BASE_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
        "NOTIFICATIONS_ENABLED": "true" if enabled else "false",
    }
    celery = str(Path(sys.executable).with_name("celery"))
    process = subprocess.Popen(  # noqa: S603 - this project's own worker, fixed arguments
        [celery, "-A", "config", "worker", "-P", "solo", "-Q", queue, "--loglevel=WARNING"],
        env=env,
        cwd=str(Path(__file__).resolve().parent.parent),
    )
    time.sleep(8)  # let it connect
    try:
        yield
        time.sleep(3)  # let it finish the last tasks
    finally:
        process.terminate()
        process.wait(20)


def bench_booking(rounds: int) -> None:
    """Scheduled bookings through the API, tasks going to a broker as in production. "no event" runs
    with ``EVENTS_ENABLED`` off (no outbox row); "off" writes the event with notifications disabled;
    "on" writes it while a Celery worker plans and sends the notifications to the fakes: with ``REDIS_URL`` a
    worker process on a private queue (as in production), else a
    thread of this process (which then competes for the same interpreter)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory
    from tests.helpers.api import client_for

    app.conf.task_always_eager = False
    logging.getLogger("celery").setLevel(logging.WARNING)
    coach = CoachFactory()
    base = timezone.now() + timedelta(days=300)
    offset = iter(range(10**6))

    def run(*, emit: bool, enabled: bool) -> list[float]:
        settings.NOTIFICATIONS_ENABLED = enabled
        # The booking service writes the outbox event; EVENTS_ENABLED switches that off for the floor.
        settings.EVENTS_ENABLED = emit
        client = client_for(CustomerFactory())
        samples = []
        for _ in range(rounds):
            slot = AppointmentFactory(coach=coach, start=base + timedelta(hours=next(offset)))
            t0 = time.perf_counter()
            res = client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.pk)}, format="json")
            samples.append((time.perf_counter() - t0) * 1000)
            assert res.status_code == 201, res.content
            time.sleep(0.02)  # a request rate the worker keeps up with, as in real use
        settings.EVENTS_ENABLED = True
        return sorted(samples)

    # SQLite's shared in-memory test database cannot take a second writer: no worker there.
    redis_url = os.environ.get("REDIS_URL", "")

    def worker(enabled: bool):
        if connection.vendor != "postgresql":
            return contextlib.nullcontext()
        if redis_url:
            return _worker_process(app, redis_url, enabled)
        return start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10)

    if connection.vendor != "postgresql":
        print("booking: SQLite, so no worker (run with DATABASE_URL=postgres://... for those lines)")
    run(emit=False, enabled=False)  # warm-up
    results = {"no event": run(emit=False, enabled=False)}
    with worker(False):
        results["notifications off"] = run(emit=True, enabled=False)
    with worker(True):
        results["notifications on"] = run(emit=True, enabled=True)
    from notifications.models import Notification

    for name, samples in results.items():
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(f"booking, {name:<18} p50 {statistics.median(samples):6.2f} ms   p95 {p95:6.2f} ms   n={len(samples)}")
    on, off = results["notifications on"], results["notifications off"]
    print(
        f"booking p50 notifications on/off: {statistics.median(on) / statistics.median(off):.2f} "
        f"({Notification.objects.filter(kind='session_booked').count()} booking notifications made by the worker)"
    )


def main() -> None:
    setup_test_environment(debug=False)
    workdir = tempfile.mkdtemp(prefix="bench-notifications-")
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=_fakes, args=(child, workdir), daemon=True)
    server.start()
    smtp_port, fcm_url, credentials = parent.recv()
    fakes = Fakes(parent)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_port
    settings.FCM_CREDENTIALS_FILE = credentials
    settings.FCM_API_BASE_URL = fcm_url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(
            f"database: {connection.vendor}; SMTP 127.0.0.1:{smtp_port}, FCM {fcm_url} (another process); "
            f"{settings.NOTIFICATION_SEND_THREADS} sending threads"
        )
        bench_due_reminders(max(REMINDERS // 5, 200), "warm", fakes)
        bench_due_reminders(REMINDERS, "full", fakes)
        bench_booking(BOOKINGS)
        print(
            f"peak resident memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        parent.send("stop")
        server.join(10)


if __name__ == "__main__":
    main()
