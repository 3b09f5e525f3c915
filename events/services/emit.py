"""Write events (``event_emit``) and hand them to their consumers (``event_dispatch``).

Dispatch is exactly once per (event, consumer): the consumer's receipt is inserted in the
transaction that runs its handler, and the unique (event, consumer) pair makes a second relay's
insert fail (on PostgreSQL it waits for the first relay's transaction, then fails or, if that one
rolled back, goes ahead).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from config.tasks import enqueue_on_commit
from events import registry
from events.models import Event, EventReceipt

logger = logging.getLogger(__name__)

# SPEC section 7, the types an event may have; a typo in a service is a bug, not a new type.
EVENT_TYPES = (
    "session.booked",
    "session.rescheduled",
    "session.started",
    "session.end_requested",
    "session.end_declined",
    "session.completed",
    "session.cancelled",
    "session.postpone_requested",
    "session.postpone_accepted",
    "session.postpone_declined",
    "session.postpone_expired",
    "session.postpone_withdrawn",
    "recording.available",
    "recording.expired",
    "rating.published",
    "coach.verified",
)


def event_render(value) -> dict:
    """A serializer's output (or a dict of UUIDs, datetimes, Decimals) as the plain JSON the API answers
    with, datetimes in UTC: an event is nobody's local time. Pass the serializer, not its ``.data``,
    so its fields render under the UTC override."""
    with timezone.override(UTC):
        data = value.data if hasattr(value, "data") else value
        return json.loads(json.dumps(data, cls=JSONEncoder))


def events_enabled() -> bool:
    """``EVENTS_ENABLED=false`` turns the outbox off (nothing written, nothing sent): only for
    measuring what it costs (``scripts/bench_webhooks.py``), never in production."""
    return settings.EVENTS_ENABLED


def event_emit(*, type: str, data: dict, session_id=None, now: datetime | None = None) -> Event | None:
    """Record an event in the caller's transaction; its consumers run after that commits.

    Call it from the service that makes the change, inside the same ``transaction.atomic()``.
    One insert, and one task sent after the commit.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    if not events_enabled():
        return None
    event = Event.objects.create(type=type, data=data, session_id=session_id, created_at=now or timezone.now())
    enqueue_on_commit("events.tasks.dispatch_event", str(event.pk))
    return event


def event_emit_many(*, type: str, items: Iterable[tuple[dict, object]], now: datetime | None = None) -> list[Event]:
    """``event_emit`` for many changes of one transaction (``(data, session_id)`` pairs): one insert
    and one task for the lot, so a batch job's queries do not grow with its rows."""
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    if not events_enabled():
        return []
    at = now or timezone.now()
    events = Event.objects.bulk_create(
        [Event(type=type, data=data, session_id=session_id, created_at=at) for data, session_id in items]
    )
    if events:
        enqueue_on_commit("events.tasks.dispatch_events", [str(e.pk) for e in events])
    return events


def _handle_one(event: Event, name: str, handler: registry.Handler) -> bool:
    """Run one consumer on one event with its receipt; False if another relay had it or it failed."""
    try:
        with transaction.atomic():
            EventReceipt.objects.create(event=event, consumer=name)
            handler(event)
    except IntegrityError:
        return False  # another relay handled it first
    except Exception:
        logger.exception("Event consumer %s failed on %s; the sweep retries it", name, event.pk)
        return False
    return True


def event_dispatch(*, event_id) -> list[str]:
    """Run every registered consumer that has not yet handled ``event_id``; returns their names.

    Each consumer runs in its own transaction with its receipt: a consumer that fails leaves no
    receipt (the sweep retries it) and does not stop the others."""
    handlers = registry.consumers()
    if not handlers:
        return []
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return []  # rolled back after all (an emit inside a savepoint that was undone)
    done = set(EventReceipt.objects.filter(event=event).values_list("consumer", flat=True))
    return [name for name, handler in handlers.items() if name not in done and _handle_one(event, name, handler)]


def events_dispatch(*, event_ids: Iterable) -> int:
    """Dispatch a batch: per consumer, one transaction with one insert of receipts and its batch handler
    (``register_consumer(..., handle_many=)``) or its handler per event. A batch that fails (another
    relay took some of these events, or a handler raised) is redone one event at a time, so only
    the guilty event waits for the sweep. Returns the (event, consumer) pairs handled."""
    handlers = registry.consumers()
    ids = list(event_ids)
    if not handlers or not ids:
        return 0
    events = list(Event.objects.filter(pk__in=ids).order_by("created_at", "pk"))
    done = set(EventReceipt.objects.filter(event_id__in=ids).values_list("event_id", "consumer"))
    handled = 0
    for name, handler in handlers.items():
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
        except Exception:
            handled += sum(_handle_one(event, name, handler) for event in todo)
        else:
            handled += len(todo)
    return handled


def events_dispatch_pending(
    *,
    older_than: timedelta = timedelta(seconds=30),
    within: timedelta = timedelta(days=7),
    limit: int = 1000,
    batch_size: int = 100,
    now: datetime | None = None,
) -> int:
    """The sweep: dispatch events some consumer has not handled (a lost task, a crashed worker), in
    batches. Returns the (event, consumer) pairs it handled."""
    now = now or timezone.now()
    names = list(registry.consumers())
    if not names:
        return 0
    recent = Event.objects.filter(created_at__lte=now - older_than, created_at__gte=now - within)
    complete = (
        EventReceipt.objects.filter(consumer__in=names, event__in=recent)
        .values("event_id")
        .annotate(n=Count("id"))
        .filter(n=len(names))
        .values("event_id")
    )
    pending = list(recent.exclude(pk__in=complete).order_by("created_at").values_list("pk", flat=True)[:limit])
    return sum(events_dispatch(event_ids=pending[i : i + batch_size]) for i in range(0, len(pending), batch_size))
