"""`make run` without Redis: the HTTP process's pushes reach the WebSocket process's layer over
loopback HTTP (config/channel_forward.py), through a real uvicorn server."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import uvicorn
from channels.layers import InMemoryChannelLayer

from config.channel_forward import HEADER, PATH, ForwardingChannelLayer, LayerBridge

SECRET = "s" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _inner(scope, receive, send):  # what the bridge passes everything else to
    await send({"type": "http.response.start", "status": 418, "headers": []})
    await send({"type": "http.response.body", "body": b"inner"})


async def _with_bridge(check) -> None:
    """Run ``check(layer, url)`` with a bridge serving ``layer`` on a real uvicorn, in this event loop."""
    port = _free_port()
    layer = InMemoryChannelLayer()
    app = LayerBridge(_inner, SECRET, layer=layer)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        await check(layer, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving


def _post(url: str, body: bytes, secret: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={HEADER: secret})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_forwarded_group_send_reaches_the_bridges_layer():
    async def check(layer, base):
        channel = await layer.new_channel()
        await layer.group_add("chat.session.abc", channel)
        forwarding = ForwardingChannelLayer(url=base + PATH, secret=SECRET)
        await forwarding.group_send("chat.session.abc", {"type": "message.created", "message": {"text": "hi"}})
        received = await asyncio.wait_for(layer.receive(channel), 5)
        assert received == {"type": "message.created", "message": {"text": "hi"}}

    asyncio.run(_with_bridge(check))


def test_the_bridge_refuses_a_wrong_secret_and_passes_other_paths_on():
    async def check(layer, base):
        channel = await layer.new_channel()
        await layer.group_add("g", channel)
        body = b'{"group": "g", "message": {"type": "x"}}'
        assert await asyncio.to_thread(_post, base + PATH, body, "wrong") == 403
        assert await asyncio.to_thread(_post, base + PATH, b"not json", SECRET) == 400
        assert await asyncio.to_thread(_post, base + "/api/v1/health", b"", SECRET) == 418
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(channel), 0.3)

    asyncio.run(_with_bridge(check))


@pytest.mark.parametrize(
    "extra",
    [
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},  # a real layer is there: no forwarding
        {"DJANGO_DEBUG": "false"},  # never in production
    ],
)
def test_the_forwarding_settings_are_refused_outside_development(extra, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "true",
        "REDIS_URL": "",
        "CHANNEL_LAYER_FORWARD_SECRET": SECRET,
        **extra,
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "CHANNEL_LAYER_FORWARD_" in done.stderr
