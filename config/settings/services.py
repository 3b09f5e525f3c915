"""The services around the process: Redis (cache, channel layer, Celery), file storage, Agora."""

from __future__ import annotations

from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DEBUG, MEDIA_ROOT, env, env_bool

# --- Redis: broker, cache, throttling, channel layer -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def redis_channel_layer(url: str) -> dict:
    """The Channels layer on Redis at ``url``. A socket's consumer waits on Redis with a blocking pop of
    5 s (channels-redis' ``brpop_timeout``); redis-py 8 reads with a 5 s socket timeout by default, so
    an idle socket's pop raced it and the consumer died with TimeoutError. The read timeout must
    outlast the pop; a Redis that is down still fails within seconds."""
    host = {"address": url, "socket_connect_timeout": 2, "socket_timeout": 15}
    return {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}


if REDIS_URL:
    # One Redis client and pool per process, whatever the thread or request (config/cache.py).
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# `make run` without Redis (config/channel_forward.py): its HTTP process forwards pushes to the
# WebSocket process (CHANNEL_LAYER_FORWARD_URL), which takes them with the shared secret.
CHANNEL_LAYER_FORWARD_URL = env.str("CHANNEL_LAYER_FORWARD_URL", default="")
CHANNEL_LAYER_FORWARD_SECRET = env.str("CHANNEL_LAYER_FORWARD_SECRET", default="")
if (CHANNEL_LAYER_FORWARD_URL or CHANNEL_LAYER_FORWARD_SECRET) and (REDIS_URL or not DEBUG):
    raise ImproperlyConfigured("CHANNEL_LAYER_FORWARD_* are for `make run` only: development without REDIS_URL.")
if CHANNEL_LAYER_FORWARD_URL:
    if len(CHANNEL_LAYER_FORWARD_SECRET) < 16:
        raise ImproperlyConfigured(
            "CHANNEL_LAYER_FORWARD_URL needs a CHANNEL_LAYER_FORWARD_SECRET of 16 characters or more."
        )
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_forward.ForwardingChannelLayer",
            "CONFIG": {"url": CHANNEL_LAYER_FORWARD_URL, "secret": CHANNEL_LAYER_FORWARD_SECRET},
        }
    }

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

# A Redis that is down must cost a request a second at most, not the OS's connect timeout (issue 11).
if REDIS_URL:
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 2}
# Publishing to a broker that is down gives up after about a second (config.tasks logs it; the sweeps
# pick the work up), instead of holding the request that enqueued it.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

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
