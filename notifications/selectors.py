"""Reads of the notifications app, also for other apps (the personal-data export and erasure)."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.kinds import EMAIL_ONLY
from notifications.models import Device, Notification


def inbox_for(*, user, unread: bool | None = None) -> QuerySet[Notification]:
    """What ``GET me/notifications`` lists: released notifications, newest first (never planned
    reminders, never account e-mails, which are e-mail only)."""
    qs = Notification.objects.filter(recipient=user, state=Notification.State.SENT).exclude(kind__in=EMAIL_ONLY)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def notifications_of_user(*, user) -> QuerySet[Notification]:
    """Every notification row of ``user`` (inbox, planned, account e-mails without their links)."""
    return Notification.objects.filter(recipient=user).order_by("created_at")


def devices_of_user(*, user) -> QuerySet[Device]:
    return Device.objects.filter(user=user).order_by("created_at")
