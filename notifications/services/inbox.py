"""The in-app inbox: mark one or all read."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from config.api.errors import NotFoundError
from notifications import selectors
from notifications.models import Notification


def notification_mark_read(*, user, notification_id, now: datetime | None = None) -> Notification:
    notification = selectors.inbox_for(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFoundError("No such notification.")
    if notification.read_at is None:
        # Conditional: the first read time stays, whoever marks it twice at once.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now or timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user, now: datetime | None = None) -> int:
    return selectors.inbox_for(user=user).filter(read_at__isnull=True).update(read_at=now or timezone.now())
