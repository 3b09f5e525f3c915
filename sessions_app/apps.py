from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    label = "sessions_app"  # "sessions" is django.contrib.sessions
    verbose_name = "Sessions"
