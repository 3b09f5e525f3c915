"""Benchmark of notifications; prints figures, asserts nothing.

    .venv/bin/python scripts/bench_notifications.py                       # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python scripts/bench_notifications.py

1. Due reminders: N planned reminders (``BENCH_REMINDERS``, default 10,000; and a fifth of that first,
   to show memory does not grow with N) are released by one ``send_due_notifications`` run to a
   real SMTP server (aiosmtpd) and a local FCM v1 server with its OAuth exchange (each in a process of
   its own, as real servers are), one device per recipient: time, rate, the growth of the process's
   resident memory during the run, the CPU seconds of this process and of each server, the queries,
   and checks that each went out once (deliveries SENT with one attempt, one push per notification
   id, N e-mails). Beside it, the floor: the same number of e-mails (built the same way) and pushes
   sent to the same servers on the same number of threads, with no database and no rendering.
2. Booking latency with notifications on vs off: scheduled bookings through the API, whose service
   writes the outbox event, tasks sent to a broker (not run in the request), as in production, with
   a Celery worker process per mode (``NOTIFICATIONS_ENABLED`` true / false) on a queue of its own.
   The modes take turns in blocks of ``BENCH_BLOCK`` bookings (each block waits until the previous
   one's worker is idle), so a change in the machine's load falls on all of them alike: p50 and p95
   of each mode and the ratio of the p50s on/off. ``CELERY_TASK_DEFAULT_QUEUE`` prefixes the queues.
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
# What to run: "process" (one send_due_notifications here), "floor", "workers" (beat's task on a
# worker's processes), "booking".
PARTS = os.environ.get("BENCH_PARTS", "process,floor,workers,booking").split(",")
WORKER_NICE = int(os.environ.get("BENCH_WORKER_NICE", os.environ.get("WORKER_NICE", "10")))


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


def _smtp_server(conn) -> None:
    from tests.notifications.smtp import SmtpSink

    smtp = SmtpSink()
    smtp.start()
    conn.send(smtp.port)
    while conn.recv() == "stats":
        conn.send(smtp.count)
    smtp.stop()


def _fcm_server(conn, workdir: str) -> None:
    from tests.notifications.fake_fcm import FakeFcm, write_service_account

    fcm = FakeFcm()
    fcm.start()
    conn.send((fcm.base_url, str(write_service_account(Path(workdir) / "sa.json", fcm))))
    while conn.recv() == "stats":
        with fcm.lock:
            ids = [m["message"]["data"].get("notification_id") for m in fcm.messages]
        conn.send(ids)
    fcm.stop()


class Fakes:
    """The SMTP and FCM servers, each in a process of its own (their CPU is not ours)."""

    def __init__(self, workdir: str) -> None:
        context = multiprocessing.get_context("fork")
        self.smtp_conn, smtp_child = multiprocessing.Pipe()
        self.fcm_conn, fcm_child = multiprocessing.Pipe()
        self.smtp = context.Process(target=_smtp_server, args=(smtp_child,), daemon=True)
        self.fcm = context.Process(target=_fcm_server, args=(fcm_child, workdir), daemon=True)
        self.smtp.start()
        self.fcm.start()
        self.smtp_port = self.smtp_conn.recv()
        self.fcm_url, self.credentials = self.fcm_conn.recv()

    def stats(self) -> tuple[int, list[str]]:
        self.smtp_conn.send("stats")
        self.fcm_conn.send("stats")
        return self.smtp_conn.recv(), self.fcm_conn.recv()

    def cpu(self) -> tuple[float, float]:
        return _cpu_seconds(self.smtp.pid), _cpu_seconds(self.fcm.pid)

    def stop(self) -> None:
        for conn, process in ((self.smtp_conn, self.smtp), (self.fcm_conn, self.fcm)):
            conn.send("stop")
            process.join(10)


def _cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Queries:
    """Counts this thread's queries (no log kept: a 10,000-row run would hold them all)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


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
    queries = _Queries()
    cpu0, (smtp0, fcm0) = _cpu_seconds(), fakes.cpu()
    t0 = time.perf_counter()
    with connection.execute_wrapper(queries):
        result = send_due_notifications(now=now)
    elapsed = time.perf_counter() - t0
    cpu, (smtp_cpu, fcm_cpu) = _cpu_seconds() - cpu0, fakes.cpu()
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
        f"CPU s: this process {cpu:5.1f}, SMTP server {smtp_cpu - smtp0:5.1f}, FCM server {fcm_cpu - fcm0:5.1f}   "
        f"{queries.count} queries   each once: {'yes' if once else 'NO'}   second run sent {again.sent}   ({result})"
    )


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(child) for child in handle.read().split()]


def _rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def _broker(queue: str):
    """This process sends its tasks to Redis, on ``queue``, as a web process or beat does."""
    from config.celery import app

    keys = ("broker_url", "task_always_eager", "task_default_queue")
    old = {key: app.conf.get(key) for key in keys}
    app.conf.update(broker_url=os.environ["REDIS_URL"], task_always_eager=False, task_default_queue=queue)
    try:
        yield app
    finally:
        app.conf.update(old)


def bench_due_reminders_on_workers(n: int, tag: str, fakes: Fakes, worker, app) -> None:
    """Beat's way: the ``send_due_notifications`` task goes to the broker; a worker process releases
    the due rows and hands each batch to a ``deliver_notifications`` task, which every worker
    process takes in turn. Timed from the enqueue until the database shows every delivery sent;
    CPU and memory are the worker's (its main process and its children)."""
    from notifications.models import Delivery, Notification

    _fixture(n, tag)
    mails_before, pushes_before = fakes.stats()
    pushes_before = len(pushes_before)
    mine = Delivery.objects.filter(notification__recipient__email__startswith=f"{tag}-")
    pids = [worker.pid, *_children(worker.pid)]
    base_rss = sum(_rss_of(pid) for pid in pids[1:])
    peak = base_rss
    cpu0, (smtp0, fcm0) = sum(_cpu_seconds(pid) for pid in pids), fakes.cpu()
    t0 = time.perf_counter()
    app.send_task("notifications.tasks.send_due_notifications")
    deadline = t0 + 600
    while time.perf_counter() < deadline:
        time.sleep(0.25)
        peak = max(peak, sum(_rss_of(pid) for pid in pids[1:]))
        if mine.filter(status="SENT").count() >= 2 * n:
            break
    elapsed = time.perf_counter() - t0
    cpu, (smtp_cpu, fcm_cpu) = sum(_cpu_seconds(pid) for pid in pids) - cpu0, fakes.cpu()
    mails_after, pushes = fakes.stats()
    pushed = Counter(pushes[pushes_before:])
    sent = Notification.objects.filter(recipient__email__startswith=f"{tag}-", state="SENT").count()
    once = (
        sent == n
        and mine.filter(status="SENT", attempts=1).count() == 2 * n
        and len(pushed) == n
        and set(pushed.values()) == {1}
        and mails_after - mails_before == n
    )
    print(
        f"{n:>6} due reminders on the worker ({len(pids) - 1} processes) -> {mails_after - mails_before} e-mails + "
        f"{len(pushed)} pushes in {elapsed:6.1f} s ({n / elapsed:5.0f}/s)   "
        f"worker RSS +{(peak - base_rss) / 2**20:5.1f} MiB during the run   "
        f"CPU s: worker {cpu:5.1f}, SMTP server {smtp_cpu - smtp0:5.1f}, FCM server {fcm_cpu - fcm0:5.1f}   "
        f"each once: {'yes' if once else 'NO'}"
    )


def due_reminders_on_workers(fakes: Fakes) -> None:
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        print("due reminders on the worker: needs PostgreSQL and REDIS_URL; skipped")
        return
    processes = int(os.environ.get("BENCH_WORKER_PROCESSES", str(os.cpu_count() or 2)))
    queue = f"{os.environ.get('CELERY_TASK_DEFAULT_QUEUE') or 'bench'}-due-{os.getpid()}"
    with _broker(queue) as app, _worker_process(queue, True, concurrency=processes) as worker:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_children(worker.pid)) < processes:
            time.sleep(0.2)
        time.sleep(3)  # let the children connect
        bench_due_reminders_on_workers(max(REMINDERS // 5, 200), "wwarm", fakes, worker, app)
        bench_due_reminders_on_workers(REMINDERS, "wfull", fakes, worker, app)


def bench_floor(n: int, fakes: Fakes) -> None:
    """The least the sending can cost here: ``n`` e-mails (built by the same ``build_email``) and ``n``
    pushes to the same servers on the same threads, each thread one SMTP session and one HTTP session;
    no database, no rendering of texts, no bookkeeping."""
    from concurrent.futures import ThreadPoolExecutor

    from django.core.mail import get_connection

    from accounts.models import User
    from integrations import fcm
    from notifications.services.rendering import build_email

    recipient = User(email="floor@example.com", first_name="Floor", language="en", timezone="UTC")
    client = fcm.get_client()
    local = threading.local()
    opened: list = []

    def one(i: int) -> None:
        smtp = getattr(local, "smtp", None)
        if smtp is None:
            smtp = local.smtp = get_connection(fail_silently=False)
            smtp.open()
            opened.append(smtp)
        title = f"Your session with Coach {i} starts in 1 hour"
        body = f"Session SESS-{i:06d} starts Friday 4 December 2026 10:00 (UTC)."
        smtp.send_messages([build_email(kind="session_reminder", recipient=recipient, title=title, body=body)])
        client.send(fcm.PushMessage(token=f"floor-{i}", title=title, body=body, data={"notification_id": str(i)}))

    cpu0, (smtp0, fcm0) = _cpu_seconds(), fakes.cpu()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=settings.NOTIFICATION_SEND_THREADS) as pool:
        list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - t0
    cpu, (smtp_cpu, fcm_cpu) = _cpu_seconds() - cpu0, fakes.cpu()
    for smtp in opened:
        smtp.close()
    print(
        f"{n:>6} floor: as many e-mails + pushes, no database or texts, in {elapsed:6.1f} s ({n / elapsed:5.0f}/s)   "
        f"CPU s: this process {cpu:5.1f}, SMTP server {smtp_cpu - smtp0:5.1f}, FCM server {fcm_cpu - fcm0:5.1f}"
    )


@contextlib.contextmanager
def _worker_process(queue: str, enabled: bool, concurrency: int = 0):
    """``celery worker`` in its own process, on the benchmark's database and its own queue, at the
    CPU priority ``make worker`` gives it (``WORKER_NICE``; ``BENCH_WORKER_NICE`` overrides it here):
    the solo pool, or with ``concurrency`` the prefork pool of ``make worker`` with that many children."""
    import subprocess

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://{settings.EMAIL_HOST}:{settings.EMAIL_PORT}",
        "FCM_CREDENTIALS_FILE": settings.FCM_CREDENTIALS_FILE,
        "FCM_API_BASE_URL": settings.FCM_API_BASE_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "LOG_LEVEL": "WARNING",
        "NOTIFICATIONS_ENABLED": "true" if enabled else "false",
    }
    celery = str(Path(sys.executable).with_name("celery"))
    process = subprocess.Popen(  # noqa: S603 - this project's own worker, fixed arguments
        [celery, "-A", "config", "worker", "-Q", queue, "--loglevel=WARNING"]
        + (["-P", "prefork", "-c", str(concurrency)] if concurrency else ["-P", "solo"]),
        env=env,
        cwd=str(Path(__file__).resolve().parent.parent),
        preexec_fn=lambda: os.nice(WORKER_NICE),
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(20)


def bench_booking(rounds: int) -> None:
    """Scheduled bookings through the API, tasks going to a broker as in production. "no event" runs
    with ``EVENTS_ENABLED`` off (no outbox row; the floor); "off" writes the event for a worker with
    notifications disabled; "on" writes it for a worker that plans and sends the notifications to the
    servers. The modes take turns block by block (on, off, no event, then the reverse order), and a
    block starts only when the workers are idle, so each block's latency carries its own mode's
    background work and nothing of the others'."""
    import redis

    from config.celery import app
    from notifications.models import Notification
    from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory
    from tests.helpers.api import client_for

    redis_url = os.environ.get("REDIS_URL", "")
    if connection.vendor != "postgresql" or not redis_url:
        print("booking: needs PostgreSQL and REDIS_URL (worker processes on a broker); skipped")
        return
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    logging.getLogger("celery").setLevel(logging.WARNING)
    broker = redis.Redis.from_url(redis_url)
    prefix = os.environ.get("CELERY_TASK_DEFAULT_QUEUE") or "bench"
    run_id = f"{os.getpid()}"
    queues = {"on": f"{prefix}-bench-on-{run_id}", "off": f"{prefix}-bench-off-{run_id}"}
    coach = CoachFactory(coach_profile__booking_horizon_days=3650)  # a slot an hour, far ahead
    base = timezone.now() + timedelta(days=300)
    offset = iter(range(10**6))
    samples: dict[str, list[float]] = {"no event": [], "notifications off": [], "notifications on": []}

    def idle() -> None:
        """Until both queues are empty and nothing is unacknowledged, and a moment for the task in hand."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (any(broker.llen(q) for q in queues.values()) or broker.hlen("unacked")):
            time.sleep(0.05)
        time.sleep(0.5)

    worker_cpu = dict.fromkeys(samples, 0.0)

    def block(mode: str, n: int) -> None:
        before = sum(_cpu_seconds(w.pid) for w in workers)
        emit = mode != "no event"
        settings.EVENTS_ENABLED = emit
        settings.NOTIFICATIONS_ENABLED = mode == "notifications on"
        app.conf.task_default_queue = queues["on" if mode == "notifications on" else "off"]
        client = client_for(CustomerFactory())
        for _ in range(n):
            slot = AppointmentFactory(coach=coach, start=base + timedelta(hours=next(offset)))
            t0 = time.perf_counter()
            res = client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.pk)}, format="json")
            samples[mode].append((time.perf_counter() - t0) * 1000)
            assert res.status_code == 201, res.content
            time.sleep(0.02)  # a request rate the worker keeps up with, as in real use
        settings.EVENTS_ENABLED = True
        idle()
        worker_cpu[mode] += sum(_cpu_seconds(w.pid) for w in workers) - before

    size = int(os.environ.get("BENCH_BLOCK", "10"))
    order = ["notifications on", "notifications off", "no event"]
    with _worker_process(queues["on"], True) as on_worker, _worker_process(queues["off"], False) as off_worker:
        workers = (on_worker, off_worker)
        time.sleep(8)  # let them connect
        for mode in order:  # warm-up, not counted
            block(mode, 5)
        for values in samples.values():
            values.clear()
        worker_cpu = dict.fromkeys(samples, 0.0)
        made_before = Notification.objects.filter(kind="session_booked").count()
        blocks = max(1, rounds // size)
        for i in range(blocks):
            for mode in order if i % 2 == 0 else order[::-1]:
                block(mode, size)
        made = Notification.objects.filter(kind="session_booked").count() - made_before

    p50 = {}
    for name, values in samples.items():
        values.sort()
        p50[name] = statistics.median(values)
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        per_booking = worker_cpu[name] / max(1, len(values)) * 1000
        print(
            f"booking, {name:<18} p50 {p50[name]:6.2f} ms   p95 {p95:6.2f} ms   n={len(values)}   "
            f"worker CPU {per_booking:5.1f} ms a booking"
        )
    on, off = p50["notifications on"], p50["notifications off"]
    print(
        f"booking p50 notifications on {on:.2f} ms / off {off:.2f} ms = {on / off:.2f} "
        f"(blocks of {size}, taking turns; workers at nice {WORKER_NICE}; {made} booking notifications made, "
        f"{2 * len(samples['notifications on'])} expected)"
    )


def main() -> None:
    setup_test_environment(debug=False)
    workdir = tempfile.mkdtemp(prefix="bench-notifications-")
    fakes = Fakes(workdir)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", fakes.smtp_port
    settings.FCM_CREDENTIALS_FILE = fakes.credentials
    settings.FCM_API_BASE_URL = fakes.fcm_url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(
            f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; database: {connection.vendor}; "
            f"SMTP 127.0.0.1:{fakes.smtp_port}, FCM {fakes.fcm_url} (two other processes); "
            f"{settings.NOTIFICATION_SEND_THREADS} sending threads"
        )
        if "process" in PARTS:
            bench_due_reminders(max(REMINDERS // 5, 200), "warm", fakes)
            bench_due_reminders(REMINDERS, "full", fakes)
        if "floor" in PARTS:
            bench_floor(REMINDERS, fakes)
        if "workers" in PARTS:
            due_reminders_on_workers(fakes)
        if "booking" in PARTS:
            bench_booking(BOOKINGS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"peak resident memory of the process: {peak:.0f} MiB; load average at the end {load}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        fakes.stop()


if __name__ == "__main__":
    main()
