from __future__ import annotations

from celery import shared_task

from webhooks import services


@shared_task(name="webhooks.tasks.deliver_endpoint", acks_late=True)
def deliver_endpoint(endpoint_id: str) -> int:
    """Send one endpoint's due deliveries (one sender per endpoint: a busy endpoint returns at once)."""
    from config.celery import app

    linger = 0.0 if app.conf.task_always_eager else services.SENDER_LINGER_SECONDS
    return services.webhook_endpoint_send_due(endpoint_id=endpoint_id, linger_seconds=linger).attempts


@shared_task(name="webhooks.tasks.deliver_due")
def deliver_due() -> int:
    """Beat, every few seconds: wake a sender for each endpoint with due deliveries (retries, lost tasks)."""
    return services.webhooks_wake_senders()
