from __future__ import annotations

from django.core.management.base import BaseCommand

from recordings import services


class Command(BaseCommand):
    help = "Delete the files of recordings past their retention window and mark them EXPIRED."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would expire.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dry_run: bool = False, batch_size: int = 500, **options) -> None:
        result = services.recordings_expire_due(dry_run=dry_run, batch_size=batch_size)
        if dry_run:
            self.stdout.write(f"{result.due} recording(s) would expire.")
            return
        self.stdout.write(
            f"{result.expired} recording(s) expired, {result.failed} failed (retried next run), "
            f"{result.skipped} claimed by another run."
        )
        for recording_id in result.failed_ids:
            self.stderr.write(f"could not delete the files of {recording_id}")
