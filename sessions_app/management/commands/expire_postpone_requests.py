from __future__ import annotations

from django.core.management.base import BaseCommand

from sessions_app.services.postpone import postpone_requests_expire_due


class Command(BaseCommand):
    help = "Expire open postpone requests past their time or too close to the session's start (idempotent)."

    def handle(self, *args, **options) -> None:
        expired = postpone_requests_expire_due()
        self.stdout.write(f"Expired {expired} postpone request(s).")
