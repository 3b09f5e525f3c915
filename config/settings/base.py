"""The process itself: environment helpers, apps, middleware, the database, languages and files."""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A boolean that must be spelled as one: a typo fails at start-up instead of meaning False."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"

DEBUG = env_bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # daphne first: it makes `runserver` serve the ASGI app (HTTP and WebSocket).
    "daphne",
    # accounts before django.contrib.auth: its createsuperuser (the password policy) takes precedence.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (no CDN)
    "channels",
    "axes",
    "events",
    "sessions_app",
    "chat",
    "recordings",
    "ratings",
    "availability",
    "notifications",
    "privacy",
    "webhooks",
    # Demo data for `make run` (`manage.py seed_demo`): it uses every app, so none imports it.
    "demo",
    # Last: its admin replaces some of the apps' (session and user pages) and reads them all.
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Admin CSS/JS from the process itself (issue 10): no proxy needed in front for /static/.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.DependencyErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Notifications issue: Accept-Language (ar/en) picks the language; the user's own comes next
    # (config/api/language.py, once the user is known), else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.api.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out admin login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# An empty DATABASE_URL= means "not set", like a missing one.
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="").strip() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent requests share one file. IMMEDIATE takes the write lock when a transaction
    # begins, so writers queue (up to the timeout) instead of failing with "database is locked"
    # when two read-then-write transactions meet; WAL lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# --- PostgreSQL connections: one bounded pool per process (issue 10) -----------------------
# Under ASGI every request runs in a thread of its own, so a persistent connection (CONN_MAX_AGE)
# is never reused and PostgreSQL runs out of connections under load. Django's psycopg pool gives
# every server mode the same bound: at most DATABASE_POOL_MAX_SIZE connections per process, reused
# across requests; a request beyond them waits up to DATABASE_POOL_TIMEOUT seconds for one (then a
# database error) instead of opening more. Django requires CONN_MAX_AGE=0 with the pool: a request
# hands its connection back when it ends. DATABASE_POOL=false restores plain connections.
elif env_bool("DATABASE_POOL", default=True):
    DATABASE_POOL_MIN_SIZE = env.int("DATABASE_POOL_MIN_SIZE", default=2)
    DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=8)
    DATABASE_POOL_TIMEOUT = env.float("DATABASE_POOL_TIMEOUT", default=10.0)
    if not 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE or DATABASE_POOL_MAX_SIZE < 1:
        raise ImproperlyConfigured("DATABASE_POOL_MIN_SIZE must lie between 0 and DATABASE_POOL_MAX_SIZE (>= 1).")
    if DATABASE_POOL_TIMEOUT <= 0:
        raise ImproperlyConfigured("DATABASE_POOL_TIMEOUT must be a positive number of seconds.")
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": DATABASE_POOL_MIN_SIZE,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT,
        # Idle connections above min_size are closed after a minute; every connection is renewed
        # after half an hour, so a restarted PostgreSQL or a rotated password is picked up.
        "max_idle": 60.0,
        "max_lifetime": 1800.0,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# --- end of PostgreSQL connections -----------------------------------------------------------
# Each web process runs its requests' Django code on this many threads (config/asgi_http.py): by
# default as many as its database pool has connections, so a burst waits for a thread, holding nothing.
WEB_THREADS = env.int("WEB_THREADS", default=DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size", 8))
if WEB_THREADS < 1:
    raise ImproperlyConfigured("WEB_THREADS must be at least 1.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.NotBlankOrOneCharacterValidator"},
]

LANGUAGE_CODE = "en"
# --- Notifications issue: languages -----------------------------------------------------
LANGUAGES = [("en", "English"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# --- end notifications: languages ---
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format everywhere staff read dates: 24-hour, labelled UTC (en and ar files).
FORMAT_MODULE_PATH = ["backoffice.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves STATIC_ROOT (filled by collectstatic, which `make serve` runs); in development
# it finds the files in the apps directly, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
