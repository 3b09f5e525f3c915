"""What a sender writes after a batch of attempts: every attempt, the deliveries' new state, the
endpoint's health (failing since, disabled, paused). A constant number of queries per batch.

The deliveries are moved with a few grouped ``UPDATE``s instead of ``bulk_update``, whose
``CASE WHEN`` per field and row the profile of a sender found to be most of its time: all the
successes with one status code are one statement, the failures one per (attempt number, status,
error). What differs from row to row (the attempt's time, and the next attempt counted from it) is
read from the attempt row just written, in the database.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, OuterRef, Subquery, Value

from config.bulk import insert_rows
from integrations.webhooks.http import Answer
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
RESPONSE_KEPT_BYTES = 1024
_ATTEMPT_COLUMNS = ("delivery_id", "number", "at", "status_code", "duration_ms", "response_body", "error", "succeeded")


def error_of(answer: Answer) -> str:
    if answer.error:
        return answer.error
    if answer.ok:
        return ""
    if 300 <= (answer.status_code or 0) < 400:
        return f"Redirect ({answer.status_code} to {answer.location or '?'}) not followed."
    return f"HTTP {answer.status_code}"


def no_answer(answer: Answer) -> bool:
    """Nothing came back (refused, timed out, unresolvable, refused by the SSRF guard, TLS): the
    endpoint, not this delivery, is the problem."""
    return answer.status_code is None


def pause_for(*, failing_since: datetime | None, now: datetime) -> timedelta:
    """How long an endpoint that did not answer is left alone: the retry schedule's delay for how long
    it has been failing (5 s at first, then 5 min, 30 min, ... as one delivery's retries would)."""
    elapsed = (now - failing_since).total_seconds() if failing_since else 0.0
    spent = 0
    for delay in settings.WEBHOOK_RETRY_SCHEDULE_SECONDS:
        spent += delay
        if elapsed < spent:
            return timedelta(seconds=delay)
    return timedelta(seconds=(settings.WEBHOOK_RETRY_SCHEDULE_SECONDS or [0])[-1])


def _last_attempt(field: str):
    latest = WebhookAttempt.objects.filter(delivery=OuterRef("pk")).order_by("-pk").values(field)[:1]
    return Subquery(latest)


def record(
    *,
    endpoint: WebhookEndpoint,
    token: str,
    outcomes: list[tuple[WebhookDelivery, datetime, Answer]],
    now: datetime,
    result,
    unsent: bool,
) -> bool:
    """Store the attempts, move the deliveries, release what was claimed and not sent (``unsent``),
    update the endpoint's health: failing since, disabled after ``WEBHOOK_DISABLE_AFTER_DAYS`` of
    nothing but failures, paused after no answer. Returns whether the endpoint is still active."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    attempts = []  # rows of WebhookAttempt, in _ATTEMPT_COLUMNS' order
    succeeded: dict[int, list] = defaultdict(list)
    failed: dict[tuple, list] = defaultdict(list)
    failing_from = None  # the first failure after the batch's last success
    for delivery, at, answer in outcomes:
        number = delivery.attempts + 1
        error = error_of(answer)[:500]
        response = answer.body[:RESPONSE_KEPT_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")
        attempts.append((delivery.pk, number, at, answer.status_code, answer.duration_ms, response, error, answer.ok))
        result.attempts += 1
        if answer.ok:
            succeeded[answer.status_code].append(delivery.pk)
            result.succeeded += 1
            failing_from = None
            continue
        result.failed += 1
        result.gave_up += number > len(schedule)
        failing_from = failing_from or at
        failed[(number, answer.status_code, error)].append(delivery.pk)
    paused = bool(outcomes) and no_answer(outcomes[-1][2])
    common = {
        "attempts": F("attempts") + 1,
        "last_attempt_at": _last_attempt("at"),
        "claim_token": "",
        "claimed_until": None,
        "updated_at": now,
    }
    with transaction.atomic():
        insert_rows(WebhookAttempt, _ATTEMPT_COLUMNS, attempts)
        for code, ids in succeeded.items():
            WebhookDelivery.objects.filter(pk__in=ids).update(
                status=Status.SUCCEEDED, next_attempt_at=None, last_status_code=code, last_error="", **common
            )
        for (number, code, error), ids in failed.items():
            if number > len(schedule):
                then = {"status": Status.FAILED, "next_attempt_at": None}
            else:
                delay = Value(timedelta(seconds=schedule[number - 1]), output_field=models.DurationField())
                then = {
                    "next_attempt_at": ExpressionWrapper(
                        _last_attempt("at") + delay, output_field=models.DateTimeField()
                    )
                }
            WebhookDelivery.objects.filter(pk__in=ids).update(last_status_code=code, last_error=error, **then, **common)
        if unsent:  # claimed but not sent (the budget ran out, or the endpoint stopped answering)
            WebhookDelivery.objects.filter(claim_token=token).update(claim_token="", claimed_until=None)
        return _health(
            endpoint=endpoint,
            now=now,
            any_ok=bool(succeeded),
            failing_from=failing_from,
            paused=paused,
            last_error=attempts[-1][6] if attempts else "",
        )


def _health(
    *, endpoint: WebhookEndpoint, now: datetime, any_ok: bool, failing_from, paused: bool, last_error: str
) -> bool:
    rows = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if any_ok:
        rows.update(failing_since=None, last_success_at=now, paused_until=None)
        endpoint.failing_since = None
    if failing_from is None:
        return True
    rows.filter(failing_since__isnull=True).update(failing_since=failing_from)
    failing_since = endpoint.failing_since or failing_from
    if paused:
        rows.update(paused_until=now + pause_for(failing_since=failing_since, now=now))
    if any_ok:
        return True
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    disabled = rows.filter(is_active=True, failing_since__lte=now - timedelta(days=days)).update(
        is_active=False,
        disabled_at=now,
        disabled_reason=f"Every delivery failed for {days} days; the last error: {last_error}"[:500],
    )
    if disabled:
        logger.warning("Webhook endpoint %s disabled: every delivery failed for %s days", endpoint.pk, days)
    return not disabled
