"""One settings module, read from the environment.

A fresh checkout runs with no variables at all: SQLite, eager Celery tasks, the
in-memory cache and channel layer, files on the local disk. Setting
``DATABASE_URL`` / ``REDIS_URL`` / ``AWS_STORAGE_BUCKET_NAME`` switches to the
real services. With ``DJANGO_DEBUG=false`` the settings refuse to load without
a real secret key, allowed hosts and the Agora app credentials.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

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
    "channels",
    "accounts",
    "events",
    "sessions_app",
    "chat",
    "recordings",
    "ratings",
    # Last: its admin replaces some of the apps' (session and user pages) and reads them all.
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format everywhere staff read dates: 24-hour, labelled UTC (en and ar files).
FORMAT_MODULE_PATH = ["backoffice.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# --- Redis: broker, cache, throttling, channel layer -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "close-stale-sessions": {"task": "sessions_app.tasks.close_stale_sessions", "schedule": 60.0},
    "expire-recordings": {"task": "recordings.tasks.expire_recordings", "schedule": 3600.0},
    "process-pending-agora-events": {"task": "recordings.tasks.process_pending_webhook_events", "schedule": 300.0},
    "sweep-processing-recordings": {"task": "recordings.tasks.sweep_processing_recordings", "schedule": 600.0},
    "moderate-ratings-backlog": {"task": "ratings.tasks.moderate_backlog", "schedule": 300.0},
    "dispatch-pending-events": {"task": "events.tasks.dispatch_pending_events", "schedule": 30.0},
}

# --- Storage --------------------------------------------------------------------------
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
AWS_RECORDINGS_BUCKET_NAME = env.str("AWS_RECORDINGS_BUCKET_NAME", default="") or AWS_STORAGE_BUCKET_NAME

if AWS_STORAGE_BUCKET_NAME:
    _s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": AWS_S3_ENDPOINT_URL,
        "region_name": AWS_S3_REGION_NAME,
        "access_key": AWS_ACCESS_KEY_ID,
        "secret_key": AWS_SECRET_ACCESS_KEY,
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "signature_version": "s3v4",
    }
    STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options},
        "recordings": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3_options, "bucket_name": AWS_RECORDINGS_BUCKET_NAME},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "recordings": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(Path(MEDIA_ROOT) / "recordings"), "base_url": "/media/recordings/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

# --- Agora --------------------------------------------------------------------------------
AGORA_APP_ID = env.str("AGORA_APP_ID", default="")
AGORA_APP_CERTIFICATE = env.str("AGORA_APP_CERTIFICATE", default="")
AGORA_CUSTOMER_ID = env.str("AGORA_CUSTOMER_ID", default="")
AGORA_CUSTOMER_SECRET = env.str("AGORA_CUSTOMER_SECRET", default="")
AGORA_API_BASE_URL = env.str("AGORA_API_BASE_URL", default="https://api.sd-rtn.com")
AGORA_WEBHOOK_SECRET = env.str("AGORA_WEBHOOK_SECRET", default="")
# Cloud recording: storageConfig vendor (1 = Amazon S3) and region (Agora's numeric code; empty:
# derived from AWS_S3_REGION_NAME), the channel profile (0 communication, 1 live broadcasting),
# and the REST client's retries on connection errors / 5xx / 429.
AGORA_RECORDING_STORAGE_VENDOR = env.int("AGORA_RECORDING_STORAGE_VENDOR", default=1)
AGORA_RECORDING_REGION = env.str("AGORA_RECORDING_REGION", default="")
AGORA_CHANNEL_PROFILE = env.int("AGORA_CHANNEL_PROFILE", default=0)
AGORA_HTTP_RETRIES = env.int("AGORA_HTTP_RETRIES", default=3)
AGORA_HTTP_BACKOFF_SECONDS = env.float("AGORA_HTTP_BACKOFF_SECONDS", default=0.5)
if DEBUG and not AGORA_APP_ID:
    # Development tokens are built with a fixed, obviously fake app: the API stays usable
    # without an Agora account, and the token format is the real one.
    AGORA_APP_ID = "0" * 32
    AGORA_APP_CERTIFICATE = AGORA_APP_CERTIFICATE or "0" * 32

# --- Domain rules ---------------------------------------------------------------------------
MIN_BOOKING_NOTICE_MINUTES = env.int("MIN_BOOKING_NOTICE_MINUTES", default=60)
JOIN_EARLY_MINUTES = env.int("JOIN_EARLY_MINUTES", default=10)
INSTANT_JOIN_WINDOW_MINUTES = env.int("INSTANT_JOIN_WINDOW_MINUTES", default=10)
END_REQUEST_TIMEOUT_MINUTES = env.int("END_REQUEST_TIMEOUT_MINUTES", default=5)
SESSION_GRACE_MINUTES = env.int("SESSION_GRACE_MINUTES", default=10)
APPOINTMENT_DURATIONS = [int(v) for v in env.list("APPOINTMENT_DURATIONS", default=["30", "60"])]
FREE_SESSIONS_ENABLED = env_bool("FREE_SESSIONS_ENABLED", default=False)
CHAT_IMAGE_MAX_BYTES = env.int("CHAT_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
CHAT_VIDEO_MAX_BYTES = env.int("CHAT_VIDEO_MAX_BYTES", default=100 * 1024 * 1024)
CHAT_MESSAGES_PER_MINUTE = env.int("CHAT_MESSAGES_PER_MINUTE", default=30)
CHAT_MEDIA_URL_TTL_SECONDS = env.int("CHAT_MEDIA_URL_TTL_SECONDS", default=300)
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=30)
RECORDING_URL_TTL_SECONDS = env.int("RECORDING_URL_TTL_SECONDS", default=300)
RECORDING_UPLOAD_GRACE_MINUTES = env.int("RECORDING_UPLOAD_GRACE_MINUTES", default=30)
RECORDING_UPLOAD_GIVE_UP_HOURS = env.int("RECORDING_UPLOAD_GIVE_UP_HOURS", default=24)
RATINGS_AUTO_APPROVE = env_bool("RATINGS_AUTO_APPROVE", default=True)
AUTH_TOKEN_TTL_HOURS = env.int("AUTH_TOKEN_TTL_HOURS", default=24 * 7)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)

for _name in (
    "MIN_BOOKING_NOTICE_MINUTES",
    "JOIN_EARLY_MINUTES",
    "INSTANT_JOIN_WINDOW_MINUTES",
    "END_REQUEST_TIMEOUT_MINUTES",
    "SESSION_GRACE_MINUTES",
    "RECORDING_RETENTION_DAYS",
):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must not be negative.")
for _name in (
    "CHAT_IMAGE_MAX_BYTES",
    "CHAT_VIDEO_MAX_BYTES",
    "CHAT_MEDIA_URL_TTL_SECONDS",
    "RECORDING_URL_TTL_SECONDS",
    "AUTH_TOKEN_TTL_HOURS",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS",
):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive whole number.")
if not APPOINTMENT_DURATIONS or any(d <= 0 for d in APPOINTMENT_DURATIONS):
    raise ImproperlyConfigured("APPOINTMENT_DURATIONS must be a list of positive whole minutes.")

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["config.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=AUTH_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Coaching sessions API",
    "DESCRIPTION": (
        "Book paid 1:1 video sessions with coaches, meet over Agora, chat, record, report and rate. "
        'Every error has the shape {"error": {"code", "message", "fields"?}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["config.api.schema.paths_without_trailing_slash"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.document_common_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "sessions_app.models.Session.Status",
        "AvailabilityEnum": "accounts.models.CoachProfile.Availability",
        "UserRoleEnum": "accounts.models.User.Role",
        "RegisterRoleEnum": [("customer", "Customer"), ("coach", "Coach")],
        "RatingStatusEnum": "ratings.models.Rating.Status",
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

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
