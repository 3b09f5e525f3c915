import logging

from django.apps import AppConfig

logger = logging.getLogger("notifications")


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.conf import settings

        from events.registry import register_consumer
        from notifications import personal_data, receivers  # noqa: F401 - receivers connects the e-mail receiver
        from notifications.services.planner import plan_from_event

        register_consumer("notifications", plan_from_event)
        personal_data.register()
        if not settings.FCM_CREDENTIALS_FILE:
            logger.info("Push notifications are off: FCM_CREDENTIALS_FILE is not set (inbox and e-mail still work).")
