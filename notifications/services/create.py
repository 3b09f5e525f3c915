"""Making notifications: render per recipient, store for the inbox, open a delivery per channel."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.utils import timezone

from config.tasks import enqueue_on_commit
from integrations import fcm
from notifications.kinds import EMAIL_ONLY, MANDATORY_EMAIL
from notifications.models import Delivery, Notification
from notifications.services.preferences import preferences_for_users
from notifications.services.rendering import render_texts


def channels_for(*, kind: str, recipient, prefs: dict) -> list[str]:
    """The channels the recipient's preferences allow (and that exist here) for ``kind``."""
    channels = []
    if recipient.email and (kind in MANDATORY_EMAIL or prefs["email"].get(kind, False)):
        channels.append(Delivery.Channel.EMAIL)
    if kind not in EMAIL_ONLY and fcm.is_configured() and prefs["push"].get(kind, False):
        channels.append(Delivery.Channel.PUSH)
    return channels


def notifications_create(
    *,
    kind: str,
    recipients: Iterable,
    context_for: Callable[[object], dict],
    data: dict,
    session_id=None,
    event_id=None,
    now: datetime | None = None,
) -> list[Notification]:
    """One ``SENT`` notification per active recipient, with its deliveries; they are sent after commit."""
    now = now or timezone.now()
    recipients = [user for user in recipients if user.is_active]
    prefs = preferences_for_users(user_ids=[user.pk for user in recipients])
    made: list[Notification] = []
    deliveries: list[Delivery] = []
    for user in recipients:
        title, body = render_texts(kind=kind, recipient=user, context=context_for(user))
        notification = Notification(
            recipient=user,
            kind=kind,
            title=title[:300],
            body=body,
            data=data,
            session_id=session_id,
            event_id=event_id,
            created_at=now,
        )
        made.append(notification)
        for channel in channels_for(kind=kind, recipient=user, prefs=prefs[user.pk]):
            deliveries.append(Delivery(notification=notification, channel=channel, next_attempt_at=now))
    Notification.objects.bulk_create(made)
    Delivery.objects.bulk_create(deliveries)
    if deliveries:
        enqueue_on_commit("notifications.tasks.deliver_notifications", [str(n.pk) for n in made])
    return made
