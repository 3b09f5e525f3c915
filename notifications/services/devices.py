"""The push device registry (SPEC 8): one owner per FCM token."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from config.api.errors import NotFoundError
from notifications.models import Device


def device_register(*, user, platform: str, token: str) -> tuple[Device, bool]:
    """Register ``token`` for ``user``; returns ``(device, created)``. A token already known (a phone
    that changed hands, or an app re-registering) moves to this user and keeps its id."""
    for _ in range(2):
        updated = Device.objects.filter(token=token).update(user=user, platform=platform)
        if updated:
            return Device.objects.get(token=token), False
        try:
            with transaction.atomic():
                return Device.objects.create(user=user, platform=platform, token=token), True
        except IntegrityError:  # registered by a concurrent request in between: move it
            continue
    return Device.objects.get(token=token), False


def device_delete(*, user, device_id) -> None:
    deleted, _ = Device.objects.filter(pk=device_id, user=user).delete()
    if not deleted:
        raise NotFoundError("No such device.")


def device_forget_token(*, token: str) -> int:
    """FCM answered UNREGISTERED: the app was removed or the token rotated."""
    deleted, _ = Device.objects.filter(token=token).delete()
    return deleted
