"""``heartbeat(name)``: a periodic job says "I ran and succeeded" (one upsert).

Every task named in ``CELERY_BEAT_SCHEDULE`` gets one after each successful run without writing
a line for it: ``backoffice.receivers`` listens to Celery's ``task_success``. A job may still call
``heartbeat(name, result)`` itself to word its result ("3 expired, 0 failed"); that run's
automatic one is then skipped, so the job's own words stay.

Imported by the beat tasks of the other apps, so it imports nothing of theirs (no import cycle).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from backoffice.models import JobHeartbeat

logger = logging.getLogger(__name__)

# Jobs that wrote their own heartbeat in the run under way (a worker process runs one task at a time).
_worded: set[str] = set()


def heartbeat(name: str, result: object = "") -> None:
    """Record a successful run of the job ``name``. Never fails the job: its work is done already."""
    _worded.add(name)
    try:
        JobHeartbeat.objects.update_or_create(
            name=name, defaults={"last_success_at": timezone.now(), "last_result": str(result)[:500]}
        )
    except DatabaseError:
        logger.warning("could not record the heartbeat of %s", name, exc_info=True)


def beat_task_names() -> set[str]:
    return {spec["task"] for spec in settings.CELERY_BEAT_SCHEDULE.values()}


def describe_result(result: object) -> str:
    """A task's return value in a few words: ``{"sent": 3, "failed": 0}`` reads ``sent 3, failed 0``."""
    if result is None:
        return ""
    if isinstance(result, dict):
        return ", ".join(f"{key} {value}" for key, value in result.items())
    return str(result)


def run_started(name: str) -> None:
    _worded.discard(name)


def run_succeeded(name: str, result: object) -> None:
    """After a successful run of any task: a heartbeat for beat jobs that did not write their own."""
    if name in _worded:
        _worded.discard(name)
        return
    if name in beat_task_names():
        heartbeat(name, describe_result(result))
        _worded.discard(name)
