"""Sending e-mail through Django's backends (SMTP from ``EMAIL_URL``, console, or django-anymail),
with the one question the callers need answered: may a retry help?"""

from __future__ import annotations

import contextlib
import smtplib
import socket

from django.core.mail import get_connection
from django.core.mail.message import EmailMessage


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
