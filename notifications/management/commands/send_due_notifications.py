from django.core.management.base import BaseCommand

from notifications.services import send_due_notifications


class Command(BaseCommand):
    help = "Send the reminders and join-window notices that are due, and retry due deliveries."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fan-out",
            action="store_true",
            help="Hand the due batches to the Celery workers (as beat's task does) instead of sending from here.",
        )

    def handle(self, *args, **options):
        result = send_due_notifications(fan_out=options["fan_out"])
        self.stdout.write(
            f"sent {result.sent}, queued {result.queued}, retrying {result.retrying}, failed {result.failed}, "
            f"skipped {result.skipped}"
        )
