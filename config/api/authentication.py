from __future__ import annotations

import re

from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from config.api.language import activate_for_user

# What knox hands out: hexadecimal. Anything else is refused before it reaches a query (a NUL
# byte, say, is a database error on PostgreSQL rather than "no such token").
_TOKEN = re.compile(r"[0-9a-fA-F]{1,128}")


class BearerTokenAuthentication(TokenAuthentication):
    """Knox tokens sent as ``Authorization: Bearer <token>``: they expire and can be revoked."""

    def authenticate_credentials(self, token: bytes):
        if not _TOKEN.fullmatch(token.decode("latin-1")):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            # Notifications issue: the user is known now; messages from here on speak their language
            # unless the request asked for one (config/api/language.py).
            activate_for_user(request, result[0])
        return result

    def authenticate_header(self, request) -> str:
        return "Bearer"
