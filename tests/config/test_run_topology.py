"""`make run`'s two servers as scripts/run.sh starts them (gunicorn for HTTP, uvicorn for WebSockets),
on a throwaway SQLite database, without Redis: a message posted over HTTP reaches an open socket
(through the forwarding bridge), every odd request line gets an HTTP answer, and both stop together."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.live_session import live_session_database
from tests.helpers.services import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="scripts/run.sh is bash on Linux")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "CELERY_", "CHANNEL_LAYER_", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp}/run.sqlite3", MEDIA_ROOT=str(tmp / "media"), LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings", VENV_BIN=str(BIN),
    )  # fmt: skip
    session_id, token = live_session_database(env)
    port = free_port()
    env.update(HOST="127.0.0.1", PORT=str(port), WS_PORT=str(port + 1), WEB_CONCURRENCY="1")
    run = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            for p in (port, port + 1):
                urllib.request.urlopen(f"http://127.0.0.1:{p}/api/v1/health", timeout=2).read()
            break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(run.pid, signal.SIGKILL)
        pytest.fail("scripts/run.sh did not come up")
    yield {"http": port, "ws": port + 1, "session": session_id, "token": token, "process": run}
    if run.poll() is None:
        os.killpg(run.pid, signal.SIGKILL)


def test_a_message_posted_over_http_reaches_the_socket_on_the_other_server(servers):
    import websockets

    async def check():
        url = f"ws://127.0.0.1:{servers['ws']}/ws/sessions/{servers['session']}/?token={servers['token']}"
        async with websockets.connect(url) as ws:
            request = urllib.request.Request(
                f"http://127.0.0.1:{servers['http']}/api/v1/sessions/{servers['session']}/messages",
                data=json.dumps({"text": "across the two servers"}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {servers['token']}"},
                method="POST",
            )
            status = await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=10).status)
            assert status == 201
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if event["type"] == "message.created":
                    assert event["message"]["text"] == "across the two servers"
                    return

    asyncio.run(check())


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /api/v1/health?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"GET /api/v1/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
        (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", b"404"),
        (b"GET /api/v1/health HTTP/1.0\r\n\r\n", b"200"),
        (b"get /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
        (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * 10000 + b"\r\n\r\n", b"431"),
    ],
)
def test_every_request_line_gets_an_http_answer(servers, raw, status):
    with socket.create_connection(("127.0.0.1", servers["http"]), timeout=10) as conn:
        conn.sendall(raw)
        line = conn.recv(200).split(b"\r\n")[0]
    assert line.startswith(b"HTTP/1.") and line.split()[1] == status, line


def test_both_servers_stop_on_one_signal(servers):
    run = servers["process"]
    os.killpg(run.pid, signal.SIGTERM)
    assert run.wait(timeout=30) == 0
    for port in (servers["http"], servers["ws"]):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
