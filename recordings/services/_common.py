"""What the recordings services share: the clock, the recordings storage, the move to FAILED.

Every status move is a conditional ``UPDATE ... WHERE status IN (...)`` whose row count decides
who made it: a stop answer and a webhook racing for the same recording cannot both log it, and an
event that arrives late (or twice) finds the row already moved and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone

from recordings.models import Recording
from sessions_app.models import SessionLog
from sessions_app.services import log_action

Status = Recording.Status
Action = SessionLog.Action


def resolve_now(now: datetime | None) -> datetime:
    return now or timezone.now()


def recordings_storage() -> Storage:
    return storages["recordings"]


def duration_between(started_at: datetime | None, stopped_at: datetime | None) -> int | None:
    if started_at and stopped_at and stopped_at >= started_at:
        return int((stopped_at - started_at).total_seconds())
    return None


def recording_fail(*, recording: Recording, reason: str, allowed: Iterable[str], now: datetime | None = None) -> bool:
    """Move ``recording`` to ``FAILED`` with ``reason`` if it is still in one of ``allowed``, and
    log ``RECORDING_FAILED``. False when another writer moved it first."""
    now = resolve_now(now)
    with transaction.atomic():
        moved = Recording.objects.filter(pk=recording.pk, status__in=list(allowed)).update(
            status=Status.FAILED, failure_reason=reason[:500], updated_at=timezone.now()
        )
        if moved:
            Recording.objects.filter(pk=recording.pk, stopped_at__isnull=True).update(stopped_at=now)
            log_action(session=recording.session, action=Action.RECORDING_FAILED, text=reason, now=now)
    return bool(moved)
