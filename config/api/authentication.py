from __future__ import annotations

from knox.auth import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """Knox tokens sent as ``Authorization: Bearer <token>``: they expire and can be revoked."""

    def authenticate_header(self, request) -> str:
        return "Bearer"
