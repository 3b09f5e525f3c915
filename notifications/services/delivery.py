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
from concurrent.futures import Future, ThreadPoolExecutor
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
# Up to this many jobs are sent in the calling thread (one e-mail session for all of them).
INLINE_JOBS = 4
# A SENDING delivery older than this lost its worker: it may go again.
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0
    queued: int = 0  # handed to worker tasks (``send_due_notifications(fan_out=True)``)

    def add(self, other: SendResult) -> None:
        for name in ("sent", "failed", "retrying", "skipped", "queued"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Failure(Exception):
    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def backoff_for(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _claim(qs, now: datetime) -> list[Delivery]:
    """Claim what ``qs`` selects; return the rows this call won (stamped with its claim token).
    Two queries: the conditional UPDATE takes its ids from ``qs`` as a subquery, then the won rows."""
    token = uuid.uuid4()
    won = Delivery.objects.filter(
        pk__in=qs.values("pk"), status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(status=Delivery.Status.SENDING, claim_token=token, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    if not won:
        return []
    return list(
        Delivery.objects.filter(claim_token=token, status=Delivery.Status.SENDING).select_related(
            "notification__recipient"
        )
    )


def deliveries_send(
    *,
    notification_ids=None,
    delivery_ids=None,
    now: datetime | None = None,
    batch_size: int = 500,
    senders: Senders | None = None,
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
    with contextlib.ExitStack() as stack:
        senders = senders or stack.enter_context(Senders())
        while True:
            selected = base.order_by("next_attempt_at", "pk")[:batch_size]
            claimed = _claim(selected, now)
            if claimed:
                result.add(batch_start(claimed, now, senders).finish())
            if len(claimed) < batch_size and (notification_ids is not None or delivery_ids is not None):
                # A task's own deliveries: fewer than a batch means none is left (no query to see it).
                return result
            if not claimed:
                return result


def deliveries_reset_stale(*, now: datetime | None = None) -> int:
    """Hand back deliveries whose sender died: ``SENDING`` for longer than ``STALE_CLAIM`` by the
    clock (claims are stamped with the real time, whatever ``now`` a caller sends for)."""
    now = now or timezone.now()
    stale = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lte=timezone.now() - STALE_CLAIM)
    return stale.exclude(notification__kind__in=EMAIL_ONLY).update(status=Delivery.Status.PENDING, next_attempt_at=now)


def batch_start(claimed: list[Delivery], now: datetime, senders: Senders) -> Batch:
    """Start sending ``claimed`` (deliveries this run holds, their notification and recipient loaded):
    the devices are read here, the network calls go to the run's threads, and :meth:`Batch.finish`
    waits for them and writes the outcomes. In between the caller may prepare the next batch."""
    pushes = [d for d in claimed if d.channel == Delivery.Channel.PUSH]
    client = fcm.get_client() if pushes else None
    devices: dict = {}
    if pushes and client is not None:
        for device in Device.objects.filter(user_id__in={d.notification.recipient_id for d in pushes}):
            devices.setdefault(device.user_id, []).append(device)
    batch = Batch(now)
    jobs = []
    for delivery in claimed:
        if delivery.channel == Delivery.Channel.EMAIL:
            jobs.append((delivery, _send_email, ()))
        elif client is None or not devices.get(delivery.notification.recipient_id):
            batch.finish_as(delivery, Delivery.Status.SKIPPED, "push is off" if client is None else "no devices")
        else:
            jobs.append((delivery, _send_push, (client, devices[delivery.notification.recipient_id])))
    batch.outcomes = senders.submit(jobs)
    return batch


class Batch:
    """A batch on its way: its outcomes come in from the sending threads; every write is made by
    :meth:`finish` in the caller's thread, grouped (one UPDATE per outcome, not one per delivery)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.result = SendResult()
        self.outcomes: list[Future] = []
        self._finished: dict[tuple[str, str], list[int]] = {}

    def finish_as(self, delivery: Delivery, status: str, error: str) -> None:
        self._finished.setdefault((status, error[:2000]), []).append(delivery.pk)
        if status == Delivery.Status.SKIPPED:
            self.result.skipped += 1
        else:
            self.result.failed += 1

    def finish(self) -> SendResult:
        sent: list[int] = []
        forgotten: list[str] = []
        retries: dict[tuple[str, datetime], list[int]] = {}
        for outcome in self.outcomes:
            delivery, failure, unregistered = outcome.result()
            forgotten += unregistered
            if failure is None:
                sent.append(delivery.pk)
                self.result.sent += 1
            elif failure.transient and delivery.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
                retries.setdefault((str(failure)[:2000], self.now + backoff_for(delivery.attempts)), []).append(
                    delivery.pk
                )
                self.result.retrying += 1
            else:
                self.finish_as(delivery, Delivery.Status.FAILED, str(failure))
                logger.warning("Notification %s %s failed: %s", delivery.notification_id, delivery.channel, failure)
        for token in forgotten:
            device_forget_token(token=token)
        if sent:
            Delivery.objects.filter(pk__in=sent).update(status=Delivery.Status.SENT, sent_at=self.now, last_error="")
        for (error, next_attempt_at), ids in retries.items():
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.PENDING, last_error=error, next_attempt_at=next_attempt_at
            )
        for (status, error), ids in self._finished.items():
            Delivery.objects.filter(pk__in=ids).update(status=status, last_error=error)
        return self.result


class Senders:
    """The sending threads of one run (``NOTIFICATION_SEND_THREADS``) and their e-mail connections:
    one per thread, opened on first use and kept from batch to batch, all closed at the end (the
    FCM client keeps an HTTP session per thread). A batch of up to ``INLINE_JOBS`` jobs runs in the
    calling thread, on its own connection."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Senders:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for connection in self._all:
            with contextlib.suppress(Exception):
                connection.close()

    def connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = email_client.open_connection()
            with self._lock:
                self._all.append(connection)
        return connection

    def submit(self, jobs: list) -> list[Future]:
        """The future outcome of each job, in the order of ``jobs``. A handful (one event's
        notifications) go one after the other on one connection: threads would each open their own."""
        if len(jobs) <= INLINE_JOBS or settings.NOTIFICATION_SEND_THREADS <= 1:
            done = []
            for job in jobs:
                done.append(Future())
                done[-1].set_result(_run(job, self))
            return done
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=settings.NOTIFICATION_SEND_THREADS, thread_name_prefix="notifications-send"
            )
        return [self._pool.submit(_run, job, self) for job in jobs]


def _run(job, senders: Senders) -> tuple[Delivery, _Failure | None, list[str]]:
    delivery, send, args = job
    unregistered: list[str] = []
    try:
        if send is _send_email:
            send(delivery, senders.connection())
        else:
            send(delivery, *args, unregistered=unregistered)
    except _Failure as exc:
        return delivery, exc, unregistered
    except Exception as exc:  # a bug must fail this delivery, not the batch that others share
        logger.exception("Sending notification %s failed", delivery.notification_id)
        return delivery, _Failure(f"{type(exc).__name__}: {exc}", transient=False), unregistered
    return delivery, None, unregistered


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
