"""In-process cost of the hot read paths (Django's test client, no server); prints figures, asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load REDIS_URL=redis://127.0.0.1:6379/4 \\
        API_THROTTLE_USER=1000000/min .venv/bin/python scripts/profile_hot_paths.py [--profile NAME]

Uses the data of ``scripts/bench_data.py`` (built on first use). For each path: median and 95th
percentile milliseconds over ``BENCH_ROUNDS`` requests, this process's CPU time per request (the
Python cost, without the database's; steadier than wall time on a shared machine) and the queries
of one request. With
``--profile sessions`` (or status, messages, coaches, me) it also prints a pyinstrument profile of
that path, which is how the changes of issue 10 were chosen.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))


def hot_paths(data: dict) -> dict[str, tuple[str, str]]:
    """name -> (path, token): the paths of issue 10, as ``bench_load.py`` requests them too."""
    live = data["live"][0]
    return {
        "sessions": ("/api/v1/sessions?page_size=20", data["customer_token"]),
        "status": (f"/api/v1/sessions/{live['id']}/status", live["customer_token"]),
        "messages": (f"/api/v1/sessions/{live['id']}/messages", live["customer_token"]),
        "coaches": ("/api/v1/coaches?page_size=20", data["customer_token"]),
        "me": ("/api/v1/me", data["coach_token"]),
    }


def main() -> None:
    profile = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--profile" else None
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_data.py")], check=True, capture_output=True, text=True
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    connection.close()
    for name, (path, token) in hot_paths(data).items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        for _ in range(10):  # warm-up: imports, first connections
            assert client.get(path).status_code == 200, path
        queries: list[str] = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            client.get(path)
        samples = []
        cpu0 = time.process_time()
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - t0) * 1000)
        cpu = (time.process_time() - cpu0) * 1000 / ROUNDS
        samples.sort()
        print(
            f"GET {name:<9} p50 {statistics.median(samples):6.2f} ms  p95 {samples[int(len(samples) * 0.95)]:6.2f} ms"
            f"  CPU {cpu:5.2f} ms  queries {len(queries)}  ({path.split('?')[0].rsplit('/', 1)[-1]}, n={ROUNDS})"
        )
        if name == profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(ROUNDS):
                    client.get(path)
            print(profiler.output_text(unicode=False, color=False, show_all=False))
            for sql in queries:
                print("  ", sql[:300])


if __name__ == "__main__":
    main()
