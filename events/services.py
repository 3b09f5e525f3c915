"""Write events (``event_emit``) and hand them to their consumers (``event_dispatch``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

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


def event_emit(*, type: str, data: dict, session_id=None, now: datetime | None = None) -> Event:
    """Record an event in the caller's transaction; its consumers run after that commits.

    Call it from the service that makes the change, inside the same ``transaction.atomic()``.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    event = Event.objects.create(type=type, data=data, session_id=session_id, created_at=now or timezone.now())
    enqueue_on_commit("events.tasks.dispatch_event", str(event.pk))
    return event


def event_dispatch(*, event_id) -> list[str]:
    """Run every registered consumer that has not yet handled ``event_id``; returns their names.

    Each consumer runs in its own transaction with its receipt: a consumer that fails leaves no
    receipt (the sweep retries it) and does not stop the others."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return []
    done = set(EventReceipt.objects.filter(event=event).values_list("consumer", flat=True))
    handled = []
    for name, handler in registry.consumers().items():
        if name in done:
            continue
        try:
            with transaction.atomic():
                EventReceipt.objects.create(event=event, consumer=name)
                handler(event)
        except IntegrityError:
            continue  # another relay handled it first
        except Exception:
            logger.exception("Event consumer %s failed on %s; the sweep retries it", name, event.pk)
            continue
        handled.append(name)
    return handled


def events_dispatch_pending(
    *,
    older_than: timedelta = timedelta(seconds=30),
    within: timedelta = timedelta(days=7),
    limit: int = 1000,
    now: datetime | None = None,
) -> int:
    """The sweep: dispatch events some consumer has not handled (a lost task, a crashed worker)."""
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
    pending = recent.exclude(pk__in=complete).order_by("created_at")[:limit]
    count = 0
    for event_id in pending.values_list("pk", flat=True):
        if event_dispatch(event_id=event_id):
            count += 1
    return count
