from django.core.management.base import BaseCommand

from notifications.services import send_due_notifications


class Command(BaseCommand):
    help = "Send the reminders and join-window notices that are due, and retry due deliveries."

    def handle(self, *args, **options):
        result = send_due_notifications()
        self.stdout.write(
            f"sent {result.sent}, retrying {result.retrying}, failed {result.failed}, skipped {result.skipped}"
        )
