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
from celery.schedules import crontab
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

# --- Redis: broker, cache, throttling, channel layer -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The broker may be another Redis than the cache's (and fail on its own): CELERY_BROKER_URL, default REDIS_URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="").strip() or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Workers of one deployment (or one benchmark) share a queue; another's workers on the same Redis never take its tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE = {
    "close-stale-sessions": {"task": "sessions_app.tasks.close_stale_sessions", "schedule": 60.0},
    "expire-recordings": {"task": "recordings.tasks.expire_recordings", "schedule": 3600.0},
    "process-pending-agora-events": {"task": "recordings.tasks.process_pending_webhook_events", "schedule": 300.0},
    "sweep-processing-recordings": {"task": "recordings.tasks.sweep_processing_recordings", "schedule": 600.0},
    "stop-orphaned-recordings": {"task": "recordings.tasks.stop_orphaned_recordings", "schedule": 300.0},
    "moderate-ratings-backlog": {"task": "ratings.tasks.moderate_backlog", "schedule": 300.0},
    "dispatch-pending-events": {"task": "events.tasks.dispatch_pending_events", "schedule": 30.0},
    "expire-postpone-requests": {"task": "sessions_app.tasks.expire_postpone_requests", "schedule": 60.0},
    "confirm-sessions": {"task": "sessions_app.tasks.confirm_sessions", "schedule": 600.0},
    "sweep-data-exports": {"task": "privacy.tasks.sweep_exports", "schedule": 600.0},
    "retry-pending-deletions": {"task": "privacy.tasks.retry_pending_deletions", "schedule": 600.0},
    # Daily top-up of the weekly schedules (PUT coach/schedule publishes at once).
    "publish-schedules": {"task": "availability.tasks.publish_schedules", "schedule": crontab(hour=0, minute=15)},
    "send-due-notifications": {"task": "notifications.tasks.send_due_notifications", "schedule": 60.0},
    "deliver-webhooks": {"task": "webhooks.tasks.deliver_due", "schedule": 5.0},
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
# Notifications Agora sent (notifyMs) longer ago than this are refused with a 400: a signed body
# captured on the way cannot be replayed later (Agora stamps notifyMs afresh on each of its retries).
AGORA_WEBHOOK_MAX_AGE_HOURS = env.int("AGORA_WEBHOOK_MAX_AGE_HOURS", default=24)
if AGORA_WEBHOOK_MAX_AGE_HOURS <= 0:
    raise ImproperlyConfigured("AGORA_WEBHOOK_MAX_AGE_HOURS must be a positive whole number.")
# Cloud recording: storageConfig vendor (1 = Amazon S3) and region (Agora's numeric code; empty:
# derived from AWS_S3_REGION_NAME), the channel profile (0 communication, 1 live broadcasting),
# and the REST client's retries on connection errors / 5xx / 429.
AGORA_RECORDING_STORAGE_VENDOR = env.int("AGORA_RECORDING_STORAGE_VENDOR", default=1)
AGORA_RECORDING_REGION = env.str("AGORA_RECORDING_REGION", default="")
AGORA_CHANNEL_PROFILE = env.int("AGORA_CHANNEL_PROFILE", default=0)
AGORA_HTTP_RETRIES = env.int("AGORA_HTTP_RETRIES", default=3)
AGORA_HTTP_BACKOFF_SECONDS = env.float("AGORA_HTTP_BACKOFF_SECONDS", default=0.5)
# recordingConfig.decryptionMode for the session's AES_128_GCM2 media encryption (Agora's
# encryption-mode numbering: 7 = AES_128_GCM2, 8 = AES_256_GCM2; see docs/recordings.md).
AGORA_RECORDING_DECRYPTION_MODE = env.int("AGORA_RECORDING_DECRYPTION_MODE", default=7)
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
RTC_TOKEN_TTL_MINUTES = env.int("RTC_TOKEN_TTL_MINUTES", default=60)
EXPORT_RETENTION_HOURS = env.int("EXPORT_RETENTION_HOURS", default=72)
EXPORT_INTERVAL_HOURS = env.int("EXPORT_INTERVAL_HOURS", default=24)
EXPORT_URL_TTL_SECONDS = env.int("EXPORT_URL_TTL_SECONDS", default=300)
RECORDING_UPLOAD_GRACE_MINUTES = env.int("RECORDING_UPLOAD_GRACE_MINUTES", default=30)
RECORDING_UPLOAD_GIVE_UP_HOURS = env.int("RECORDING_UPLOAD_GIVE_UP_HOURS", default=24)
RATINGS_AUTO_APPROVE = env_bool("RATINGS_AUTO_APPROVE", default=True)
AUTH_TOKEN_TTL_HOURS = env.int("AUTH_TOKEN_TTL_HOURS", default=24 * 7)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# Session policies (SPEC 11; docs/policies.md)
CANCEL_FREE_HOURS = env.int("CANCEL_FREE_HOURS", default=12)
LATE_AFTER_MINUTES = env.int("LATE_AFTER_MINUTES", default=10)
PROBLEM_REPORT_WINDOW_HOURS = env.int("PROBLEM_REPORT_WINDOW_HOURS", default=72)
POSTPONE_REQUEST_TTL_HOURS = env.int("POSTPONE_REQUEST_TTL_HOURS", default=48)

# --- Events and outgoing webhooks (SPEC section 7, docs/webhooks.md) ---------------------------
EVENTS_ENABLED = env_bool("EVENTS_ENABLED", default=True)  # false only to measure the outbox's cost
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Delays before the 2nd, 3rd, ... attempt (the Standard Webhooks schedule); after the last, FAILED.
WEBHOOK_RETRY_SCHEDULE_SECONDS = env.list(
    "WEBHOOK_RETRY_SCHEDULE_SECONDS", cast=int, default=[5, 300, 1800, 7200, 18000, 36000, 36000]
)
WEBHOOK_DISABLE_AFTER_DAYS = env.int("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
if WEBHOOK_TIMEOUT_SECONDS <= 0 or any(d < 0 for d in WEBHOOK_RETRY_SCHEDULE_SECONDS):
    raise ImproperlyConfigured("WEBHOOK_TIMEOUT_SECONDS must be positive and retry delays not negative.")

for _name in (
    "MIN_BOOKING_NOTICE_MINUTES",
    "JOIN_EARLY_MINUTES",
    "INSTANT_JOIN_WINDOW_MINUTES",
    "END_REQUEST_TIMEOUT_MINUTES",
    "SESSION_GRACE_MINUTES",
    "RECORDING_RETENTION_DAYS",
    "CANCEL_FREE_HOURS",
    "LATE_AFTER_MINUTES",
):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must not be negative.")
for _name in (
    "CHAT_IMAGE_MAX_BYTES",
    "CHAT_VIDEO_MAX_BYTES",
    "CHAT_MEDIA_URL_TTL_SECONDS",
    "RECORDING_URL_TTL_SECONDS",
    "RTC_TOKEN_TTL_MINUTES",
    "EXPORT_RETENTION_HOURS",
    "EXPORT_INTERVAL_HOURS",
    "EXPORT_URL_TTL_SECONDS",
    "AUTH_TOKEN_TTL_HOURS",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS",
    "PROBLEM_REPORT_WINDOW_HOURS",
    "POSTPONE_REQUEST_TTL_HOURS",
):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive whole number.")
if not APPOINTMENT_DURATIONS or any(d <= 0 for d in APPOINTMENT_DURATIONS):
    raise ImproperlyConfigured("APPOINTMENT_DURATIONS must be a list of positive whole minutes.")

# --- Notifications issue: e-mail, push, reminders, account e-mails -------------------------------
# EMAIL_URL: smtp://user:pass@host:port, smtp+tls://... (STARTTLS), smtp+ssl://...; consolemail:// prints.
# Without it development prints e-mails to the console and production speaks SMTP to localhost:25.
EMAIL_URL = env.str("EMAIL_URL", default="").strip()
_email = env.email_url_config(EMAIL_URL or ("consolemail://" if DEBUG else "smtp://localhost:25"))
# A provider's HTTP API through django-anymail: EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend
# (pip install django-anymail; its ANYMAIL settings as its docs say). Otherwise the URL's backend.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT_SECONDS", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Coaching <no-reply@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:8000").rstrip("/")
PASSWORD_RESET_TTL_MINUTES = env.int("PASSWORD_RESET_TTL_MINUTES", default=60)
EMAIL_VERIFICATION_TTL_HOURS = env.int("EMAIL_VERIFICATION_TTL_HOURS", default=72)
REMINDER_OFFSETS_MINUTES = sorted(
    {int(v) for v in env.list("REMINDER_OFFSETS_MINUTES", default=["1440", "60"])}, reverse=True
)
NOTIFICATIONS_ENABLED = env_bool("NOTIFICATIONS_ENABLED", default=True)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# Threads a worker sends one batch with (each its own SMTP connection): sending waits on the network.
NOTIFICATION_SEND_THREADS = env.int("NOTIFICATION_SEND_THREADS", default=8)
# FCM HTTP v1: a service-account JSON file; the project id defaults to the file's project_id.
FCM_CREDENTIALS_FILE = env.str("FCM_CREDENTIALS_FILE", default="")
FCM_PROJECT_ID = env.str("FCM_PROJECT_ID", default="")
FCM_API_BASE_URL = env.str("FCM_API_BASE_URL", default="https://fcm.googleapis.com").rstrip("/")
FCM_TIMEOUT_SECONDS = env.float("FCM_TIMEOUT_SECONDS", default=10.0)
for _name in (
    "PASSWORD_RESET_TTL_MINUTES",
    "EMAIL_VERIFICATION_TTL_HOURS",
    "NOTIFICATION_MAX_ATTEMPTS",
    "NOTIFICATION_SEND_THREADS",
):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive whole number.")
if any(v <= 0 for v in REMINDER_OFFSETS_MINUTES):
    raise ImproperlyConfigured("REMINDER_OFFSETS_MINUTES must be positive whole minutes.")
# --- end notifications ---

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["config.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson, same bytes as DRF's JSONRenderer (config/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.OrjsonRenderer"],
    # JSON only: the one endpoint taking files (chat messages) adds multipart itself, so the schema does
    # not advertise form bodies where they cannot succeed.
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    # The test client speaks the API's language: JSON unless a test says otherwise.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    # One cache round trip a request, failing open when the cache is down (config/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.AnonRateThrottle",
        "config.api.throttling.UserRateThrottle",
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
    # 3.1 for its "webhooks": the events POSTed to receiving endpoints (webhooks/schema.py, docs/webhooks.md).
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": [
        f"webhooks.schema.{name}"
        for name in (
            "session_booked",
            "session_rescheduled",
            "session_started",
            "session_end_requested",
            "session_end_declined",
            "session_completed",
            "session_cancelled",
            "recording_available",
            "recording_expired",
            "rating_published",
            "coach_verified",
        )
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page loads Swagger UI from this app's static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
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
        "AttendanceEnum": "sessions_app.models.Session.Attendance",
        "ProblemKindEnum": "sessions_app.models.ProblemReport.Kind",
        "NotificationKindEnum": "notifications.kinds.Kind",
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

# --- Failures and hostile input (issue 11): dependencies that are down, production headers -------------
if REDIS_URL:
    # A Redis that is down must cost a request a second at most, not the OS's connect timeout.
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 2}
# Publishing to a broker that is down gives up after about a second (config.tasks logs it; the sweeps
# pick the work up), instead of holding the request that enqueued it.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

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
