from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from config.api.errors import ValidationFailed
from webhooks import services


class Command(BaseCommand):
    help = "Register a webhook endpoint; prints its id and secret (shown this once)."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--events", default="", help="Comma-separated event types (default: every type).")
        parser.add_argument("--description", default="")

    def handle(self, *args, url: str, events: str, description: str, **options):
        try:
            endpoint, secret = services.webhook_endpoint_create(
                url=url, event_types=events.split(","), description=description
            )
        except ValidationFailed as exc:
            problems = "; ".join(m for messages in (exc.fields or {}).values() for m in messages)
            raise CommandError(problems or exc.message) from exc
        self.stdout.write(f"id: {endpoint.pk}")
        self.stdout.write(f"secret: {secret}")
        self.stdout.write(f"events: {', '.join(endpoint.event_types) or 'all'}")
