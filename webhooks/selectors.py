"""Reads of the webhooks domain."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoints_with_counts() -> QuerySet[WebhookEndpoint]:
    """Endpoints with how many of their deliveries are pending, succeeded and failed (one query)."""
    status = WebhookDelivery.Status
    return WebhookEndpoint.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=status.PENDING)),
        succeeded=Count("deliveries", filter=Q(deliveries__status=status.SUCCEEDED)),
        failed=Count("deliveries", filter=Q(deliveries__status=status.FAILED)),
    ).order_by("created_at")
