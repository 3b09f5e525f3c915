"""Load benchmark of the production topology on PostgreSQL and Redis; prints figures, asserts nothing.

    .venv/bin/python scripts/bench_load.py
    BENCH_SECONDS=4 BENCH_ROUNDS=3 BENCH_CONNECTIONS=16,64 BENCH_COMPARE=uvicorn,gunicorn,granian \
        .venv/bin/python scripts/bench_load.py

Needs wrk (``apt-get install -y wrk``), PostgreSQL with a database of its own (``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/bench_load``; create it with
``psql -h 127.0.0.1 -U postgres -c 'create database bench_load'``) and Redis (``BENCH_REDIS_URL``,
default db 4). It builds its data (scripts/bench_data.py), then:
1. compares server families (``BENCH_COMPARE``) on ``GET sessions/{id}/status`` and
   ``GET sessions?page_size=20``: every family's server runs at once, each on its own port, and the
   rounds go through them in turn, so that a load on the machine falls on all of them alike;
2. starts the production topology (what ``make serve`` runs, with the benchmark-only floor views of
   scripts/bench_floor_urls.py added) and, for each hot path at each connection count: req/s, p50/p99,
   non-2xx, and the ratio to the hand-written floor of the same rows, served by the same server,
   the API and its floor measured in alternation (``BENCH_ROUNDS`` rounds of ``BENCH_SECONDS`` each);
3. 50 concurrent bookings of one slot (expect 1 x 201, 49 x 409, 0 x 5xx);
4. WebSocket fan-out: 200 sockets on 100 live sessions, one message posted in each session,
   delivery latency of ``message.created`` from the POST to each socket;
5. PostgreSQL connections of the database: the most seen during the load, after it, after the
   server stopped, against the pool total ((HTTP + WebSocket workers) x DATABASE_POOL_MAX_SIZE).
Requests come as through the TLS-terminating proxy of production (``X-Forwarded-Proto: https``).
Servers listen on ``BENCH_PORT`` (18010) and the next ten ports only; every load is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
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
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "16,64").split(",")]
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
WS_WORKERS = int(os.environ.get("WS_CONCURRENCY", "1"))  # make serve's uvicorn, for WebSockets
POOL_MAX = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "8"))
FAMILIES = "uvicorn,uvicorn-django,gunicorn,gunicorn-gthread,gunicorn-uvicorn,granian,granian-wsgi"
COMPARE = [c for c in os.environ.get("BENCH_COMPARE", FAMILIES).split(",") if c]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# BENCH_PATHS="GET sessions?page_size=20;GET sessions/{id}/status": only these (no booking, no fan-out);
# empty: only the server families.
PATHS = [p for p in os.environ["BENCH_PATHS"].split(";") if p] if "BENCH_PATHS" in os.environ else None
PORT = int(os.environ.get("BENCH_PORT", "18010"))
# `make serve` answers WebSockets on a port of their own (uvicorn), HTTP on PORT (gunicorn).
WS_PORT = int(os.environ.get("BENCH_WS_PORT", str(PORT + 1)))
# As the proxy in front of production says for a request that came over TLS (SECURE_PROXY_SSL_HEADER).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}

ENV = {
    **os.environ,
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "AGORA_APP_ID": "0" * 32,
    "AGORA_APP_CERTIFICATE": "0" * 32,
    # Throttles out of the way (their cost stays: the counter is kept on every request).
    "API_THROTTLE_USER": "100000000/min",
    "CHAT_MESSAGES_PER_MINUTE": "100000",
    "LOG_LEVEL": "WARNING",
    "WEB_CONCURRENCY": str(WORKERS),
    "DATABASE_POOL_MAX_SIZE": str(POOL_MAX),
    "DJANGO_SETTINGS_MODULE": "bench_floor_settings",
    "PYTHONPATH": f"{ROOT / 'scripts'}{os.pathsep}{ROOT}",
    "VENV_BIN": str(BIN),  # scripts/serve.sh's servers: this interpreter's
}


def serve_command(kind: str, port: int) -> list[list[str]]:
    """The processes of one topology; the first serves HTTP on ``port``. ``serve`` is `make serve`'s."""
    w, p, host = str(WORKERS), str(port), "127.0.0.1"
    gunicorn = [str(BIN / "gunicorn"), "-b", f"{host}:{p}", "-w", w, "--log-level", "warning"]
    return {
        "uvicorn": [
            [str(BIN / "uvicorn"), "config.asgi:application", "--host", host, "--port", p, "--workers", w,
             "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"],
        ],
        # The same with Django's own ASGI handler instead of config/asgi_http.py's (HTTP only).
        "uvicorn-django": [
            [str(BIN / "uvicorn"), "bench_asgi_stock:application", "--host", host, "--port", p, "--workers", w,
             "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"],
        ],
        # WSGI: HTTP only (`make serve` runs this one, with uvicorn for WebSockets on a second port).
        "gunicorn": [[*gunicorn, "config.wsgi:application", "-k", "sync"]],
        "gunicorn-gthread": [[*gunicorn, "config.wsgi:application", "-k", "gthread", "--threads", "4"]],
        "gunicorn-uvicorn": [[*gunicorn, "config.asgi:application", "-k", "uvicorn.workers.UvicornWorker"]],
        "granian": [
            [str(BIN / "granian"), "--interface", "asgi", "config.asgi:application", "--host", host,
             "--port", p, "--workers", w, "--log-level", "warning", "--no-access-log"],
        ],
        "granian-wsgi": [
            [str(BIN / "granian"), "--interface", "wsgi", "config.wsgi:application", "--host", host,
             "--port", p, "--workers", w, "--blocking-threads", "4", "--log-level", "warning", "--no-access-log"],
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
    """One topology's processes; ``start`` returns at once, ``wait`` until it answers."""

    def __init__(self, kind: str, port: int = PORT) -> None:
        self.kind, self.port = kind, port
        env = {**ENV, "PORT": str(port), "WS_PORT": str(WS_PORT), "HOST": "127.0.0.1"}
        self.procs = [
            subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True) for cmd in serve_command(kind, port)
        ]

    def wait(self) -> Server:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if get("/api/v1/health", port=self.port)[0] in (200, 503):
                    return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"{self.kind} did not come up on {self.port}")

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def get(path: str, token: str | None = None, method: str = "GET", body: dict | None = None, port: int = PORT):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {**PROXY_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
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


def wrk(path: str, token: str, connections: int, port: int = PORT, seconds: int = SECONDS) -> dict:
    headers = [arg for name, value in PROXY_HEADERS.items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", *headers,
         "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "none",
    }


def pooled(runs: list[dict]) -> dict:
    """Rounds of one measurement taken together: mean req/s, median p50, worst p99, all non-2xx."""
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": max(r["p99"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
        "errors": "; ".join(sorted({r["errors"] for r in runs})),
        "rounds": [r["rps"] for r in runs],
    }


class ConnectionWatch(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.running = 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, pg_connections())
            time.sleep(0.25)


def paths(data: dict, only: list[str] | None = None) -> list[tuple[str, str, str, str]]:
    live = data["live"][0]
    sid, tok = live["id"], live["customer_token"]
    every = [
        ("GET sessions?page_size=20", "/api/v1/sessions?page_size=20", "/floor/sessions", data["customer_token"]),
        ("GET sessions/{id}/status", f"/api/v1/sessions/{sid}/status", f"/floor/sessions/{sid}/status", tok),
        ("GET sessions/{id}/messages", f"/api/v1/sessions/{sid}/messages", f"/floor/sessions/{sid}/messages", tok),
        ("GET coaches?page_size=20", "/api/v1/coaches?page_size=20", "/floor/coaches", data["customer_token"]),
        ("GET me", "/api/v1/me", "/floor/me", data["coach_token"]),
    ]
    return [p for p in every if only is None or p[0] in only]


def compare_families(data: dict) -> None:
    """Every family serves at once on its own port; each round measures them one after the other."""
    every = {p[0]: p for p in paths(data)}
    chosen = [every[label] for label in ("GET sessions/{id}/status", "GET sessions?page_size=20") if label in every]
    print(
        f"\n== server families: {WORKERS} workers each, all running at once, {ROUNDS} rounds of {SECONDS} s "
        f"through them in turn; req/s (mean of the rounds), p50 / p99 ms, and the ratio to the fastest"
    )
    servers = [Server(kind, PORT + 1 + i) for i, kind in enumerate(COMPARE)]
    try:
        for server in servers:
            server.wait()
        for label, path, _, token in chosen:
            for conns in CONNECTIONS:
                for server in servers:  # warm-up: imports, pools, first queries
                    wrk(path, token, conns, server.port, seconds=1)
                runs: dict[str, list[dict]] = {server.kind: [] for server in servers}
                for _ in range(ROUNDS):
                    for server in servers:
                        runs[server.kind].append(wrk(path, token, conns, server.port))
                results = {kind: pooled(r) for kind, r in runs.items()}
                best = max(max(r["rps"] for r in results.values()), 0.1)
                print(f"{label}, {conns} connections:")
                for kind, r in results.items():
                    print(
                        f"  {kind:18} {r['rps']:7.0f} req/s  p50 {r['p50']:7.1f}  p99 {r['p99']:7.1f} ms  "
                        f"non-2xx {r['non2xx']}  x{r['rps'] / best:.2f} of the fastest  "
                        f"(rounds {', '.join(f'{x:.0f}' for x in r['rounds'])})"
                    )
    finally:
        for server in servers:
            server.stop()


def hot_paths(data: dict) -> None:
    print(
        f"\n== production topology (make serve): {WORKERS} workers, pool max {POOL_MAX} each; API and floor "
        f"in alternation, {ROUNDS} rounds of {SECONDS} s each"
    )
    watch = ConnectionWatch()
    watch.start()
    for label, api, floor, token in paths(data, PATHS):
        assert get(api, token)[0] == 200 and get(floor, token)[0] == 200, label
        for conns in CONNECTIONS:
            wrk(api, token, conns, seconds=1)
            wrk(floor, token, conns, seconds=1)
            api_runs, floor_runs = [], []
            for _ in range(ROUNDS):
                api_runs.append(wrk(api, token, conns))
                floor_runs.append(wrk(floor, token, conns))
            a, f = pooled(api_runs), pooled(floor_runs)
            each = [x / y for x, y in zip(a["rounds"], f["rounds"], strict=True) if y] or [0.0]
            print(
                f"{label:28} c={conns:<3} {a['rps']:7.0f} req/s  p50 {a['p50']:7.1f}  p99 {a['p99']:7.1f} ms  "
                f"non-2xx {a['non2xx']}  errors {a['errors']} | floor {f['rps']:7.0f} req/s  "
                f"ratio {a['rps'] / max(f['rps'], 0.1):.2f} (rounds {min(each):.2f}-{max(each):.2f})"
            )
    watch.running = False
    watch.join()
    time.sleep(1)
    print(f"PostgreSQL connections: peak during load {watch.peak}, after the load {pg_connections()}, "
          f"pool total {(WORKERS + WS_WORKERS) * POOL_MAX}")  # fmt: skip


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
    for port in {PORT, WS_PORT, *range(PORT + 1, PORT + 1 + len(COMPARE))}:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is taken")
    env = {**ENV, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true"}
    out = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "bench_data.py")], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=ENV, check=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')} machine: {os.cpu_count()} cores, load average {load}; "
        f"PostgreSQL connections of the database before: {pg_connections()}"
    )
    if COMPARE:
        compare_families(data)
    if PATHS is not None and not PATHS:
        return
    server = Server("serve").wait()
    try:
        hot_paths(data)
        if PATHS is None:
            contested_booking(data)
            asyncio.run(_fanout(data))
    finally:
        server.stop()
    time.sleep(1)
    print(f"PostgreSQL connections after the server stopped: {pg_connections()}")


if __name__ == "__main__":
    main()
