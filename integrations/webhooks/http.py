"""POST to a webhook receiver, on a connection to an address that was checked when it was opened.

The name is resolved once per connection and every answer checked (``addresses.resolve``); the
socket then connects to that checked address itself, while the Host header, TLS SNI and the
certificate check use the name. No second lookup happens between the check and the connect, so a
DNS answer that changes in between (rebinding) cannot slip a private address in.

Each attempt has one deadline (``timeout`` seconds for connecting, sending and reading together);
redirects are answers like any other (never followed); at most ``max_body`` bytes of the answer
are read. A receiver that keeps the connection alive gets the next attempt on it.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from integrations.webhooks.addresses import AddressRefused, IPAddress, Target, parse_url, resolve

USER_AGENT = "coaching-platform-webhooks/1"


@dataclass
class Answer:
    status_code: int | None
    body: bytes
    duration_ms: int
    error: str = ""
    location: str = ""  # of a redirect, which is reported and never followed

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


class _Pinned:
    """Mixed into http.client's connections: connect to ``ip`` instead of resolving ``host``, and
    send a request's head and body in one write."""

    ip: IPAddress

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((str(self.ip), self.port), self.timeout)  # type: ignore[attr-defined]
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _send_output(self, message_body=None, encode_chunked=False) -> None:
        # http.client writes the head, then the body: two system calls and two packets per attempt
        # (with TCP_NODELAY, which a kept-alive connection needs). A body in bytes goes in the same
        # write; anything else takes http.client's own path.
        if not isinstance(message_body, bytes) or encode_chunked:
            return super()._send_output(message_body, encode_chunked)  # type: ignore[misc]
        self._buffer.extend((b"", b""))  # type: ignore[attr-defined]
        head = b"\r\n".join(self._buffer)  # type: ignore[attr-defined]
        del self._buffer[:]  # type: ignore[attr-defined]
        self.send(head + message_body)  # type: ignore[attr-defined]
        return None


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    def connect(self) -> None:
        # SNI and the certificate's name check use the host name, not the address.
        self.sock = self._context.wrap_socket(self._open_socket(), server_hostname=self.host)


class Receiver:
    """One receiving URL. Not thread-safe: one sender uses it at a time."""

    def __init__(self, url: str, *, timeout: float, allow_private: bool = False, max_body: int = 1024):
        self.url = url
        self.target: Target | None = None  # parsed at the first attempt, whose answer says what is wrong
        self.timeout = timeout
        self.allow_private = allow_private
        self.max_body = max_body
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self, deadline: float) -> http.client.HTTPConnection:
        if self.target is None:
            self.target = parse_url(self.url)
        addresses = resolve(self.target, allow_private=self.allow_private)
        cls = _PinnedHTTPSConnection if self.target.scheme == "https" else _PinnedHTTPConnection
        conn = cls(self.target.host, self.target.port, timeout=self.timeout)
        last: OSError | None = None
        for ip in addresses:
            conn.ip = ip
            conn.timeout = _left(deadline)
            try:
                conn.connect()
                return conn
            except OSError as exc:
                conn.close()
                last = exc
        raise last or OSError("no address to connect to")

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.monotonic()
        deadline = started + self.timeout
        reused = self._conn is not None and self._conn.sock is not None
        try:
            try:
                status, start, location = self._exchange(body, headers, deadline)
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                if not reused or time.monotonic() >= deadline:
                    raise
                # The receiver closed the idle kept-alive connection: once more on a fresh one.
                self.close()
                status, start, location = self._exchange(body, headers, deadline)
        except AddressRefused as exc:
            return self._failed(started, str(exc))
        except TimeoutError:
            return self._failed(started, f"No answer within {self.timeout:g} s.")
        except ssl.SSLError as exc:
            return self._failed(started, f"TLS error: {exc}")
        except (OSError, http.client.HTTPException) as exc:
            return self._failed(started, f"{type(exc).__name__}: {exc}".strip(": "))
        return Answer(status_code=status, body=start, duration_ms=_ms(started), location=location)

    def _failed(self, started: float, error: str) -> Answer:
        self.close()
        return Answer(status_code=None, body=b"", duration_ms=_ms(started), error=error[:500])

    def _exchange(self, body: bytes, headers: dict[str, str], deadline: float) -> tuple[int, bytes, str]:
        if self._conn is None or self._conn.sock is None:
            self.close()
            self._conn = self._connect(deadline)
        conn = self._conn
        # Kept aside: http.client hands the socket to the response when the receiver closes.
        sock = conn.sock
        sock.settimeout(_left(deadline))
        conn.request(
            "POST",
            self.target.path,
            body=body,
            headers={"content-type": "application/json", "user-agent": USER_AGENT, **headers},
        )
        sock.settimeout(_left(deadline))
        response = conn.getresponse()
        start = b""
        while len(start) < self.max_body:
            sock.settimeout(_left(deadline))
            chunk = response.read1(self.max_body - len(start))
            if not chunk:
                break
            start += chunk
        # http.client marks an answer with a Content-Length read to its end as done only after one
        # more (empty) read; ``length == 0`` says it is complete, and closing it frees the
        # connection for the next attempt. Anything else left unread is never drained: new connection.
        if response.will_close or not (response.isclosed() or response.length == 0):
            self.close()
        else:
            response.close()
        return response.status, start, (response.getheader("location") or "")[:300]


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
