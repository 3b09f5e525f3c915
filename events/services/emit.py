"""Write events (``event_emit``) in the caller's transaction, and render their payloads.

What an emit costs the request that makes the change: one insert, and after the commit a poke to
a relay (``events.services.wake``), at most one per transaction and never a broker round trip on
the request's path. Rendering a payload reuses the serializer's fields (``event_serialize``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson
from django.conf import settings
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from events.models import Event
from events.services.wake import relay_after_commit

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
    "session.problem_reported",
    "session.problem_responded",
    "session.problem_resolved",
    "recording.available",
    "recording.expired",
    "rating.published",
    "coach.verified",
)

# As config.api.renderers: orjson for what it knows, DRF's encoder for the rest (datetimes, decimals,
# lazy strings), so a value renders exactly as in an API answer.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_ENCODER = JSONEncoder()


def _plain(data):
    """``data`` as the plain JSON types it parses back to (what the outbox stores and sends)."""
    try:
        return orjson.loads(orjson.dumps(data, default=_ENCODER.default, option=_ORJSON_OPTIONS))
    except (orjson.JSONEncodeError, TypeError):  # an integer beyond 64 bits and the like
        return json.loads(json.dumps(data, cls=JSONEncoder))


def event_render(value) -> dict:
    """A serializer's output (or a dict of UUIDs, datetimes, Decimals) as the plain JSON the API answers
    with, datetimes in UTC: an event is nobody's local time. Pass the serializer, not its ``.data``,
    so its fields render under the UTC override."""
    with timezone.override(UTC):
        data = value.data if hasattr(value, "data") else value
        return _plain(data)


_serializers = threading.local()


def event_serialize(serializer_class, instance, *, context: dict | None = None) -> dict:
    """``event_render(serializer_class(instance, context=context))``, without building the serializer's
    fields again: a ModelSerializer introspects its model for every new instance, which profiling of
    ``POST /sessions`` found to be four fifths of rendering a session. One serializer per class and
    thread is kept and only ``to_representation`` runs; its fields read the context from it, so each
    call gets a fresh one. The output is exactly the class's (the same fields, the same code)."""
    cache = getattr(_serializers, "by_class", None)
    if cache is None:
        cache = _serializers.by_class = {}
    serializer = cache.get(serializer_class)
    if serializer is None:
        serializer = cache[serializer_class] = serializer_class()
    serializer._context = dict(context or {})  # what DRF's ``context`` property reads for every field
    with timezone.override(UTC):
        return _plain(serializer.to_representation(instance))


def events_enabled() -> bool:
    """``EVENTS_ENABLED=false`` turns the outbox off (nothing written, nothing sent): only for
    measuring what it costs (``scripts/bench_webhooks.py``), never in production."""
    return settings.EVENTS_ENABLED


def _check(type: str) -> None:
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")


def event_emit(*, type: str, data: dict, session_id=None, now: datetime | None = None) -> Event | None:
    """Record an event in the caller's transaction; its consumers run after that commits.

    Call it from the service that makes the change, inside the same ``transaction.atomic()``.
    One insert; after the commit a relay is woken (once per transaction, however many events).
    """
    _check(type)
    if not events_enabled():
        return None
    event = Event.objects.create(type=type, data=data, session_id=session_id, created_at=now or timezone.now())
    relay_after_commit()
    return event


def event_emit_many(*, type: str, items: Iterable[tuple[dict, object]], now: datetime | None = None) -> list[Event]:
    """``event_emit`` for many changes of one transaction (``(data, session_id)`` pairs): one insert
    and one wake-up for the lot, so a batch job's queries do not grow with its rows."""
    _check(type)
    if not events_enabled():
        return []
    at = now or timezone.now()
    events = Event.objects.bulk_create(
        [Event(type=type, data=data, session_id=session_id, created_at=at) for data, session_id in items]
    )
    if events:
        relay_after_commit()
    return events
