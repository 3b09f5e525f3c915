"""What beat runs every minute: release the due planned rows and send them, then every due delivery.

Two ways to send. Beat's task hands each released batch to a ``deliver_notifications`` task
(``fan_out``), so every worker process sends and the work spreads over the machine's cores; one
process sending alone is held to one core by the GIL, however many threads it has. A batch the
broker will not take is sent here instead. ``manage.py send_due_notifications`` sends from its own
process, pipelined: while the sending threads send one batch's e-mails and pushes, this thread renders and
stores the next batch, so the network's waits and the rendering overlap instead of adding up. The
release hands over its deliveries already claimed (``release_batches(claim=True)``): no second claim,
no re-read of rows it has in memory. Every database read and write stays in this thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from config.tasks import enqueue
from notifications.services.delivery import (
    Batch,
    Senders,
    SendResult,
    batch_start,
    deliveries_reset_stale,
    deliveries_send,
)
from notifications.services.reminders import release_batches

DELIVER_TASK = "notifications.tasks.deliver_notifications"
# Notifications per task when fanning out: about two deliveries each (e-mail and push), and small
# enough that the last tasks of a large run still spread over every worker.
FAN_OUT_BATCH = 250


def send_due_notifications(*, now: datetime | None = None, batch_size: int = 500, fan_out: bool = False) -> SendResult:
    """Release what is due and send it (``fan_out``: hand it to the workers); the result counts what
    this process sent, and with ``fan_out`` what it queued (``queued``)."""
    now = now or timezone.now()
    deliveries_reset_stale(now=now)
    if fan_out:
        return _fan_out(now=now, batch_size=min(batch_size, FAN_OUT_BATCH))
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


def _fan_out(*, now: datetime, batch_size: int) -> SendResult:
    result = SendResult()
    broker_up = True
    for released in release_batches(now=now, batch_size=batch_size):
        ids = [str(delivery.pk) for delivery in released]
        # Once the broker has refused, the rest is sent here too, without waiting on it again.
        broker_up = broker_up and enqueue(DELIVER_TASK, delivery_ids=ids)
        if broker_up:
            result.queued += len(ids)
        else:  # the broker is down: reminders are due now, not at the next sweep
            result.add(deliveries_send(delivery_ids=ids, now=now))
    # The sweep: due retries and deliveries whose own task was lost. What this run released is due
    # at ``now`` exactly and already queued; a worker's claim settles any overlap all the same.
    result.add(deliveries_send(now=now - timedelta(microseconds=1), batch_size=batch_size))
    return result
