"""``heartbeat(name)``: a periodic job says "I ran and succeeded" (one upsert).

Imported by the beat tasks of the other apps, so it imports nothing of theirs (no import cycle).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.utils import timezone

from backoffice.models import JobHeartbeat

logger = logging.getLogger(__name__)


def heartbeat(name: str, result: object = "") -> None:
    """Record a successful run of the job ``name``. Never fails the job: its work is done already."""
    try:
        JobHeartbeat.objects.update_or_create(
            name=name, defaults={"last_success_at": timezone.now(), "last_result": str(result)[:500]}
        )
    except DatabaseError:
        logger.warning("could not record the heartbeat of %s", name, exc_info=True)
