"""Thin tasks: ids in, a service call, safe to run twice (every send is claimed first)."""

from __future__ import annotations

from celery import current_app, shared_task
from django.contrib.auth import get_user_model

from notifications import services
from notifications.services.delivery import backoff_for


@shared_task(name="notifications.tasks.deliver_notifications", acks_late=True)
def deliver_notifications(notification_ids: list[str] | None = None, delivery_ids: list[str] | None = None) -> int:
    return services.deliveries_send(notification_ids=notification_ids, delivery_ids=delivery_ids).sent


@shared_task(name="notifications.tasks.send_due_notifications")
def send_due_notifications() -> int:
    # On a broker, every worker process sends a share of the due batches; eager, this one sends all.
    result = services.send_due_notifications(fan_out=not current_app.conf.task_always_eager)
    return result.sent + result.queued


@shared_task(name="notifications.tasks.send_account_email", bind=True, acks_late=True, max_retries=5)
def send_account_email(self, user_id: str, purpose: str, token: str, notification_id: str | None = None) -> bool:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    try:
        services.account_email_send(user=user, purpose=purpose, token=token, notification_id=notification_id)
    except services.AccountEmailRetry as exc:
        # Only transient failures come here (an SMTP 4xx, a dropped connection).
        raise self.retry(
            kwargs={"user_id": user_id, "purpose": purpose, "token": token, "notification_id": str(exc)},
            countdown=backoff_for(self.request.retries + 1).total_seconds(),
        )
    return True
