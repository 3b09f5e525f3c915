"""A webhook receiver for the tests: a real HTTP server in a thread, on 127.0.0.1 and a port from
the OS. It checks every signature with its own implementation of the Standard Webhooks scheme
(hmac + base64, nothing from the project or the ``standardwebhooks`` package) and answers what the
test scripted: a status, a sleep, a redirect, a large body."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: any ``v1,<b64>`` in webhook-signature equal to
    base64(HMAC-SHA256(b64decode(secret after whsec_), "{id}.{timestamp}.{body}"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, sig) for sig in offered)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    peer: tuple = ()  # the client's address and port: one per connection

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Script:
    """What to answer, in order; once used up, ``default``. An item: an int (status), or a dict
    ``{"status", "sleep", "location", "body"}``."""

    items: deque = field(default_factory=deque)
    default: dict = field(default_factory=lambda: {"status": 200})

    def next(self) -> dict:
        item = self.items.popleft() if self.items else self.default
        return {"status": item} if isinstance(item, int) else item


class WebhookReceiver:
    def __init__(self):
        self.received: list[Received] = []
        self.scripts: dict[str, Script] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do
            disable_nagle_algorithm = True  # head and body are two writes: no wait for a delayed ACK

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                            tuple(self.client_address),
                        )
                    )
                    answer = receiver.scripts.setdefault(self.path, Script()).next()
                if answer.get("sleep"):
                    time.sleep(answer["sleep"])
                out = answer.get("body", b"ok")
                self.send_response(answer.get("status", 200))
                if answer.get("location"):
                    self.send_header("Location", answer["location"])
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *items, default=None) -> None:
        with self.lock:
            self.scripts[path] = Script(items=deque(items), default=default or {"status": 200})

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.at(path)

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
