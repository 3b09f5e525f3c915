from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors, services
from config.api.errors import ApplicationError


class Command(BaseCommand):
    help = "Verify a coach account so it can publish slots, go online and be listed."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        user = selectors.user_get_by_email(email=email)
        if user is None:
            raise CommandError(f"No account with e-mail {email}.")
        try:
            changed = services.coach_verify(coach=user)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.email}: {'verified' if changed else 'already verified'}.")
