"""A real SMTP server (aiosmtpd) in a thread, keeping every message it is given."""

from __future__ import annotations

import email
import email.policy
import logging
import threading

from aiosmtpd.controller import Controller

from tests.helpers.services import free_port


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.sink.refuse.get(address)
        if code:
            return code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Kept raw: parsing is for the reader (a benchmark sends thousands).
        with self.sink.lock:
            self.sink.raw.append((list(envelope.rcpt_tos), envelope.content))
            self.sink.peers.append(session.peer)
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self) -> None:
        self.raw: list[tuple[list[str], bytes]] = []
        # The client's (host, port) of each message: one port per SMTP connection.
        self.peers: list[tuple] = []
        self.lock = threading.Lock()
        # address -> SMTP answer, e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"
        self.refuse: dict[str, str] = {}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=free_port())

    def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.raw)

    @property
    def messages(self) -> list:
        """``[(recipients, parsed message)]`` of everything received so far."""
        with self.lock:
            raw = list(self.raw)
        return [(rcpts, email.message_from_bytes(content, policy=email.policy.default)) for rcpts, content in raw]

    def to(self, address: str) -> list:
        return [message for rcpts, message in self.messages if address in rcpts]

    @staticmethod
    def parts(message) -> tuple[str, str]:
        """(text, html) of a multipart/alternative message."""
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        return text, html
