from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Session chat"

    def ready(self) -> None:
        from chat import signals

        signals.connect()

        from chat import personal_data

        personal_data.register()
