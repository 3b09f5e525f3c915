"""Memory and time of one large chat upload through a real server; prints figures, asserts nothing.

    .venv/bin/python scripts/bench_upload.py                 # gunicorn, uvicorn and daphne, a 90 MiB video
    BENCH_UPLOAD_MIB=30 BENCH_SERVERS=uvicorn .venv/bin/python scripts/bench_upload.py

For each server it sets up a throwaway SQLite database with a running session, starts the server
on a free port, sends the video as multipart/form-data and reports the answer, the time and the
server's peak resident memory (VmHWM), then an announced oversized upload (the time until its 413).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
sys.path.insert(0, str(ROOT))
from tests.helpers.live_session import live_session_database  # noqa: E402

MIB = 1024 * 1024
UPLOAD_MIB = int(os.environ.get("BENCH_UPLOAD_MIB", "90"))
SERVERS = os.environ.get("BENCH_SERVERS", "gunicorn,uvicorn,daphne").split(",")


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def _mp4_head(media_bytes: int) -> bytes:
    """ftyp, a moov with one video track, and the header of an mdat of ``media_bytes``."""
    mvhd = _box(b"mvhd", bytes(12) + (1000).to_bytes(4, "big") + (60_000).to_bytes(4, "big") + bytes(80))
    hdlr = _box(b"hdlr", bytes(8) + b"vide" + bytes(12) + b"Video\0")
    moov = _box(b"moov", mvhd + _box(b"trak", _box(b"mdia", hdlr)))
    ftyp = _box(b"ftyp", b"isom" + bytes(4) + b"isomiso2avc1mp41")
    return ftyp + moov + (8 + media_bytes).to_bytes(4, "big") + b"mdat"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mib(pid: int) -> float:
    # gunicorn's master only supervises: its worker process reads the body.
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    if children and Path(f"/proc/{pid}/cmdline").read_bytes().find(b"gunicorn") >= 0:
        pid = int(children[0])
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server on {port} did not come up")


def _post(port: int, path: str, token: str, body_parts: list[bytes], length: int, content_type: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.putrequest("POST", path)
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", content_type)
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    started = time.perf_counter()
    try:
        for part in body_parts:
            conn.send(part)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered early and closed: read its answer below
    try:
        response = conn.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return "closed without an answer", b"", time.perf_counter() - started
    answer = response.read()[:120]
    conn.close()
    return response.status, answer, time.perf_counter() - started


def run(server: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "REDIS_URL": "",
            "MEDIA_ROOT": f"{tmp}/media",
            "LOG_LEVEL": "WARNING",
        }
        session_id, token = live_session_database(env)
        port = int(os.environ.get("BENCH_PORT") or _free_port())
        command = {
            "uvicorn": [str(BIN / "uvicorn"), "config.asgi:application", "--port", str(port), "--log-level", "warning"],
            "daphne": [str(BIN / "daphne"), "-p", str(port), "config.asgi:application"],
            # make serve's HTTP server (WSGI): Django reads the body as the upload handlers ask for it.
            "gunicorn": [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-k",
                "sync",
                "--log-level",
                "warning",
            ],  # fmt: skip
        }[server]
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(port)
            # One small request first: a gunicorn worker loads Django on its first request, uvicorn at start.
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            warm.request("GET", "/api/v1/health")
            warm.getresponse().read()
            warm.close()
            idle = _peak_rss_mib(proc.pid)
            boundary = "benchboundary"
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="v.mp4"\r\n'
                "Content-Type: video/mp4\r\n\r\n"
            ).encode()
            video_head = _mp4_head(UPLOAD_MIB * MIB)
            tail = f"\r\n--{boundary}--\r\n".encode()
            chunk = b"\0" * MIB
            size = len(head) + len(video_head) + UPLOAD_MIB * MIB + len(tail)
            parts = [head, video_head, *([chunk] * UPLOAD_MIB), tail]
            path = f"/api/v1/sessions/{session_id}/messages"
            ctype = f"multipart/form-data; boundary={boundary}"
            status, answer, seconds = _post(port, path, token, parts, size, ctype)
            peak = _peak_rss_mib(proc.pid)
            print(
                f"{server:8} {UPLOAD_MIB} MiB video: HTTP {status} in {seconds:.2f} s; "
                f"server memory idle {idle:.0f} MiB, peak {peak:.0f} MiB (+{peak - idle:.0f})"
            )
            if status >= 400:
                print(f"         answer: {answer!r}")
            status, answer, seconds = _post(port, path, token, [b"x" * MIB], 500 * MIB, ctype)
            print(f"{server:8} announced 500 MiB, 1 MiB sent: {status} after {seconds * 1000:.0f} ms {answer[:60]!r}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    for name in SERVERS:
        run(name.strip())
