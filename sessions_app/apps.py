from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    label = "sessions_app"  # "sessions" is django.contrib.sessions
    verbose_name = "Sessions"

    def ready(self) -> None:
        from sessions_app import personal_data

        personal_data.register()
