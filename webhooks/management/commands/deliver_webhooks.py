from __future__ import annotations

from django.core.management.base import BaseCommand

from webhooks import services


class Command(BaseCommand):
    help = "Send every webhook delivery that is due now (first attempts and retries), endpoints side by side."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=4, help="Endpoints sent to at once (threads).")

    def handle(self, *args, workers: int, **options):
        result = services.webhooks_send_due(workers=workers)
        self.stdout.write(
            f"{result.attempts} attempts: {result.succeeded} succeeded, {result.failed} failed "
            f"({result.gave_up} given up)."
        )
