"""Benchmark of the event outbox and the webhook relay; prints figures, asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coaching REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python scripts/bench_webhooks.py

1. Outbox overhead on booking: ``POST /sessions`` through Django's test client with the outbox on
   and off (``EVENTS_ENABLED``), in alternating blocks of ``BLOCK`` bookings so both see the same
   machine; wake-ups go to the broker as in production (Redis when ``REDIS_URL`` is set, else
   Celery's in-memory one; no worker consumes them, so no relay competes for the cores). Prints
   queries per booking, p50/p95 latency and the process's CPU time per booking (all threads: the
   waker thread's work is counted) of each, and the ratios.
2. Relay throughput (needs PostgreSQL and Redis), through real Celery workers (``BENCH_CONCURRENCY``
   prefork processes) and local receivers that answer at once (asyncio, in a process of their own):
   a. backlog: ``BENCH_EVENTS`` events (10 000) committed at once, to 3 endpoints: the time from
      the commit until every one of the 30 000 deliveries succeeded;
   b. the same beside a 4th endpoint that is down (connection refused) and a 5th that never answers
      (each attempt waits the 10 s timeout);
   c. live: the events emitted one transaction each while the workers run: the emitter's time and
      how long after the last emit the last delivery succeeded.
   Each prints the workers' CPU per delivery, their resident memory (after a warm-up, then the peak
   during the run: the growth) and, for b, how many attempts the broken endpoints got.

It builds a throwaway test database (``test_<name>``) and removes it afterwards.
"""

from __future__ import annotations

import asyncio
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
BLOCK = 10
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
LIVE_ENDPOINTS = 3


# --- receivers -------------------------------------------------------------------------------


class _Answer(asyncio.Protocol):
    """A receiver that answers at once: reads each request head and body (keep-alive, pipelining
    allowed) and answers ``200 ok``. asyncio and a few lines of parsing instead of http.server, whose
    thread per connection and header parsing would take the cores the relay is measured on."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            length = 0
            for line in self.buffer[:head_end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < head_end + 4 + length:
                return
            self.buffer = self.buffer[head_end + 4 + length :]
            self.transport.write(self.ANSWER)


def _serve(port_out, count: int) -> None:
    async def main():
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(_Answer, "127.0.0.1", 0) for _ in range(count)]
        port_out.send([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.Event().wait()

    asyncio.run(main())


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


def bench_booking() -> dict:
    from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory
    from tests.helpers.api import client_for

    now = timezone.now()
    coach = CoachFactory()
    # Hundreds of hourly slots reach past the default booking horizon (28 days).
    type(coach.coach_profile).objects.filter(pk=coach.pk).update(booking_horizon_days=365)
    customer = CustomerFactory()
    client = client_for(customer)
    slots = iter(
        AppointmentFactory(coach=coach, start=now + timedelta(days=2, hours=i)) for i in range(2 * ROUNDS + 20)
    )

    def book():
        return client.post(
            "/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(next(slots).id)}, format="json"
        )

    for _ in range(10):  # warm up both paths
        settings.EVENTS_ENABLED = not settings.EVENTS_ENABLED
        book()
    samples: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, float] = {True: 0.0, False: 0.0}
    queries: dict[bool, set[int]] = {True: set(), False: set()}
    for block in range(2 * ROUNDS // BLOCK):
        enabled = block % 2 == 0
        settings.EVENTS_ENABLED = enabled
        cpu0 = time.process_time()
        for _ in range(BLOCK):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                res = book()
                samples[enabled].append((time.perf_counter() - t0) * 1000)
            assert res.status_code == 201, res.content[:300]
            queries[enabled].add(len(ctx.captured_queries))
        cpu[enabled] += time.process_time() - cpu0
    settings.EVENTS_ENABLED = True
    p50 = {k: statistics.median(v) for k, v in samples.items()}
    p95 = {k: sorted(v)[int(len(v) * 0.95)] for k, v in samples.items()}
    cpu_ms = {k: 1000 * v / len(samples[k]) for k, v in cpu.items()}
    print(f"1. outbox overhead on POST /sessions ({ROUNDS} bookings each, alternating blocks, broker {_broker()})")
    for enabled, label in ((False, "without outbox"), (True, "with outbox")):
        print(
            f"   {label:<15} queries {'/'.join(map(str, sorted(queries[enabled])))}   "
            f"p50 {p50[enabled]:6.2f} ms   p95 {p95[enabled]:6.2f} ms   CPU {cpu_ms[enabled]:5.2f} ms"
        )
    extra = max(queries[True]) - max(queries[False])
    figures = {
        "extra_queries": extra,
        "p50_off": p50[False],
        "p50_on": p50[True],
        "p50_ratio": p50[True] / p50[False],
        "cpu_ratio": cpu_ms[True] / cpu_ms[False],
    }
    print(
        f"   extra: {extra} quer{'y' if extra == 1 else 'ies'}, p50 x{figures['p50_ratio']:.3f} "
        f"({100 * (figures['p50_ratio'] - 1):+.1f} %), CPU x{figures['cpu_ratio']:.3f}"
    )
    return figures


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


class Workers:
    """``BENCH_CONCURRENCY`` prefork Celery workers on a private queue, and what celery beat would do
    meanwhile (wake senders every 5 s, sweep the outbox every 30 s), in a thread here."""

    def __init__(self, queue: str):
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", str(CONCURRENCY)]
        command += ["--pool", "prefork", "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "error"]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.stop = threading.Event()
        self.beat = threading.Thread(target=self._beat, daemon=True)
        self.beat.start()

    def _beat(self) -> None:
        from events.services import events_dispatch_pending
        from webhooks import services

        ticks = 0
        while not self.stop.wait(5):
            ticks += 1
            services.webhooks_wake_senders()
            if ticks % 6 == 0:
                events_dispatch_pending()
        connection.close()

    def pids(self) -> list[int]:
        return _worker_pids(self.process.pid)

    def close(self) -> None:
        self.stop.set()
        self.beat.join(timeout=30)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _emit_at_once(count: int, start: int = 0) -> None:
    """``count`` events committed in one transaction (one insert each; one wake-up for all)."""
    from django.db import transaction

    from events.services import event_emit

    with transaction.atomic():
        for i in range(start, start + count):
            event_emit(type="coach.verified", data={"coach_id": str(uuid.uuid4()), "n": i})


def _wait_delivered(endpoints, target: int, workers: Workers, timeout: float = 900) -> tuple[int, float, float]:
    """Poll until ``target`` deliveries to ``endpoints`` succeeded; (done, seconds, peak RSS MiB)."""
    from webhooks.models import WebhookDelivery

    t0, peak, done = time.perf_counter(), 0.0, 0
    while time.perf_counter() - t0 < timeout:
        peak = max(peak, _rss_mib(workers.pids()))
        done = WebhookDelivery.objects.filter(endpoint__in=endpoints, status="SUCCEEDED").count()
        if done >= target:
            break
        time.sleep(0.2)
    return done, time.perf_counter() - t0, peak


def relay(label: str, live_urls: list[str], dead_urls: list[str], queue: str, *, live_emit: bool = False) -> dict:
    from events.models import Event
    from events.services import event_emit, wake
    from webhooks import services
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.all().delete()
    Event.objects.all().delete()
    wake.flag_drop()  # left by the part before (whose wake-ups nobody consumed)
    live = [services.webhook_endpoint_create(url=url)[0] for url in live_urls]
    workers = Workers(queue)
    try:
        time.sleep(3)
        _emit_at_once(100)  # warm-up: every worker process imports and connects before the clock starts
        _wait_delivered(live, 100 * len(live), workers, timeout=120)
        for url in dead_urls:
            services.webhook_endpoint_create(url=url)
        pids = workers.pids()
        rss0, cpu0 = _rss_mib(pids), _cpu_seconds(pids)
        target = 100 * len(live) + EVENTS * len(live)
        t0 = time.perf_counter()
        if live_emit:
            from django.db import transaction

            for i in range(EVENTS):
                with transaction.atomic():
                    event_emit(type="coach.verified", data={"coach_id": str(uuid.uuid4()), "n": i})
        else:
            _emit_at_once(EVENTS)
            t0 = time.perf_counter()  # the clock starts at the commit
        emitted = time.perf_counter() - t0
        done, _, peak = _wait_delivered(live, target, workers)
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds(workers.pids()) - cpu0
    finally:
        workers.close()
    done -= 100 * len(live)
    deliveries = EVENTS * len(live)
    dead_attempts = sum(
        WebhookDelivery.objects.exclude(endpoint__in=live).values_list("attempts", flat=True).iterator()
    )
    print(f"2{label}")
    if live_emit:
        print(
            f"   {EVENTS} events emitted one transaction each in {emitted:.1f} s; the last of {done}/{deliveries} "
            f"deliveries succeeded {elapsed - emitted:.1f} s after the last emit ({elapsed:.1f} s in all)"
        )
    else:
        print(f"   {done}/{deliveries} deliveries succeeded in {elapsed:.1f} s ({done / elapsed:.0f}/s)")
    print(f"   workers' CPU: {cpu:.1f} s, {1000 * cpu / max(done, 1):.2f} ms per delivery")
    if dead_urls:
        print(f"   attempts the broken endpoints got meanwhile: {dead_attempts}")
    print(
        f"   workers' resident memory ({CONCURRENCY} processes + parent): {rss0:.0f} MiB after the warm-up, "
        f"peak {peak:.0f} MiB ({peak - rss0:+.0f} MiB)"
    )
    return {"seconds": elapsed, "rss_growth": peak - rss0, "done": done, "emitted": emitted}


def bench_relay() -> dict:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("2. relay throughput: needs DATABASE_URL=postgres://... and REDIS_URL=redis://... (skipped)")
        return {}
    import redis

    receivers, ports = start_receivers(LIVE_ENDPOINTS)
    hang_sock, hang = hanging_port()
    from config.celery import app

    queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue  # where this process sends the wake-ups: the workers' queue
    n = f"{EVENTS:,}".replace(",", " ")
    try:
        live = [f"http://127.0.0.1:{p}/hook" for p in ports]
        broken = [f"http://127.0.0.1:{refused_port()}/down", f"http://127.0.0.1:{hang}/hangs"]
        return {
            "backlog": relay(f"a. relay: {n} events committed at once, to {LIVE_ENDPOINTS} receivers", live, [], queue),
            "broken": relay(
                "b. relay: the same, beside an endpoint that is down and one that never answers", live, broken, queue
            ),
            "live": relay(f"c. relay: {n} events emitted one by one while it runs", live, [], queue, live_emit=True),
        }
    finally:
        receivers.terminate()
        hang_sock.close()
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)


def main() -> None:
    from config.celery import app

    setup_test_environment(debug=False)
    app.conf.task_always_eager = False
    queue = f"bench-booking-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue  # the booking part's wake-ups: never run, removed at the end
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        booking = bench_booking()
        relays = bench_relay()
    finally:
        if settings.REDIS_URL:
            import redis

            redis.Redis.from_url(settings.REDIS_URL).delete(queue)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print("summary")
    print(
        f"   booking p50 {booking['p50_off']:.2f} ms without the outbox, {booking['p50_on']:.2f} ms with it: "
        f"x{booking['p50_ratio']:.3f} (target <= 1.10); extra queries {booking['extra_queries']} (target <= 2)"
    )
    if relays:
        print(
            f"   relay {EVENTS} events x {LIVE_ENDPOINTS} endpoints: {relays['backlog']['seconds']:.1f} s "
            "(target <= 60 s), "
            f"with one endpoint down and one hanging {relays['broken']['seconds']:.1f} s, "
            f"emitted one by one {relays['live']['seconds']:.1f} s (emitting {relays['live']['emitted']:.1f} s); "
            f"peak RSS growth {max(r['rss_growth'] for r in relays.values()):+.0f} MiB"
        )


if __name__ == "__main__":
    main()
