from __future__ import annotations

from django.core.management.base import BaseCommand

from webhooks.selectors import webhook_endpoints_with_counts


class Command(BaseCommand):
    help = "List webhook endpoints: id, state, URL, subscribed types and delivery counts (never secrets)."

    def handle(self, *args, **options):
        endpoints = list(webhook_endpoints_with_counts())
        if not endpoints:
            self.stdout.write("No webhook endpoints.")
            return
        for endpoint in endpoints:
            state = "active" if endpoint.is_active else f"DISABLED {endpoint.disabled_reason}".strip()
            self.stdout.write(
                f"{endpoint.pk}  {state}  {endpoint.url}  events: {', '.join(endpoint.event_types) or 'all'}  "
                f"pending {endpoint.pending}, succeeded {endpoint.succeeded}, failed {endpoint.failed}"
            )
