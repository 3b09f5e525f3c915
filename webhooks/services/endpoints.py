"""Endpoints: registration (URL checked against the SSRF rules), secrets, enabling and disabling."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from config.api.errors import ValidationFailed
from events.services import EVENT_TYPES
from integrations.webhooks import addresses, signing
from webhooks.models import WebhookEndpoint

# After a rotation the old secret keeps signing (beside the new one) this long, so receivers can switch.
ROTATION_OVERLAP = timedelta(hours=24)


def webhook_url_check(url: str) -> str:
    """The URL as stored, or ValidationFailed on ``url`` saying why it cannot receive webhooks."""
    url = (url or "").strip()
    if len(url) > 2000:
        raise ValidationFailed(fields={"url": ["At most 2000 characters."]})
    try:
        addresses.check_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
    except addresses.AddressRefused as exc:
        raise ValidationFailed(fields={"url": [str(exc)]}) from None
    return url


def webhook_event_types_check(event_types) -> list[str]:
    """The subscribed types, de-duplicated in the SPEC's order; empty means all."""
    wanted = [t.strip() for t in (event_types or []) if t and t.strip()]
    unknown = sorted(set(wanted) - set(EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            fields={"event_types": [f"Unknown event type: {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}."]}
        )
    return [t for t in EVENT_TYPES if t in wanted]


def webhook_endpoint_create(
    *, url: str, event_types=(), description: str = "", is_active: bool = True
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (show it once: it is never displayed again)."""
    endpoint = WebhookEndpoint.objects.create(
        url=webhook_url_check(url),
        event_types=webhook_event_types_check(event_types),
        description=description.strip()[:500],
        is_active=is_active,
        secret=signing.new_secret(),
    )
    return endpoint, endpoint.secret


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, event_types=(), description: str = "", is_active: bool = True
) -> WebhookEndpoint:
    """Change what staff may change. Activating a disabled endpoint clears its failure record."""
    endpoint.url = webhook_url_check(url)
    endpoint.event_types = webhook_event_types_check(event_types)
    endpoint.description = description.strip()[:500]
    fields = ["url", "event_types", "description", "is_active", "updated_at"]
    if is_active and not endpoint.is_active:
        endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
        endpoint.paused_until = None
        fields += ["disabled_at", "disabled_reason", "failing_since", "paused_until"]
    endpoint.is_active = is_active
    endpoint.save(update_fields=fields)
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """A new secret (returned, to show once); the old one signs beside it for ``ROTATION_OVERLAP``."""
    now = now or timezone.now()
    new = signing.new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret=new, previous_secret=endpoint.secret, previous_secret_expires_at=now + ROTATION_OVERLAP, updated_at=now
    )
    endpoint.refresh_from_db()
    return new


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> bool:
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=False).update(
            is_active=True,
            disabled_at=None,
            disabled_reason="",
            failing_since=None,
            paused_until=None,
            updated_at=timezone.now(),
        )
    )


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:500], updated_at=now
        )
    )
