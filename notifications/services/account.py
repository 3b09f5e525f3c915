"""Account e-mails (kind ``account_email``): e-mail verification and password reset.

They carry a single-use link, so they are e-mail only and the row kept for the delivery log holds
neither the link nor the token; the token travels only in the task's arguments and the e-mail.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from integrations import email as email_client
from notifications.kinds import Kind
from notifications.models import Delivery, Notification
from notifications.services.rendering import build_email, recipient_locale, render_texts

PURPOSES = {
    "verify_email": "/verify-email?token=",
    "password_reset": "/reset-password?token=",
}


class AccountEmailRetry(Exception):
    """A transient failure: the task retries it later."""


def account_email_send(*, user, purpose: str, token: str, notification_id=None) -> Notification:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown account e-mail {purpose!r}")
    link = f"{settings.FRONTEND_URL}{PURPOSES[purpose]}{token}"
    context = {"purpose": purpose, "link": link, "ttl_minutes": settings.PASSWORD_RESET_TTL_MINUTES}
    title, body = render_texts(kind=Kind.ACCOUNT_EMAIL, recipient=user, context=context)
    notification = Notification.objects.filter(pk=notification_id).first() if notification_id else None
    if notification is None:
        # What the log keeps: the subject and the purpose, never the link.
        notification = Notification.objects.create(
            recipient=user, kind=Kind.ACCOUNT_EMAIL, title=title[:300], body="", data={"purpose": purpose}
        )
    delivery, _ = Delivery.objects.get_or_create(notification=notification, channel=Delivery.Channel.EMAIL)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, attempts=delivery.attempts + 1, claimed_at=timezone.now()
    )
    with recipient_locale(user):
        label = gettext("Verify my e-mail") if purpose == "verify_email" else gettext("Choose a new password")
    message = build_email(
        kind=Kind.ACCOUNT_EMAIL, recipient=user, title=title, body=body, action_url=link, action_label=label
    )
    connection = email_client.open_connection()
    try:
        email_client.send_message(connection, message)
    except email_client.EmailSendError as exc:
        retry = exc.transient and delivery.attempts + 1 < settings.NOTIFICATION_MAX_ATTEMPTS
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.PENDING if retry else Delivery.Status.FAILED, last_error=str(exc)[:2000]
        )
        if retry:
            raise AccountEmailRetry(str(notification.pk)) from exc
        return notification
    finally:
        connection.close()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return notification
