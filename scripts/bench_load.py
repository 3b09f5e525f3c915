"""Load benchmark of the production topology on PostgreSQL and Redis; prints figures, asserts nothing.

    .venv/bin/python scripts/bench_load.py
    BENCH_SECONDS=5 BENCH_CONNECTIONS=16,64 BENCH_COMPARE=uvicorn,gunicorn,granian \
        .venv/bin/python scripts/bench_load.py

Needs wrk (``apt-get install -y wrk``), PostgreSQL with a database of its own (``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/bench_load``; create it with
``psql -h 127.0.0.1 -U postgres -c 'create database bench_load'``) and Redis (``BENCH_REDIS_URL``,
default db 4). It builds its data (scripts/bench_data.py), then:
1. compares server families on ``GET sessions/{id}/status`` at 16 connections (``BENCH_COMPARE``);
2. starts the production topology (what ``make serve`` runs, with the benchmark-only floor views of
   scripts/bench_floor_urls.py added) and, for each hot path at each connection count: req/s, p50/p99,
   non-2xx, and the ratio to the hand-written floor of the same rows, served by the same server;
3. 50 concurrent bookings of one slot (expect 1 x 201, 49 x 409, 0 x 5xx);
4. WebSocket fan-out: 200 sockets on 100 live sessions, one message posted in each session,
   delivery latency of ``message.created`` from the POST to each socket;
5. PostgreSQL connections of the database: the most seen during the load, after it, after the
   server stopped, against the pool total (workers x DATABASE_POOL_MAX_SIZE).
Servers listen on ports 18010-18019 only; every load is bounded in time.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_load")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "16,64").split(",")]
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
POOL_MAX = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "8"))
COMPARE = [c for c in os.environ.get("BENCH_COMPARE", "uvicorn,gunicorn,gunicorn-uvicorn,granian").split(",") if c]
# `make serve` answers WebSockets on the HTTP port.
PORT = 18010
WS_PORT = int(os.environ.get("BENCH_WS_PORT", str(PORT)))

ENV = {
    **os.environ,
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "AGORA_APP_ID": "0" * 32,
    "AGORA_APP_CERTIFICATE": "0" * 32,
    # Throttles out of the way (their cost stays: one round trip each request).
    "API_THROTTLE_USER": "100000000/min",
    "CHAT_MESSAGES_PER_MINUTE": "100000",
    "LOG_LEVEL": "WARNING",
    "WEB_CONCURRENCY": str(WORKERS),
    "DATABASE_POOL_MAX_SIZE": str(POOL_MAX),
    "DJANGO_SETTINGS_MODULE": "bench_floor_settings",
    "PYTHONPATH": f"{ROOT / 'scripts'}{os.pathsep}{ROOT}",
}


def serve_command(kind: str, port: int) -> list[list[str]]:
    """The processes of one topology; the first serves HTTP on ``port``. ``serve`` is `make serve`'s."""
    w, p = str(WORKERS), str(port)
    return {
        "uvicorn": [
            [str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1", "--port", p, "--workers", w,
             "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"],
        ],
        "gunicorn": [
            [str(BIN / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{p}", "-w", w, "-k", "gthread",
             "--threads", "4", "--log-level", "warning"],
        ],
        "gunicorn-uvicorn": [
            [str(BIN / "gunicorn"), "config.asgi:application", "-b", f"127.0.0.1:{p}", "-w", w,
             "-k", "uvicorn.workers.UvicornWorker", "--log-level", "warning"],
        ],
        "granian": [
            [str(BIN / "granian"), "--interface", "asgi", "config.asgi:application", "--host", "127.0.0.1",
             "--port", p, "--workers", w, "--log-level", "warning", "--no-access-log"],
        ],
        "serve": [[str(ROOT / "scripts" / "serve.sh")]],
    }[kind]  # fmt: skip


def pg_connections() -> int:
    name = DATABASE_URL.rsplit("/", 1)[-1]
    out = subprocess.run(
        ["psql", DATABASE_URL.rsplit("/", 1)[0] + "/postgres", "-Atc",
         f"select count(*) from pg_stat_activity where datname = '{name}'"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.strip())


class Server:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        env = {**ENV, "PORT": str(PORT), "WS_PORT": str(WS_PORT), "HOST": "127.0.0.1"}
        self.procs = [
            subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True) for cmd in serve_command(kind, PORT)
        ]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get("/api/v1/health")[0] in (200, 503):
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{kind} did not come up on {PORT}")

    def stop(self) -> None:
        for proc in self.procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def get(path: str, token: str | None = None, method: str = "GET", body: dict | None = None, port: int = PORT):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(path: str, token: str, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{SECONDS}s", "--latency", "--timeout", "10s",
         "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "none",
    }


class ConnectionWatch(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.running = 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, pg_connections())
            time.sleep(0.25)


def paths(data: dict) -> list[tuple[str, str, str, str]]:
    live = data["live"][0]
    sid, tok = live["id"], live["customer_token"]
    return [
        ("GET sessions?page_size=20", "/api/v1/sessions?page_size=20", "/floor/sessions", data["customer_token"]),
        ("GET sessions/{id}/status", f"/api/v1/sessions/{sid}/status", f"/floor/sessions/{sid}/status", tok),
        ("GET sessions/{id}/messages", f"/api/v1/sessions/{sid}/messages", f"/floor/sessions/{sid}/messages", tok),
        ("GET coaches?page_size=20", "/api/v1/coaches?page_size=20", "/floor/coaches", data["customer_token"]),
        ("GET me", "/api/v1/me", "/floor/me", data["coach_token"]),
    ]


def compare_families(data: dict) -> None:
    label, path, _, token = paths(data)[1]
    print(f"\n== server families: {label}, {CONNECTIONS[0]} connections, {WORKERS} workers, {SECONDS} s")
    for kind in COMPARE:
        server = Server(kind)
        try:
            wrk(path, token, CONNECTIONS[0])  # warm-up
            r = wrk(path, token, CONNECTIONS[0])
            print(
                f"{kind:18} {r['rps']:8.0f} req/s  p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  "
                f"non-2xx {r['non2xx']}"
            )
        finally:
            server.stop()


def hot_paths(data: dict) -> None:
    print(f"\n== production topology (make serve): {WORKERS} workers, pool max {POOL_MAX} each, {SECONDS} s a run")
    watch = ConnectionWatch()
    watch.start()
    for label, api, floor, token in paths(data):
        assert get(api, token)[0] == 200 and get(floor, token)[0] == 200, label
        for conns in CONNECTIONS:
            a, f = wrk(api, token, conns), wrk(floor, token, conns)
            print(
                f"{label:28} c={conns:<3} {a['rps']:7.0f} req/s  p50 {a['p50']:7.1f}  p99 {a['p99']:7.1f} ms  "
                f"non-2xx {a['non2xx']}  errors {a['errors']} | "
                f"floor {f['rps']:7.0f} req/s  ratio {a['rps'] / f['rps']:.2f}"
            )
    watch.running = False
    watch.join()
    time.sleep(1)
    print(f"PostgreSQL connections: peak during load {watch.peak}, after the load {pg_connections()}, "
          f"pool total {WORKERS * POOL_MAX}")  # fmt: skip


def contested_booking(data: dict) -> None:
    results: list[int] = []
    barrier = threading.Barrier(len(data["booker_tokens"]))

    def book(token: str) -> None:
        barrier.wait()
        results.append(
            get("/api/v1/sessions", token, "POST", {"type": "SCHEDULED", "appointment_id": data["slot_id"]})[0]
        )

    threads = [threading.Thread(target=book, args=(t,)) for t in data["booker_tokens"]]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    counts = {code: results.count(code) for code in sorted(set(results))}
    print(
        f"\n== 50 concurrent bookings of one slot: {counts} "
        f"(5xx: {sum(1 for c in results if c >= 500)}) in {took:.2f} s"
    )


async def _fanout(data: dict) -> None:
    import websockets

    sockets, latencies, sent = [], [], {}
    for live in data["live"]:
        for token in (live["customer_token"], live["coach_token"]):
            ws = await websockets.connect(f"ws://127.0.0.1:{WS_PORT}/ws/sessions/{live['id']}/?token={token}")
            sockets.append(ws)

    async def listen(ws) -> None:
        try:
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                if event.get("type") == "message.created" and (text := event["message"]["text"]) in sent:
                    latencies.append((time.perf_counter() - sent[text]) * 1000)
                    return
        except (TimeoutError, websockets.ConnectionClosed):
            return

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    await asyncio.sleep(0.5)

    def post(live: dict) -> int:
        text = f"fan-out {live['id']}"
        sent[text] = time.perf_counter()
        return get(f"/api/v1/sessions/{live['id']}/messages", live["customer_token"], "POST", {"text": text})[0]

    t0 = time.perf_counter()
    statuses = await asyncio.gather(*(asyncio.to_thread(post, live) for live in data["live"]))
    await asyncio.gather(*listeners)
    took = time.perf_counter() - t0
    for ws in sockets:
        await ws.close()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    print(
        f"\n== WebSocket fan-out: {len(sockets)} sockets on {len(data['live'])} sessions, POSTs "
        f"{ {s: statuses.count(s) for s in set(statuses)} }; delivered {len(latencies)}/{len(sockets)}; latency "
        f"p50 {statistics.median(latencies) if latencies else float('nan'):.1f} ms, p99 {p99:.1f} ms; "
        f"{took:.2f} s in all"
    )


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get update && apt-get install -y wrk")
    for port in (PORT, WS_PORT):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is taken")
    env = {**ENV, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true"}
    out = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "bench_data.py")], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=ENV, check=True)
    print(f"machine: {os.cpu_count()} cores; PostgreSQL connections of the database before: {pg_connections()}")
    if COMPARE:
        compare_families(data)
    server = Server("serve")
    try:
        hot_paths(data)
        contested_booking(data)
        asyncio.run(_fanout(data))
    finally:
        server.stop()
    time.sleep(1)
    print(f"PostgreSQL connections after the server stopped: {pg_connections()}")


if __name__ == "__main__":
    main()
