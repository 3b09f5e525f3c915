from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and coaches"

    def ready(self) -> None:
        from accounts import personal_data, signals  # noqa: F401 - signals connects the receivers

        personal_data.register()
