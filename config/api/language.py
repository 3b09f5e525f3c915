"""Which language an answer speaks: ``Accept-Language`` (ar or en), else the user's own, else English.

Django's ``LocaleMiddleware`` reads the header before the view. The user is known later: for the
admin (session login) right after ``AuthenticationMiddleware``, here in
:class:`UserLanguageMiddleware`; for the API only once DRF authenticated the Bearer token inside
the view, in :func:`activate_for_user` (called by the authentication class). Error codes never change.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = tuple(code for code, _ in settings.LANGUAGES)


def language_from_header(request) -> str | None:
    """The first supported language the client asked for by ``Accept-Language``, or ``None``."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if not header or len(header) > 500:
        return None
    for code, _q in parse_accept_lang_header(header):
        base = code.split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return None


def language_for(request, user=None) -> str:
    chosen = language_from_header(request)
    if chosen:
        return chosen
    language = getattr(user, "language", None)
    if getattr(user, "is_authenticated", False) and language in SUPPORTED:
        return language
    return settings.LANGUAGE_CODE


def activate_for_user(request, user) -> None:
    language = language_for(request, user)
    translation.activate(language)
    request.LANGUAGE_CODE = language


class UserLanguageMiddleware:
    """Without a usable ``Accept-Language``, a logged-in (admin) user gets their own language;
    anyone else English, never the server's other defaults."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        activate_for_user(request, user if user is not None and user.is_authenticated else None)
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        # The thread serves other requests and tasks next: no language leaks into them.
        translation.deactivate()
        return response
