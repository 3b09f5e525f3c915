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
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from config.tasks import enqueue, enqueue_on_commit
from events.models import Event
from integrations.webhooks import signing
from integrations.webhooks.http import Answer, Receiver
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services.fan_out import SEND_TASK

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
BATCH_SIZE = 50
SENDER_BUDGET_SECONDS = 20.0
# A sender on a worker waits this long for more before it lets the endpoint go: under a steady flow
# one sender keeps its connection and takes each new delivery, instead of a task per event.
SENDER_LINGER_SECONDS = 2.0
RESPONSE_KEPT_BYTES = 1024


@dataclass
class SendResult:
    attempts: int = 0
    succeeded: int = 0
    failed: int = 0  # attempts that failed (retried later, or given up)
    gave_up: int = 0  # deliveries that ran out of retries: FAILED
    busy: bool = False  # another sender had the endpoint
    more: bool = False  # stopped at its time budget with work left

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


def _error_of(answer: Answer) -> str:
    if answer.error:
        return answer.error
    if answer.ok:
        return ""
    if 300 <= (answer.status_code or 0) < 400:
        return f"Redirect ({answer.status_code} to {answer.location or '?'}) not followed."
    return f"HTTP {answer.status_code}"


def _record(
    *,
    endpoint: WebhookEndpoint,
    token: str,
    outcomes: list[tuple[WebhookDelivery, datetime, Answer]],
    now: datetime,
    result: SendResult,
) -> bool:
    """Store the attempts, move the deliveries, release what was not sent, update the endpoint's
    health (disabling it after ``WEBHOOK_DISABLE_AFTER_DAYS`` of nothing but failures). Returns
    whether the endpoint is still active. A constant number of queries per batch."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    history = []
    first_failure = None
    for delivery, at, answer in outcomes:
        number = delivery.attempts + 1
        error = _error_of(answer)
        history.append(
            WebhookAttempt(
                delivery=delivery,
                number=number,
                at=at,
                status_code=answer.status_code,
                duration_ms=answer.duration_ms,
                response_body=answer.body[:RESPONSE_KEPT_BYTES].decode("utf-8", "replace"),
                error=error[:500],
                succeeded=answer.ok,
            )
        )
        delivery.attempts = number
        delivery.last_attempt_at = at
        delivery.last_status_code = answer.status_code
        delivery.last_error = error[:500]
        delivery.claim_token, delivery.claimed_until, delivery.updated_at = "", None, now
        result.attempts += 1
        if answer.ok:
            delivery.status, delivery.next_attempt_at = Status.SUCCEEDED, None
            result.succeeded += 1
            continue
        result.failed += 1
        first_failure = first_failure or at
        if number > len(schedule):
            delivery.status, delivery.next_attempt_at = Status.FAILED, None
            result.gave_up += 1
        else:
            delivery.next_attempt_at = at + timedelta(seconds=schedule[number - 1])
    fields = ["status", "attempts", "next_attempt_at", "last_attempt_at", "last_status_code", "last_error"]
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(history)
        WebhookDelivery.objects.bulk_update(
            [d for d, _, _ in outcomes], [*fields, "claim_token", "claimed_until", "updated_at"]
        )
        # Claimed but not sent (the budget ran out): due again at once, for the next sender.
        WebhookDelivery.objects.filter(claim_token=token).update(claim_token="", claimed_until=None)
        if any(answer.ok for _, _, answer in outcomes):
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None, last_success_at=now)
            return True
        if first_failure is None:
            return True
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=first_failure)
        days = settings.WEBHOOK_DISABLE_AFTER_DAYS
        disabled = WebhookEndpoint.objects.filter(
            pk=endpoint.pk, is_active=True, failing_since__lte=now - timedelta(days=days)
        ).update(
            is_active=False,
            disabled_at=now,
            disabled_reason=f"Every delivery failed for {days} days; the last error: {history[-1].error}"[:500],
        )
    if disabled:
        logger.warning("Webhook endpoint %s disabled: every delivery failed for %s days", endpoint.pk, days)
    return not disabled


def _send_round(
    *, endpoint_id, clock: Callable[[], datetime], budget: float, batch_size: int, linger: float
) -> SendResult:
    result = SendResult()
    token = uuid.uuid4().hex
    now = clock()
    taken = (
        WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True)
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
                    outcomes.append((delivery, at, _attempt(receiver, endpoint, delivery, at)))
                active = _record(endpoint=endpoint, token=claim, outcomes=outcomes, now=clock(), result=result)
                if not active or result.more:
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
        total.busy, total.more = result.busy, result.more
        # Deliveries written while we held the endpoint woke no sender (fan-out saw this one at
        # work): look once more now that it is free, and go on if some are due.
        if result.busy or result.more or not _due(clock()).filter(endpoint_id=endpoint_id).exists():
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
    """Staff's "redeliver": a new round of attempts from now (the history stays). A delivery a sender
    is sending right now is left to it."""
    now = now or timezone.now()
    qs = WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).filter(_free(now))
    endpoint_ids = set(qs.values_list("endpoint_id", flat=True))
    count = qs.update(status=Status.PENDING, attempts=0, next_attempt_at=now, last_error="", updated_at=now)
    for endpoint_id in endpoint_ids:
        enqueue_on_commit(SEND_TASK, str(endpoint_id))
    return count
