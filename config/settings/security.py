"""Production refusals and headers, admin login lockout (django-axes), the Content-Security-Policy."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import ALLOWED_HOSTS, DEBUG, DEV_SECRET_KEY, SECRET_KEY, env, env_bool
from config.settings.rules import LOGIN_FAILURE_WINDOW_SECONDS, LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS
from config.settings.services import AGORA_APP_CERTIFICATE, AGORA_APP_ID, REDIS_URL

if not DEBUG:
    _missing = []
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        _missing.append("DJANGO_SECRET_KEY (at least 32 characters)")
    if not ALLOWED_HOSTS or any(host.strip() in ("*", "") for host in ALLOWED_HOSTS):
        _missing.append("DJANGO_ALLOWED_HOSTS (real host names, no '*')")
    if not env.str("DATABASE_URL", default="").strip():
        _missing.append("DATABASE_URL (production does not run on the zero-setup SQLite)")
    if not REDIS_URL:
        _missing.append("REDIS_URL (for the broker, the cache, throttling and WebSockets)")
    if not AGORA_APP_ID or not AGORA_APP_CERTIFICATE:
        _missing.append("AGORA_APP_ID and AGORA_APP_CERTIFICATE")
    if _missing:
        raise ImproperlyConfigured("Production settings need: " + ", ".join(_missing))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Admin login brute-force protection (accounts/admin_lockout.py): django-axes with the API's limits.
AUTHENTICATION_BACKENDS = [
    "accounts.admin_lockout.AdminLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.admin_lockout.AdminLoginHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.admin_lockout.login_username"
AXES_FAILURE_LIMIT = max(LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS)  # the handler checks each
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW_SECONDS)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # as the API: the window runs from the first failure
AXES_HTTP_RESPONSE_CODE = 429
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)  # as the API: behind a proxy, have it set REMOTE_ADDR
AXES_VERBOSE = False

# Content-Security-Policy (django-csp) on every page: the admin and /api/docs/ load only this site's own
# scripts (the docs page's start-up script is a file too: SpectacularSwaggerSplitView). Inline styles
# stay allowed: the admin's and Swagger UI's templates carry some, and they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if not DEBUG:
    # Browsers keep to HTTPS for this long once they saw the header (0 turns it off).
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    # Plain-HTTP requests get a redirect to HTTPS (the proxy says which ones were HTTPS with
    # X-Forwarded-Proto); health stays reachable over HTTP for load balancers that probe that way.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/?$"]
    if SECURE_HSTS_SECONDS < 0:
        raise ImproperlyConfigured("SECURE_HSTS_SECONDS must not be negative.")
    if not SECURE_HSTS_PRELOAD:
        # Preloading is the domain owner's opt-in to browsers' built-in lists, not a default of ours.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
