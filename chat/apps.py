from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Session chat"

    def ready(self) -> None:
        from chat import parts, personal_data, receivers

        receivers.connect()
        parts.register()
        personal_data.register()
