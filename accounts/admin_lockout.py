"""Brute-force protection of the admin login, with django-axes and the API's own limits.

The API counts failed logins itself (``accounts.services.user_login``, in the cache); the admin's
login form goes through django-axes (attempts in the database), with the same limits:
``LOGIN_FAILURES_PER_ACCOUNT`` per account and ``LOGIN_FAILURES_PER_ADDRESS`` per client address within
``LOGIN_FAILURE_WINDOW_SECONDS``. Axes has one limit for every lockout parameter, so the handler
checks the two counts against their own limits. Only admin requests are counted: API logins
(and ``authenticate()`` calls without a request, as in a shell) are left to the API's lockout.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


def login_username(request, credentials) -> str | None:
    """The account an attempt is counted against: the e-mail as typed into the form's "username"
    field, lower-cased as the API does (``Admin@x`` and ``admin@x`` are one account)."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if username else None


class AdminLoginBackend(AxesStandaloneBackend):
    """Refuses a locked-out admin login; steps aside when there is no request to judge."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class AdminLoginHandler(AxesDatabaseHandler):
    def _counted(self, request) -> bool:
        return request is not None and self.is_admin_request(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if not self._counted(request):
            return None
        result = super().user_login_failed(sender, credentials, request, **kwargs)
        if self.is_locked(request, credentials):
            request.axes_locked_out = True  # the middleware answers 429 from here on
        return result

    def user_logged_in(self, sender, request, user, **kwargs):
        if self._counted(request):
            return super().user_logged_in(sender, request, user, **kwargs)
        return None

    def user_logged_out(self, sender, request, user, **kwargs):
        if self._counted(request):
            return super().user_logged_out(sender, request, user, **kwargs)
        return None

    def is_locked(self, request, credentials=None) -> bool:
        # AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"]: one queryset of attempts for each.
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return by_account >= settings.LOGIN_FAILURES_PER_ACCOUNT or by_address >= settings.LOGIN_FAILURES_PER_ADDRESS
