from __future__ import annotations

import re

from knox.auth import TokenAuthentication
from rest_framework import exceptions

# What knox hands out: hexadecimal. Anything else is refused before it reaches a query (a NUL
# byte, say, is a database error on PostgreSQL rather than "no such token").
_TOKEN = re.compile(r"[0-9a-fA-F]{1,128}")


class BearerTokenAuthentication(TokenAuthentication):
    """Knox tokens sent as ``Authorization: Bearer <token>``: they expire and can be revoked."""

    def authenticate_credentials(self, token: bytes):
        if not _TOKEN.fullmatch(token.decode("latin-1")):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)

    def authenticate_header(self, request) -> str:
        return "Bearer"
