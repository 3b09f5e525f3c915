"""Sending e-mail through Django's backends (SMTP from ``EMAIL_URL``, console, or django-anymail),
with the one question the callers need answered: may a retry help?"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import uuid
from email.policy import Compat32

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import EmailMessage

_PLAIN_HEADER = re.compile(r"[\x20-\x7e\t]*")


class _Policy(Compat32):
    """The standard library's default policy, with a short cut for short plain headers.

    Folding builds an ``email.header.Header`` for every header and splits it again: more than a
    third of an e-mail's CPU here. A header of printable ASCII that fits on one line folds to itself,
    so it is written as it is; anything else goes the standard way (the bytes are the same, tested).
    """

    def fold_binary(self, name, value):
        if (
            isinstance(value, str)
            and self.max_line_length
            and len(name) + 2 + len(value) <= self.max_line_length
            and _PLAIN_HEADER.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


POLICY = _Policy()


class Message(EmailMultiAlternatives):
    """A text + HTML e-mail, as Django builds it, that costs less to turn into bytes: the folding
    short cut above, and a multipart boundary set up front (without one, the generator makes one and
    compiles a regular expression to check the parts for it; 128 random bits do not occur by chance)."""

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        message.policy = POLICY
        if message.is_multipart():
            message.set_boundary(f"==============={uuid.uuid4().hex}==")
        return message


class EmailSendError(Exception):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def open_connection():
    """One connection for a batch (SMTP: one session for many messages). It connects on the first
    :func:`send_message`, so an unreachable server is that message's (transient) failure."""
    return get_connection(fail_silently=False)


def _smtp_code_transient(code) -> bool:
    return isinstance(code, int) and 400 <= code < 500


def classify(exc: BaseException) -> EmailSendError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return EmailSendError(f"recipient refused: {exc.recipients}", transient=all(map(_smtp_code_transient, codes)))
    if isinstance(exc, smtplib.SMTPResponseException):
        return EmailSendError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", transient=_smtp_code_transient(exc.smtp_code)
        )
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError)):
        return EmailSendError(f"{type(exc).__name__}: {exc}", transient=True)
    # Anything else (a provider's API error through anymail, a bad address) is not fixed by waiting.
    transient = getattr(exc, "status_code", None) in (429, 500, 502, 503, 504)
    return EmailSendError(f"{type(exc).__name__}: {exc}", transient=transient)


def send_message(connection, message: EmailMessage) -> None:
    """Send one message on ``connection``; raises :class:`EmailSendError`.

    The connection is opened here, not by ``send_messages``: a backend that opens a connection itself
    closes it again after the call, so every message would pay for its own SMTP session (connect,
    EHLO, QUIT). Opened by the caller, it stays open for the next message until the caller closes it.
    """
    try:
        connection.open()  # no-op when already open
        sent = connection.send_messages([message])
    except Exception as exc:  # every backend raises its own types
        # A broken SMTP session must not poison the next message of the batch.
        with contextlib.suppress(Exception):
            connection.close()
        raise classify(exc) from exc
    if sent == 0 and message.recipients():
        raise EmailSendError("the backend sent nothing", transient=True)
