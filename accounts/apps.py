from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and coaches"

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401 - connects the receivers
