"""What notifications give an export (devices.json, notifications.json) and do in an erasure (SPEC 10)."""

from __future__ import annotations

from notifications import selectors
from notifications.models import Device, Notification, NotificationPreference
from privacy import registry


def export_devices(ctx: registry.ExportContext) -> list[dict]:
    # The push token is the device's address: the person's own data, so it is in their export.
    return [
        {"id": device.pk, "platform": device.platform, "token": device.token, "created_at": device.created_at}
        for device in selectors.devices_of_user(user=ctx.user)
    ]


def export_notifications(ctx: registry.ExportContext) -> list[dict]:
    # Released ones only: a planned reminder is not yet something the person was told.
    rows = selectors.notifications_of_user(user=ctx.user).filter(state=Notification.State.SENT)
    return [
        {
            "id": item.pk,
            "kind": item.kind,
            "title": item.title,
            "body": item.body,
            "data": item.data,
            "created_at": item.created_at,
            "read_at": item.read_at,
        }
        for item in rows.iterator(chunk_size=500)
    ]


def erase_notifications(ctx: registry.ErasureContext) -> dict:
    devices, _ = Device.objects.filter(user=ctx.user).delete()
    # Deliveries go with their notifications (a cascade); planned reminders go too.
    notifications, _ = Notification.objects.filter(recipient=ctx.user).delete()
    preferences, _ = NotificationPreference.objects.filter(user=ctx.user).delete()
    return {"devices": devices, "notifications": notifications, "preferences": preferences}


def register() -> None:
    registry.register_export_part("devices.json", export_devices)
    registry.register_export_part("notifications.json", export_notifications)
    # Early: nothing more may be pushed or mailed to the person once the erasure started.
    registry.register_erasure_step("notifications.devices_and_inbox", erase_notifications, order=20)
