"""WebSocket authentication with the API's knox tokens.

Browsers cannot set headers on a WebSocket, so the token comes as ``?token=<token>``; an
``Authorization: Bearer <token>`` header is accepted too. The token is checked exactly like the
REST API does it (knox: digest, expiry, active user). ``scope["user"]`` is the user or anonymous,
``scope["auth_token"]`` the token row, which the consumer checks again before every event it
forwards: a socket does not outlive its token's logout or expiry.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from knox.models import AuthToken
from rest_framework import exceptions

from config.api.authentication import BearerTokenAuthentication


def _token_from_scope(scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0].lower() == "bearer":
                return parts[1]
    return None


@database_sync_to_async
def _user_for_token(token: str):
    """``(user, auth_token)``, or ``(AnonymousUser, None)`` for a missing, bad or expired token."""
    try:
        return BearerTokenAuthentication().authenticate_credentials(token.encode("utf-8"))
    except (exceptions.AuthenticationFailed, UnicodeError, ValueError):
        return AnonymousUser(), None


@database_sync_to_async
def token_still_valid(auth_token) -> bool:
    """Whether the token a socket connected with is still neither revoked (logout) nor expired, and
    its user still active."""
    if auth_token is None:
        return False
    qs = AuthToken.objects.filter(pk=auth_token.pk, user__is_active=True)  # as the REST API checks it
    if auth_token.expiry is not None:
        qs = qs.filter(expiry__gt=timezone.now())
    return qs.exists()


class TokenAuthMiddleware:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = _token_from_scope(scope)
        user, auth_token = await _user_for_token(token) if token else (AnonymousUser(), None)
        return await self.inner({**scope, "user": user, "auth_token": auth_token}, receive, send)
