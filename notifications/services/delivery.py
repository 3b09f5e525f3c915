"""Sending deliveries: e-mail through Django's backends, push through FCM.

A delivery is claimed with a conditional update (``PENDING`` and due -> ``SENDING``, stamped with
this worker's claim token) before anything goes out, so a task and the sweep, or two workers, never
send one twice. Transient failures (an SMTP 4xx, a dropped connection, FCM 429/5xx) go back to
``PENDING`` with a growing delay until ``NOTIFICATION_MAX_ATTEMPTS``; anything else fails at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from integrations import email as email_client
from integrations import fcm
from notifications.kinds import EMAIL_ONLY, HIGH_PRIORITY
from notifications.models import Delivery, Device
from notifications.services.devices import device_forget_token
from notifications.services.rendering import build_email

logger = logging.getLogger(__name__)

# Delay before attempt n+1 after n transient failures.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
# A SENDING delivery older than this lost its worker: it may go again.
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0

    def add(self, other: SendResult) -> None:
        for name in ("sent", "failed", "retrying", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Failure(Exception):
    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def backoff_for(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _claim(qs, now: datetime) -> list[Delivery]:
    """Claim what ``qs`` selects; return the rows this call won (stamped with its claim token)."""
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return []
    token = uuid.uuid4()
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING, next_attempt_at__lte=now).update(
        status=Delivery.Status.SENDING, claim_token=token, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    return list(
        Delivery.objects.filter(claim_token=token, status=Delivery.Status.SENDING).select_related(
            "notification__recipient"
        )
    )


def deliveries_send(
    *, notification_ids=None, delivery_ids=None, now: datetime | None = None, batch_size: int = 500
) -> SendResult:
    """Send the due deliveries of the given notifications or ids (or every due one, for the sweep)."""
    now = now or timezone.now()
    result = SendResult()
    # Account e-mails carry a link only their own task knows: it retries them, never this sweep.
    base = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now).exclude(
        notification__kind__in=EMAIL_ONLY
    )
    if notification_ids is not None:
        base = base.filter(notification_id__in=list(notification_ids))
    if delivery_ids is not None:
        base = base.filter(pk__in=list(delivery_ids))
    while True:
        claimed = _claim(base.order_by("next_attempt_at", "pk")[:batch_size], now)
        if not claimed:
            return result
        result.add(_send_batch(claimed, now))


def deliveries_reset_stale(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    stale = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lte=now - STALE_CLAIM)
    return stale.exclude(notification__kind__in=EMAIL_ONLY).update(status=Delivery.Status.PENDING, next_attempt_at=now)


def _send_batch(claimed: list[Delivery], now: datetime) -> SendResult:
    """Send ``claimed``: the network calls in a small thread pool (each thread its own SMTP
    connection), every database read before and every write after, in this thread."""
    result = SendResult()
    pushes = [d for d in claimed if d.channel == Delivery.Channel.PUSH]
    client = fcm.get_client() if pushes else None
    devices: dict = {}
    if pushes and client is not None:
        for device in Device.objects.filter(user_id__in={d.notification.recipient_id for d in pushes}):
            devices.setdefault(device.user_id, []).append(device)
    jobs = []
    for delivery in claimed:
        if delivery.channel == Delivery.Channel.EMAIL:
            jobs.append((delivery, _send_email, ()))
        elif client is None or not devices.get(delivery.notification.recipient_id):
            _finish(delivery, Delivery.Status.SKIPPED, "push is off" if client is None else "no devices")
            result.skipped += 1
        else:
            jobs.append((delivery, _send_push, (client, devices[delivery.notification.recipient_id])))

    connections = _Connections()
    try:
        if len(jobs) > 1 and settings.NOTIFICATION_SEND_THREADS > 1:
            with ThreadPoolExecutor(max_workers=settings.NOTIFICATION_SEND_THREADS) as pool:
                outcomes = list(pool.map(lambda job: _run(job, connections), jobs))
        else:
            outcomes = [_run(job, connections) for job in jobs]
    finally:
        connections.close()

    sent: list[int] = []
    forgotten: list[str] = []
    for delivery, failure, unregistered in outcomes:
        forgotten += unregistered
        if failure is None:
            sent.append(delivery.pk)
            result.sent += 1
        elif failure.transient and delivery.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.PENDING,
                last_error=str(failure)[:2000],
                next_attempt_at=now + backoff_for(delivery.attempts),
            )
            result.retrying += 1
        else:
            _finish(delivery, Delivery.Status.FAILED, str(failure))
            result.failed += 1
            logger.warning("Notification %s %s failed: %s", delivery.notification_id, delivery.channel, failure)
    for token in forgotten:
        device_forget_token(token=token)
    if sent:
        Delivery.objects.filter(pk__in=sent).update(status=Delivery.Status.SENT, sent_at=now, last_error="")
    return result


class _Connections:
    """One e-mail connection per sending thread, opened on first use, all closed at the end."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()

    def get(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = email_client.open_connection()
            with self._lock:
                self._all.append(connection)
        return connection

    def close(self) -> None:
        for connection in self._all:
            with contextlib.suppress(Exception):
                connection.close()


def _run(job, connections: _Connections) -> tuple[Delivery, _Failure | None, list[str]]:
    delivery, send, args = job
    unregistered: list[str] = []
    try:
        if send is _send_email:
            send(delivery, connections.get())
        else:
            send(delivery, *args, unregistered=unregistered)
    except _Failure as exc:
        return delivery, exc, unregistered
    except Exception as exc:  # a bug must fail this delivery, not the batch that others share
        logger.exception("Sending notification %s failed", delivery.notification_id)
        return delivery, _Failure(f"{type(exc).__name__}: {exc}", transient=False), unregistered
    return delivery, None, unregistered


def _finish(delivery: Delivery, status: str, error: str) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=status, last_error=error[:2000])


def _send_email(delivery: Delivery, connection) -> None:
    notification = delivery.notification
    message = build_email(
        kind=notification.kind,
        recipient=notification.recipient,
        title=notification.title,
        body=notification.body,
        action_url=_action_url(notification),
    )
    try:
        email_client.send_message(connection, message)
    except email_client.EmailSendError as exc:
        raise _Failure(str(exc), exc.transient) from exc


def _action_url(notification) -> str:
    session_id = (notification.data or {}).get("session_id")
    return f"{settings.FRONTEND_URL}/sessions/{session_id}" if session_id else settings.FRONTEND_URL


def push_data(notification) -> dict[str, str]:
    """What an app needs to open the right screen."""
    data = {"kind": notification.kind, "notification_id": str(notification.pk)}
    for key, value in (notification.data or {}).items():
        if isinstance(value, (str, int)) and value != "":
            data[key] = str(value)
    return data


def _send_push(delivery: Delivery, client, devices: list[Device], *, unregistered: list[str]) -> None:
    """Send to each device; tokens FCM calls UNREGISTERED go to ``unregistered`` (deleted by the caller)."""
    notification = delivery.notification
    errors: list[fcm.FcmError] = []
    delivered = 0
    for device in devices:
        message = fcm.PushMessage(
            token=device.token,
            title=notification.title,
            body=notification.body,
            data=push_data(notification),
            high_priority=notification.kind in HIGH_PRIORITY,
        )
        try:
            client.send(message)
            delivered += 1
        except fcm.FcmError as exc:
            if exc.unregistered:
                unregistered.append(device.token)
            else:
                errors.append(exc)
    if delivered or not errors:
        # Sent to a device (a retry would repeat it there), or every token was stale and is gone.
        if not delivered:
            raise _Failure("every device token was unregistered", transient=False)
        return
    raise _Failure("; ".join(str(e) for e in errors)[:2000], transient=all(e.transient for e in errors))
