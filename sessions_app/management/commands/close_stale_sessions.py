from __future__ import annotations

from django.core.management.base import BaseCommand

from sessions_app import services


class Command(BaseCommand):
    help = "Complete overdue sessions and unanswered end requests; cancel no-shows (what Celery beat runs)."

    def handle(self, *args, **options):
        result = services.sessions_close_stale()
        self.stdout.write(f"completed: {result.completed}, cancelled: {result.cancelled}")
