"""What the product's rules and outgoing messages are tuned by: booking, calls, chat, recordings,
policies (SPEC 11), events and webhooks (SPEC 7), notifications and account e-mails (SPEC 8).
Every number is checked here, so a bad value fails at start-up."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DEBUG, env, env_bool

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
