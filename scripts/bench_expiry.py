"""Benchmark of the recordings retention job; prints figures, asserts nothing.

    .venv/bin/python scripts/bench_expiry.py                 # 10 000 recordings, SQLite
    BENCH_RECORDINGS=50000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_expiry.py

It builds a throwaway test database with N due recordings (each with one MP4 file on the local
file system storage), runs ``recordings_expire_due`` once and prints the wall time, rows per
second, queries, and the peak Python memory (tracemalloc) of the run and of the process (RSS).
A second run shows the idempotent no-op.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import tracemalloc
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

RECORDINGS = int(os.environ.get("BENCH_RECORDINGS", "10000"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))


def main() -> None:
    setup_test_environment(debug=False)  # DEBUG keeps every SQL string: not what production runs
    workdir = tempfile.mkdtemp(prefix="bench-expiry-")
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": workdir}},
    }
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from recordings import services
        from recordings.models import Recording, RecordingFile
        from sessions_app.models import Session
        from tests.factories import SessionFactory

        t0 = time.perf_counter()
        session = SessionFactory(status=Session.Status.COMPLETED, ended_at=timezone.now() - timedelta(days=60))
        rows = [Recording(session=session, status="AVAILABLE") for _ in range(RECORDINGS)]
        Recording.objects.bulk_create(rows, batch_size=2000)
        files = []
        for recording in rows:
            name = f"recordings/{recording.pk.hex}.mp4"
            path = Path(workdir) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\x00\x00\x00\x18ftypisom")
            files.append(RecordingFile(recording=recording, name=name, size_bytes=12))
        RecordingFile.objects.bulk_create(files, batch_size=2000)
        print(
            f"fixture: {RECORDINGS} due recordings with one file each "
            f"in {time.perf_counter() - t0:.1f} s on {connection.vendor}"
        )

        for label in ("first run", "second run"):
            tracemalloc.start()
            t0 = time.perf_counter()
            queries = [0]

            def count(execute, sql, params, many, context, queries=queries):
                queries[0] += 1  # counted, not kept: keeping SQL text would be the memory we measure
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                result = services.recordings_expire_due(batch_size=BATCH)
            elapsed = time.perf_counter() - t0
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rate = result.expired / elapsed if elapsed else 0
            print(
                f"{label}: expired {result.expired}, failed {result.failed} in {elapsed:.2f} s "
                f"({rate:.0f} rows/s), {queries[0]} queries, batch {BATCH}, "
                f"peak traced memory {peak / 1024 / 1024:.1f} MiB"
            )
        left = sum(1 for _ in Path(workdir).rglob("*.mp4"))
        print(f"files left on disk: {left}")
        print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
