"""Writes of the outbox, re-exported: emitting events, relaying them to consumers, waking relays."""

from events.services.emit import (
    EVENT_TYPES,
    event_emit,
    event_emit_many,
    event_render,
    event_serialize,
    events_enabled,
)
from events.services.relay import (
    BATCH_SIZE,
    RELAY_LINGER_SECONDS,
    event_dispatch,
    events_dispatch,
    events_dispatch_pending,
    events_relay,
)

__all__ = [
    "BATCH_SIZE",
    "EVENT_TYPES",
    "RELAY_LINGER_SECONDS",
    "event_dispatch",
    "event_emit",
    "event_emit_many",
    "event_render",
    "event_serialize",
    "events_dispatch",
    "events_dispatch_pending",
    "events_enabled",
    "events_relay",
]
