"""``createsuperuser`` that applies the password policy in ``--noinput`` mode too.

Django's own command validates a typed password (and lets the operator bypass it), but takes
``DJANGO_SUPERUSER_PASSWORD`` as it is: the one password that guards the admin would be the only one
the policy never sees.
"""

from __future__ import annotations

import os

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password is not None:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise CommandError("DJANGO_SUPERUSER_PASSWORD: " + " ".join(exc.messages)) from exc
        return super().handle(*args, **options)
