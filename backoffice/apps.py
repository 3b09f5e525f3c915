from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The staff console's cross-cutting pieces: branding, the ops dashboard, job heartbeats, the
    support group, the audit helper. It reads every other app; nothing but the periodic tasks'
    one-line heartbeat imports it."""

    name = "backoffice"
    verbose_name = "Staff console"
    default_auto_field = "django.db.models.BigAutoField"
