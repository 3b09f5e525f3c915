from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and coaches"

    def ready(self) -> None:
        from accounts import personal_data, receivers  # noqa: F401 - receivers connects them

        personal_data.register()
