from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The staff console's cross-cutting pieces: branding, the ops dashboard, job heartbeats, the
    support group, the audit helper. It reads every other app; the other apps import only its small
    helpers (the heartbeat, the audit, the display functions)."""

    name = "backoffice"
    verbose_name = "Staff console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from backoffice import receivers

        receivers.connect()
