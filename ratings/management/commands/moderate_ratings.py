from __future__ import annotations

from django.core.management.base import BaseCommand

from ratings import services


class Command(BaseCommand):
    help = "Auto-moderate every rating still waiting for its moderation task (safe to run any time, twice)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="At most this many ratings per run.")

    def handle(self, *args, limit: int, **options) -> None:
        result = services.ratings_moderate_backlog(limit=limit)
        self.stdout.write(
            f"Moderated {result.total} rating(s): {result.approved} approved, {result.flagged} flagged, "
            f"{result.pending} left for staff."
        )
