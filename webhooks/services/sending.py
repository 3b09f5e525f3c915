"""Sending: one sender at a time per endpoint claims its due deliveries, posts them, records every
attempt and schedules the retries (SPEC section 7).

Why a sender per endpoint: a receiver that hangs costs up to ``WEBHOOK_TIMEOUT_SECONDS`` per attempt.
With one sender each, it holds one worker, never the pool, and the other endpoints' senders go on
in parallel. A sender works at most ``SENDER_BUDGET_SECONDS`` and then queues itself again behind
the other endpoints' tasks.

Exactly one attempt at a time per delivery: deliveries are claimed with one conditional
``UPDATE ... WHERE claimed_until IS NULL OR claimed_until <= now`` (two workers that race for a row
cannot both win it), and the claim outlives the longest a sender can spend on its batch. A worker
killed mid-batch leaves its claims to lapse; the rows are then due again (at least once: receivers
dedupe on ``webhook-id``).

An endpoint that does not answer at all (refused, timed out, ...) is paused: the sender stops at
that attempt, leaves the rest of its batch due, and no sender takes the endpoint until
``paused_until`` (the retry schedule's pace). A receiver that is down then costs one attempt per
pause, not one per delivery, and never a worker for long.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from config.tasks import enqueue, enqueue_on_commit
from events.models import Event
from integrations.webhooks import signing
from integrations.webhooks.http import Answer, Receiver
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services.fan_out import SEND_TASK
from webhooks.services.outcomes import RESPONSE_KEPT_BYTES, no_answer, record

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
BATCH_SIZE = 100
SENDER_BUDGET_SECONDS = 20.0
# A sender on a worker waits this long for more before it lets the endpoint go: under a steady flow
# one sender keeps its connection and takes each new delivery, instead of a task per event.
SENDER_LINGER_SECONDS = 2.0


@dataclass
class SendResult:
    attempts: int = 0
    succeeded: int = 0
    failed: int = 0  # attempts that failed (retried later, or given up)
    gave_up: int = 0  # deliveries that ran out of retries: FAILED
    busy: bool = False  # another sender had the endpoint, or it is paused
    more: bool = False  # stopped at its time budget with work left
    paused: bool = False  # the endpoint did not answer: paused

    def add(self, other: SendResult) -> None:
        for name in ("attempts", "succeeded", "failed", "gave_up"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def delivery_body(event: Event) -> str:
    """The exact text POSTed (and signed): the event as SPEC section 7 writes it, compact JSON."""
    return json.dumps(event.as_payload(), separators=(",", ":"))


def _free(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def _due(now: datetime):
    return WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).filter(_free(now))


def _not_paused(now: datetime) -> Q:
    return Q(paused_until__isnull=True) | Q(paused_until__lte=now)


def _lease() -> timedelta:
    # Longer than a sender can hold a batch: its budget, then one more attempt, then recording.
    return timedelta(seconds=SENDER_BUDGET_SECONDS + 2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)


def _claim(*, endpoint_id, now: datetime, limit: int) -> tuple[str, list[WebhookDelivery]]:
    token = uuid.uuid4().hex
    ids = _due(now).filter(endpoint_id=endpoint_id).order_by("next_attempt_at", "pk").values("pk")[:limit]
    # The outer condition is re-checked on the row itself: of two claimers, the second finds it taken.
    WebhookDelivery.objects.filter(pk__in=ids, status=Status.PENDING).filter(_free(now)).update(
        claim_token=token, claimed_until=now + _lease()
    )
    batch = list(
        WebhookDelivery.objects.filter(claim_token=token).select_related("event").order_by("next_attempt_at", "pk")
    )
    return token, batch


def _attempt(receiver: Receiver, endpoint: WebhookEndpoint, delivery: WebhookDelivery, at: datetime) -> Answer:
    body = delivery_body(delivery.event)
    headers = signing.headers(
        keys=endpoint.signing_secrets(at), msg_id=str(delivery.event_id), timestamp=int(at.timestamp()), body=body
    )
    return receiver.post(body.encode(), headers)


def _send_round(
    *, endpoint_id, clock: Callable[[], datetime], budget: float, batch_size: int, linger: float
) -> SendResult:
    result = SendResult()
    token = uuid.uuid4().hex
    now = clock()
    taken = (
        WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True)
        .filter(_not_paused(now))
        .filter(Q(sender_until__isnull=True) | Q(sender_until__lte=now))
        .update(sender_token=token, sender_until=now + _lease())
    )
    if not taken:
        result.busy = True
        return result
    stop_at = time.monotonic() + budget
    try:
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        with Receiver(
            endpoint.url,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS,
            max_body=RESPONSE_KEPT_BYTES,
        ) as receiver:
            idle_until = time.monotonic() + linger
            while True:
                if time.monotonic() >= stop_at:
                    result.more = True
                    break
                claim, batch = _claim(endpoint_id=endpoint_id, now=clock(), limit=batch_size)
                if not batch:
                    if time.monotonic() >= idle_until:
                        break
                    time.sleep(0.1)
                    continue
                idle_until = time.monotonic() + linger
                outcomes = []
                for delivery in batch:
                    if time.monotonic() >= stop_at:
                        result.more = True
                        break
                    at = clock()
                    answer = _attempt(receiver, endpoint, delivery, at)
                    outcomes.append((delivery, at, answer))
                    if no_answer(answer):
                        result.paused = True  # the rest of the batch waits for the endpoint
                        break
                active = record(
                    endpoint=endpoint,
                    token=claim,
                    outcomes=outcomes,
                    now=clock(),
                    result=result,
                    unsent=len(outcomes) < len(batch),
                )
                if not active or result.more or result.paused:
                    break
    finally:
        WebhookEndpoint.objects.filter(pk=endpoint_id, sender_token=token).update(sender_token="", sender_until=None)
    return result


def webhook_endpoint_send_due(
    *,
    endpoint_id,
    now: datetime | None = None,
    budget_seconds: float = SENDER_BUDGET_SECONDS,
    batch_size: int = BATCH_SIZE,
    requeue: bool = True,
    linger_seconds: float = 0.0,
) -> SendResult:
    """Send ``endpoint_id``'s due deliveries, unless another sender has the endpoint. ``now`` fixes
    the clock (tests); otherwise real time. With ``requeue``, a sender that used up its budget
    queues itself again (on a worker; eager runs leave the rest to ``deliver_webhooks``).
    ``linger_seconds``: how long to wait for more before letting go (the worker task's choice)."""
    clock = (lambda: now) if now is not None else timezone.now
    total = SendResult()
    for _ in range(3):
        result = _send_round(
            endpoint_id=endpoint_id, clock=clock, budget=budget_seconds, batch_size=batch_size, linger=linger_seconds
        )
        total.add(result)
        total.busy, total.more, total.paused = result.busy, result.more, result.paused
        # Deliveries written while we held the endpoint woke no sender (fan-out saw this one at
        # work): look once more now that it is free, and go on if some are due.
        if result.busy or result.more or result.paused or not _due(clock()).filter(endpoint_id=endpoint_id).exists():
            break
    if total.more and requeue and not _eager():
        enqueue(SEND_TASK, str(endpoint_id))
    return total


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def _endpoints_with_due(now: datetime):
    return (
        WebhookEndpoint.objects.filter(is_active=True)
        .filter(_not_paused(now))
        .filter(Q(sender_until__isnull=True) | Q(sender_until__lte=now))
        .filter(Exists(_due(now).filter(endpoint=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )


def webhooks_wake_senders(*, now: datetime | None = None) -> int:
    """The beat job: queue a sender for every active endpoint with due deliveries and none at work."""
    ids = list(_endpoints_with_due(now or timezone.now()))
    for endpoint_id in ids:
        enqueue(SEND_TASK, str(endpoint_id))
    return len(ids)


def webhooks_send_due(*, now: datetime | None = None, workers: int = 4) -> SendResult:
    """``manage.py deliver_webhooks``: send what is due now, here, endpoints side by side in
    ``workers`` threads (one on SQLite, whose writers queue anyway)."""
    ids = list(_endpoints_with_due(now or timezone.now()))
    total = SendResult()
    if connection.vendor == "sqlite" or workers <= 1 or len(ids) <= 1:
        for endpoint_id in ids:
            total.add(webhook_endpoint_send_due(endpoint_id=endpoint_id, now=now, requeue=False))
        return total

    def one(endpoint_id) -> SendResult:
        try:
            return webhook_endpoint_send_due(endpoint_id=endpoint_id, now=now, requeue=False)
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(one, ids):
            total.add(result)
    return total


def webhook_deliveries_redeliver(*, delivery_ids, now: datetime | None = None) -> int:
    """Staff's "redeliver": a new round of attempts from now (the history stays), on paused endpoints
    too (staff say: try now). A delivery a sender is sending right now is left to it."""
    now = now or timezone.now()
    qs = WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).filter(_free(now))
    endpoint_ids = set(qs.values_list("endpoint_id", flat=True))
    count = qs.update(status=Status.PENDING, attempts=0, next_attempt_at=now, last_error="", updated_at=now)
    WebhookEndpoint.objects.filter(pk__in=endpoint_ids, paused_until__gt=now).update(paused_until=None)
    for endpoint_id in endpoint_ids:
        enqueue_on_commit(SEND_TASK, str(endpoint_id))
    return count
