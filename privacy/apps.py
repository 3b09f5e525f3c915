from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Personal data (export and erasure)"

    def ready(self) -> None:
        from privacy import personal_data

        personal_data.register()
