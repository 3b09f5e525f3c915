"""Hand events to their consumers: the relay (woken after commits), explicit dispatch and the sweep.

A relay claims a batch of pending events (``relayed_at IS NULL``) with ``SELECT ... FOR UPDATE SKIP
LOCKED`` and, in that same transaction, runs every consumer on the batch and marks the events
relayed. So:

- Two relays at once never hold one event: the second skips the rows the first has locked and
  takes the next ones; nothing fans out twice.
- A relay that dies (a killed worker, a lost connection) rolls back: its events are unlocked and
  still pending, and the next relay or the sweep takes them.
- Each consumer records a receipt per event (unique per event and consumer) in a savepoint with
  what it writes. A consumer that fails on the batch is retried one event at a time, so only the
  guilty event waits; it stays pending until ``relay_retry_at`` and the others are relayed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.tasks import enqueue
from events import registry
from events.models import Event, EventReceipt
from events.services.wake import RELAY_TASK, flag_drop, flag_hold

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A relay task works this long, then hands over to a fresh task (behind the other queued work).
RELAY_BUDGET_SECONDS = 20.0
# A relay on a worker waits this long for more before it lets go: under a steady flow one relay
# keeps going instead of a task per commit.
RELAY_LINGER_SECONDS = 1.0
# A consumer failed on an event: relays leave it alone this long (about the sweep's pace).
RETRY_AFTER = timedelta(seconds=30)
# How far back relays look: an event still failing after a week is left to staff (the admin shows it).
RELAY_WITHIN = timedelta(days=7)


def _pending(now: datetime) -> QuerySet[Event]:
    return Event.objects.filter(relayed_at__isnull=True, created_at__gte=now - RELAY_WITHIN).filter(
        Q(relay_retry_at__isnull=True) | Q(relay_retry_at__lte=now)
    )


def _handle_one(event: Event, name: str, handler: registry.Handler) -> bool | None:
    """One consumer on one event with its receipt, in a savepoint: True done, None done before, False failed."""
    try:
        with transaction.atomic():
            EventReceipt.objects.create(event=event, consumer=name)
            handler(event)
    except IntegrityError:
        return None  # its receipt exists: handled already
    except Exception:
        logger.exception("Event consumer %s failed on %s; it is retried later", name, event.pk)
        return False
    return True


def _hand_over(events: list[Event]) -> tuple[int, set]:
    """Run every consumer that has not handled them on ``events`` (locked by the caller). Returns the
    (event, consumer) pairs handled and the ids of the events some consumer failed on."""
    done = set(EventReceipt.objects.filter(event_id__in=[e.pk for e in events]).values_list("event_id", "consumer"))
    handled, failed = 0, set()
    for name, handler in registry.consumers().items():
        todo = [e for e in events if (e.pk, name) not in done]
        if not todo:
            continue
        handle_many = registry.batch_handler(name)
        try:
            with transaction.atomic():
                EventReceipt.objects.bulk_create([EventReceipt(event=e, consumer=name) for e in todo])
                if handle_many is not None:
                    handle_many(todo)
                else:
                    for event in todo:
                        handler(event)
        except Exception:  # the savepoint took the batch's rows back: one event at a time
            for event in todo:
                outcome = _handle_one(event, name, handler)
                handled += bool(outcome)
                if outcome is False:
                    failed.add(event.pk)
        else:
            handled += len(todo)
    return handled, failed


def _relay_batch(candidates: QuerySet[Event], *, limit: int) -> tuple[int, int]:
    """Claim up to ``limit`` of ``candidates`` that no other relay holds, hand them over, mark them.
    Returns (events claimed, pairs handled)."""
    with transaction.atomic():
        events = list(candidates.select_for_update(skip_locked=True).order_by("created_at", "pk")[:limit])
        if not events:
            return 0, 0
        handled, failed = _hand_over(events)
        now = timezone.now()
        Event.objects.filter(pk__in=[e.pk for e in events if e.pk not in failed]).update(relayed_at=now)
        if failed:
            Event.objects.filter(pk__in=failed).update(relay_retry_at=now + RETRY_AFTER)
    return len(events), handled


def events_relay(
    *,
    batch_size: int = BATCH_SIZE,
    budget_seconds: float = RELAY_BUDGET_SECONDS,
    linger_seconds: float = 0.0,
    wake_flag: bool = False,
) -> int:
    """Relay pending events in batches until there are none (and none came for ``linger_seconds``)
    or the budget is spent; returns the pairs handled. ``wake_flag``: this relay was woken through
    the flag (a worker's task), so it holds the flag while it works, drops it when done and looks
    once more, and hands over to a new task when its budget runs out."""
    stop_at = time.monotonic() + budget_seconds
    idle_until = time.monotonic() + linger_seconds
    handled = 0
    while True:
        claimed, pairs = _relay_batch(_pending(timezone.now()), limit=batch_size)
        handled += pairs
        if claimed:
            if time.monotonic() >= stop_at:
                if wake_flag:
                    enqueue(RELAY_TASK)  # the flag stays held: the new task goes on from here
                return handled
            if wake_flag:
                flag_hold()
            idle_until = time.monotonic() + linger_seconds
            continue
        if time.monotonic() < idle_until:
            time.sleep(0.1)
            continue
        if not wake_flag:
            return handled
        flag_drop()
        # An emitter that committed before the drop saw the flag and sent nothing: take its events.
        claimed, pairs = _relay_batch(_pending(timezone.now()), limit=batch_size)
        handled += pairs
        if not claimed:
            return handled
        flag_hold()
        idle_until = time.monotonic() + linger_seconds


def events_dispatch(*, event_ids: Iterable, batch_size: int = BATCH_SIZE) -> int:
    """Relay these events (those still pending and not held by another relay); returns the pairs handled."""
    ids = list(event_ids)
    handled = 0
    for i in range(0, len(ids), batch_size):
        chunk = ids[i : i + batch_size]
        handled += _relay_batch(Event.objects.filter(pk__in=chunk, relayed_at__isnull=True), limit=len(chunk))[1]
    return handled


def event_dispatch(*, event_id) -> list[str]:
    """Relay one event; returns the consumers that handled it now (none if it was relayed already)."""
    before = set(EventReceipt.objects.filter(event_id=event_id).values_list("consumer", flat=True))
    if not events_dispatch(event_ids=[event_id]):
        return []
    after = set(EventReceipt.objects.filter(event_id=event_id).values_list("consumer", flat=True))
    return [name for name in registry.consumers() if name in after - before]


def events_dispatch_pending(
    *,
    older_than: timedelta = timedelta(seconds=30),
    within: timedelta = RELAY_WITHIN,
    limit: int = 1000,
    batch_size: int = 100,
    now: datetime | None = None,
) -> int:
    """The sweep (beat): relay pending events at least ``older_than`` old (whose wake-up was lost,
    or whose relay died), up to ``limit``. Returns the (event, consumer) pairs it handled."""
    now = now or timezone.now()
    candidates = _pending(now).filter(created_at__lte=now - older_than, created_at__gte=now - within)
    handled = taken = 0
    while taken < limit:
        claimed, pairs = _relay_batch(candidates, limit=min(batch_size, limit - taken))
        if not claimed:
            break
        taken += claimed
        handled += pairs
    return handled
