from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "availability"
    verbose_name = "Availability and calendars"

    def ready(self) -> None:
        from availability import personal_data, receivers
        from sessions_app.signals import session_cancelled

        personal_data.register()

        session_cancelled.connect(
            receivers.republish_when_a_session_is_cancelled, dispatch_uid="availability.republish_on_cancel"
        )
