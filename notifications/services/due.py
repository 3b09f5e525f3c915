"""What beat runs every minute: release the due planned rows and send them, then every due delivery.

Pipelined: while the sending threads send one batch's e-mails and pushes, this thread renders and
stores the next batch, so the network's waits and the rendering overlap instead of adding up. The
release hands over its deliveries already claimed (``release_batches(claim=True)``): no second claim,
no re-read of rows it has in memory. Every database read and write stays in this thread.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from notifications.services.delivery import (
    Batch,
    Senders,
    SendResult,
    batch_start,
    deliveries_reset_stale,
    deliveries_send,
)
from notifications.services.reminders import release_batches


def send_due_notifications(*, now: datetime | None = None, batch_size: int = 500) -> SendResult:
    now = now or timezone.now()
    deliveries_reset_stale(now=now)
    result = SendResult()
    with Senders() as senders:
        in_flight: Batch | None = None
        for claimed in release_batches(now=now, batch_size=batch_size, claim=True):
            started = batch_start(claimed, now, senders)
            if in_flight is not None:
                result.add(in_flight.finish())
            in_flight = started
        if in_flight is not None:
            result.add(in_flight.finish())
        # Retries that are due, and deliveries whose own task has not run (or was lost).
        result.add(deliveries_send(now=now, batch_size=batch_size, senders=senders))
    return result
