from __future__ import annotations

import re
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework import exceptions

from config.api.language import activate_for_user

# What knox hands out: hexadecimal. Anything else is refused before it reaches a query (a NUL
# byte, say, is a database error on PostgreSQL rather than "no such token").
_TOKEN = re.compile(r"[0-9a-fA-F]{1,128}")


class BearerTokenAuthentication(TokenAuthentication):
    """Knox tokens sent as ``Authorization: Bearer <token>``: they expire and can be revoked.

    Knox's own lookup reads every token of the user on every request (to delete the expired
    ones) besides the token itself: two queries, the second growing with the user's devices. The
    digest is the table's primary key, so one indexed query finds the token and its user; expired
    tokens of a user are deleted when they log in instead (``accounts.services.user_login``).
    Nothing is cached: a logout or a revoked token is refused by the very next request.
    """

    def authenticate_credentials(self, token: bytes):
        raw = token.decode("latin-1")
        if not _TOKEN.fullmatch(raw):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        digest = hash_token(raw)
        auth_token = AuthToken.objects.select_related("user").filter(digest=digest).first()
        if auth_token is None or not compare_digest(auth_token.digest, digest):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()  # as knox does: an expired token is gone for good
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return self.validate_user(auth_token)

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            # Notifications issue: the user is known now; messages from here on speak their language
            # unless the request asked for one (config/api/language.py).
            activate_for_user(request, result[0])
        return result

    def authenticate_header(self, request) -> str:
        return "Bearer"
