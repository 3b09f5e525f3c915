from __future__ import annotations

import contextlib
import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.selectors import user_get_by_email
from privacy.models import ErasureRecord
from privacy.services import user_erase


class Command(BaseCommand):
    help = "Erase a person's account (SPEC 10), as DELETE me does; prints what was done."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="The account's e-mail (or its id, to re-run an erasure).")
        parser.add_argument("--requested-by", default="", help="E-mail of the staff member who asked (for the audit).")

    def handle(self, *args, email: str, requested_by: str, **options) -> None:
        user = user_get_by_email(email=email)
        if user is None:
            with contextlib.suppress(ValueError):
                user = User.objects.filter(pk=uuid.UUID(email)).first()
        if user is None:
            raise CommandError(f"No account with the e-mail {email!r} (an erased account has a placeholder address).")
        actor = None
        if requested_by:
            actor = user_get_by_email(email=requested_by)
            if actor is None or not actor.is_staff:
                raise CommandError(f"{requested_by!r} is not a staff account.")
        record = user_erase(user=user, actor=actor, source=ErasureRecord.Source.STAFF)
        self.stdout.write(f"Erased {record.user_ref} (record {record.pk}).")
        self.stdout.write(json.dumps(record.summary, indent=2, sort_keys=True))
