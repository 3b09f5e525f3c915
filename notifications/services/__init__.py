"""Writes of the notifications app, one module per job; the names the rest of the code uses are here.

- ``planner``: the outbox consumer (events -> notifications)
- ``create``: render, store, open deliveries
- ``reminders``: planned rows (reminders, join window), the due release
- ``delivery``: sending e-mail and push, retries
- ``due``: what beat runs every minute (release the due rows and send, pipelined)
- ``account``: verification and password-reset e-mails
- ``inbox``, ``devices``, ``preferences``: what the API writes
"""

from notifications.services.account import AccountEmailRetry, account_email_send
from notifications.services.create import channels_for, notifications_create
from notifications.services.delivery import SendResult, deliveries_reset_stale, deliveries_send
from notifications.services.devices import device_delete, device_forget_token, device_register
from notifications.services.due import send_due_notifications
from notifications.services.inbox import notification_mark_all_read, notification_mark_read
from notifications.services.planner import plan_from_event
from notifications.services.preferences import preferences_for_users, preferences_get, preferences_update
from notifications.services.reminders import notifications_release_due, reminders_drop, reminders_sync

__all__ = [
    "AccountEmailRetry",
    "SendResult",
    "account_email_send",
    "channels_for",
    "deliveries_reset_stale",
    "deliveries_send",
    "device_delete",
    "device_forget_token",
    "device_register",
    "notification_mark_all_read",
    "notification_mark_read",
    "notifications_create",
    "notifications_release_due",
    "plan_from_event",
    "preferences_for_users",
    "preferences_get",
    "preferences_update",
    "reminders_drop",
    "reminders_sync",
    "send_due_notifications",
]
