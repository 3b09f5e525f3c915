"""Benchmark of the event outbox and the webhook relay; prints figures, asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coaching REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python scripts/bench_webhooks.py

1. Outbox overhead on booking: ``POST /sessions`` through Django's test client with the outbox on
   and off (``EVENTS_ENABLED``), alternating round by round so both see the same machine; tasks go
   to the broker as in production (Redis when ``REDIS_URL`` is set, else Celery's in-memory one).
   Prints queries per booking and p50/p95 latency of each.
2. Relay throughput (needs PostgreSQL and Redis): ``BENCH_EVENTS`` events (10 000), each emitted in its
   own transaction, to 3 local receivers that answer at once, through real Celery workers
   (``BENCH_CONCURRENCY`` prefork processes); then the same with a 4th endpoint that is down
   (connection refused) and a 5th that never answers (each attempt waits the 10 s timeout).
   Prints the time until every delivery to the 3 live receivers succeeded, the rate, and the
   workers' resident memory as the run goes.

It builds a throwaway test database (``test_<name>``) and removes it afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_URLS", "true")  # the receivers are on 127.0.0.1

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "10000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
LIVE_ENDPOINTS = 3


# --- receivers -------------------------------------------------------------------------------


def _serve(port_out, count: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(count)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    port_out.send([s.server_address[1] for s in servers])
    signal.pause()


def start_receivers(count: int) -> tuple[multiprocessing.Process, list[int]]:
    """Receivers in a process of their own: they answer at once and do not share this one's GIL."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve, args=(child, count), daemon=True)
    process.start()
    return process, parent.recv()


def hanging_port() -> tuple[socket.socket, int]:
    """A port that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock, sock.getsockname()[1]


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


# --- 1. outbox overhead on booking ---------------------------------------------------------------


def bench_booking() -> None:
    from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory
    from tests.helpers.api import client_for

    now = timezone.now()
    coach = CoachFactory()
    customer = CustomerFactory()
    client = client_for(customer)
    slots = iter(
        AppointmentFactory(coach=coach, start=now + timedelta(days=30, hours=i)) for i in range(2 * ROUNDS + 5)
    )

    def book():
        return client.post(
            "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(next(slots).id)}, format="json"
        )

    for _ in range(5):  # warm up both paths
        settings.EVENTS_ENABLED = not settings.EVENTS_ENABLED
        book()
    samples: dict[bool, list[float]] = {True: [], False: []}
    queries: dict[bool, set[int]] = {True: set(), False: set()}
    for i in range(2 * ROUNDS):
        enabled = i % 2 == 0
        settings.EVENTS_ENABLED = enabled
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            res = book()
            samples[enabled].append((time.perf_counter() - t0) * 1000)
        assert res.status_code == 201, res.content[:300]
        queries[enabled].add(len(ctx.captured_queries))
    settings.EVENTS_ENABLED = True
    p50 = {k: statistics.median(v) for k, v in samples.items()}
    p95 = {k: sorted(v)[int(len(v) * 0.95)] for k, v in samples.items()}
    print(f"1. outbox overhead on POST /sessions ({ROUNDS} bookings each, alternating, broker {_broker()})")
    for enabled, label in ((False, "without outbox"), (True, "with outbox")):
        print(
            f"   {label:<15} queries {'/'.join(map(str, sorted(queries[enabled])))}   "
            f"p50 {p50[enabled]:6.2f} ms   p95 {p95[enabled]:6.2f} ms"
        )
    extra = max(queries[True]) - max(queries[False])
    print(f"   extra: {extra} quer{'y' if extra == 1 else 'ies'}, p50 {100 * (p50[True] / p50[False] - 1):+.1f} %")


def _broker() -> str:
    return "Redis" if settings.REDIS_URL else "in memory"


# --- 2. relay throughput ---------------------------------------------------------------------------


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids``: what the relay cost, whatever else the machine was doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            continue
    return total / ticks


def _worker_pids(parent: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True, check=False)  # noqa: S603, S607
    return [parent, *(int(p) for p in out.stdout.split())]


def start_workers(queue: str) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(ROOT / ".venv/bin/celery"),
        "-A",
        "config",
        "worker",
        "-Q",
        queue,
        "-c",
        str(CONCURRENCY),
        "--pool",
        "prefork",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "-l",
        "error",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def relay(label: str, live_urls: list[str], dead_urls: list[str], queue: str) -> None:
    from events.models import Event
    from events.services import event_emit
    from webhooks import services
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.all().delete()
    Event.objects.all().delete()
    live = [services.webhook_endpoint_create(url=url)[0] for url in live_urls]
    for url in dead_urls:
        services.webhook_endpoint_create(url=url)
    workers = start_workers(queue)
    time.sleep(4)  # let the workers boot before the clock starts
    stop = threading.Event()

    def beat():  # what celery beat does: wake senders every 5 s (retries, wake-ups lost in a race)
        while not stop.wait(5):
            services.webhooks_wake_senders()
        connection.close()

    beat_thread = threading.Thread(target=beat, daemon=True)
    beat_thread.start()
    pids = _worker_pids(workers.pid)
    memory = [_rss_mib(pids)]
    cpu0 = _cpu_seconds(pids)  # booting Django in each worker is not the relay's cost
    t0 = time.perf_counter()
    from django.db import transaction

    for i in range(EVENTS):
        with transaction.atomic():
            event_emit(type="coach.verified", data={"coach_id": str(uuid.uuid4()), "n": i})
    emitted = time.perf_counter() - t0
    target = EVENTS * len(live)
    done, marks = 0, {}
    deadline = t0 + 600
    while time.perf_counter() < deadline:
        done = WebhookDelivery.objects.filter(endpoint__in=live, status="SUCCEEDED").count()
        for share in (0.25, 0.5, 0.75, 1.0):
            if done >= share * target and share not in marks:
                marks[share] = _rss_mib(_worker_pids(workers.pid))
        if done >= target:
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - t0
    cpu = _cpu_seconds(_worker_pids(workers.pid)) - cpu0
    stop.set()
    beat_thread.join(timeout=30)
    workers.send_signal(signal.SIGTERM)
    try:
        workers.wait(timeout=30)
    except subprocess.TimeoutExpired:
        workers.kill()
    attempts_dead = WebhookDelivery.objects.exclude(endpoint__in=live).filter(attempts__gt=0).count()
    print(f"2. relay: {label}")
    print(
        f"   {EVENTS} events emitted in {emitted:.1f} s; {done}/{target} deliveries to the {len(live)} live "
        f"receivers succeeded after {elapsed:.1f} s ({done / elapsed:.0f}/s)"
    )
    print(
        f"   workers' CPU: {cpu:.1f} s, {1000 * cpu / max(done, 1):.1f} ms per delivery "
        f"({1000 * cpu / max(done, 1) * len(live):.1f} ms per event to {len(live)} endpoints)"
    )
    if dead_urls:
        print(f"   deliveries to the broken endpoints attempted meanwhile: {attempts_dead}")
    print(
        f"   workers' resident memory (MiB, {CONCURRENCY} processes + parent): before {memory[0]:.0f}, "
        + ", ".join(f"at {int(k * 100)} % {v:.0f}" for k, v in sorted(marks.items()))
    )


def bench_relay() -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("2. relay throughput: needs DATABASE_URL=postgres://... and REDIS_URL=redis://... (skipped)")
        return
    import redis

    receivers, ports = start_receivers(LIVE_ENDPOINTS)
    hang_sock, hang = hanging_port()
    from config.celery import app

    queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue  # where this process sends the dispatch tasks: the workers' queue
    try:
        live = [f"http://127.0.0.1:{p}/hook" for p in ports]
        relay(f"{EVENTS} events to {LIVE_ENDPOINTS} receivers that answer at once", live, [], queue)
        broken = [f"http://127.0.0.1:{refused_port()}/down", f"http://127.0.0.1:{hang}/hangs"]
        relay("the same, beside an endpoint that is down and one that never answers", live, broken, queue)
    finally:
        receivers.terminate()
        hang_sock.close()
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)


def main() -> None:
    from config.celery import app

    setup_test_environment(debug=False)
    app.conf.task_always_eager = False
    queue = f"bench-booking-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue  # the booking part's tasks: never run, removed at the end
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        bench_booking()
        bench_relay()
    finally:
        if settings.REDIS_URL:
            import redis

            redis.Redis.from_url(settings.REDIS_URL).delete(queue)
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
