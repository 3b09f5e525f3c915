from __future__ import annotations

import re
from hmac import compare_digest

from django.db import connections, router
from django.db.models.query import get_related_populators
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


class _TokenLookup:
    """The token-and-user query of every authenticated request, compiled once per database.

    ``AuthToken.objects.select_related("user").filter(digest=...)`` cost more CPU to build into SQL
    (the joins, the column list, the converters) than the database took to answer it, on every
    request (scripts/profile_hot_paths.py). Here the ORM compiles it once; each request runs that SQL
    with its digest and turns the row into the token and its user exactly as the queryset would
    (the same converters, ``from_db``, the same select_related populator).
    """

    def __init__(self, alias: str) -> None:
        queryset = AuthToken.objects.using(alias).select_related("user").filter(digest="")[:1]
        compiler = queryset.query.get_compiler(using=alias)
        self.alias = alias
        self.sql, params = compiler.as_sql()
        if list(params) != [""]:  # the digest must be the only parameter
            raise RuntimeError(f"unexpected parameters of the token lookup: {params!r}")
        self.converters = compiler.get_converters([column for column, _, _ in compiler.select])
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        self.fields = slice(start, end)
        self.init_list = [column[0].target.attname for column in compiler.select[start:end]]
        self.populators = get_related_populators(info, compiler.select, alias)

    def fetch(self, digest: str) -> AuthToken | None:
        connection = connections[self.alias]  # this thread's
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [digest])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:  # as SQLCompiler.apply_converters, with this thread's connection
            row = list(row)
            for position, (converters, expression) in self.converters.items():
                for converter in converters:
                    row[position] = converter(row[position], expression, connection)
        token = AuthToken.from_db(self.alias, self.init_list, row[self.fields])
        for populator in self.populators:
            populator.populate(row, token)
        return token


_lookups: dict[str, _TokenLookup] = {}


def token_with_user(digest: str) -> AuthToken | None:
    alias = router.db_for_read(AuthToken)
    lookup = _lookups.get(alias)
    if lookup is None:
        lookup = _lookups[alias] = _TokenLookup(alias)
    return lookup.fetch(digest)


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
        auth_token = token_with_user(digest)
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
