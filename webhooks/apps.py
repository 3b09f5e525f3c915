from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from events.registry import register_consumer
        from webhooks.services import webhooks_fan_out, webhooks_fan_out_many

        # The outbox's consumer "webhooks": each event becomes one delivery row per subscribed endpoint.
        register_consumer("webhooks", webhooks_fan_out, handle_many=webhooks_fan_out_many)
