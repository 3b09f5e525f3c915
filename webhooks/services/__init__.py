"""Writes of the webhooks domain, re-exported: endpoints, the outbox fan-out, sending."""

from webhooks.services.endpoints import (
    ROTATION_OVERLAP,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_event_types_check,
    webhook_url_check,
)
from webhooks.services.fan_out import SEND_TASK, webhooks_fan_out, webhooks_fan_out_many
from webhooks.services.sending import (
    BATCH_SIZE,
    SENDER_BUDGET_SECONDS,
    SENDER_LINGER_SECONDS,
    SendResult,
    delivery_body,
    webhook_deliveries_redeliver,
    webhook_endpoint_send_due,
    webhooks_send_due,
    webhooks_wake_senders,
)

__all__ = [
    "BATCH_SIZE",
    "ROTATION_OVERLAP",
    "SEND_TASK",
    "SENDER_BUDGET_SECONDS",
    "SENDER_LINGER_SECONDS",
    "SendResult",
    "delivery_body",
    "webhook_deliveries_redeliver",
    "webhook_endpoint_create",
    "webhook_endpoint_disable",
    "webhook_endpoint_enable",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_send_due",
    "webhook_endpoint_update",
    "webhook_event_types_check",
    "webhook_url_check",
    "webhooks_fan_out",
    "webhooks_fan_out_many",
    "webhooks_send_due",
    "webhooks_wake_senders",
]
