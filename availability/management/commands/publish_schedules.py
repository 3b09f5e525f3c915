from django.core.management.base import BaseCommand

from availability.services import schedule_publish


class Command(BaseCommand):
    help = "Publish every verified coach's weekly schedule up to its horizon (idempotent)."

    def handle(self, *args, **options):
        result = schedule_publish()
        self.stdout.write(f"{result.coaches} coaches: {result.created} slots published, {result.withdrawn} withdrawn")
