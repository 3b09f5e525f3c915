"""Recording events in the outbox (SPEC section 7): ``recording.available`` and ``recording.expired``,
``{"session_id", "recording"}`` with the recording as the API renders it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from events.services import event_emit, event_emit_many, event_render, events_enabled
from recordings.models import Recording
from recordings.serializers import RecordingSerializer


def _data(recording: Recording) -> dict:
    return {"session_id": str(recording.session_id), "recording": event_render(RecordingSerializer(recording))}


def recording_event_emit(*, type: str, recording_id, now: datetime | None = None) -> None:
    """Write ``type`` for one recording, in the caller's transaction (one read, one insert)."""
    if not events_enabled():
        return
    recording = Recording.objects.select_related("session").get(pk=recording_id)
    event_emit(type=type, data=_data(recording), session_id=recording.session_id, now=now)


def recordings_expired_emit(*, ids: Iterable, now: datetime) -> None:
    """``recording.expired`` for each of ``ids`` that this run marked expired at ``now`` (one read, one insert)."""
    if not events_enabled():
        return
    expired = Recording.objects.select_related("session").filter(
        pk__in=list(ids), status=Recording.Status.EXPIRED, expired_at=now
    )
    event_emit_many(type="recording.expired", items=[(_data(r), r.session_id) for r in expired], now=now)
