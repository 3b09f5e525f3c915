"""Notifications fixtures: a real SMTP server and a local FCM (events by hand: tests/helpers/events.py)."""

from __future__ import annotations

import pytest

from tests.notifications.fake_fcm import FakeFcm, write_service_account
from tests.notifications.smtp import SmtpSink


@pytest.fixture
def smtp_server():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def email_settings_from_url(settings, url: str) -> None:
    """Apply ``EMAIL_URL`` the way config/settings/rules.py reads it (django-environ's parser)."""
    import environ

    config = environ.Env.email_url_config(url)
    settings.EMAIL_BACKEND = config["EMAIL_BACKEND"]
    settings.EMAIL_HOST = config["EMAIL_HOST"]
    settings.EMAIL_PORT = config["EMAIL_PORT"]
    settings.EMAIL_HOST_USER = config.get("EMAIL_HOST_USER") or ""
    settings.EMAIL_HOST_PASSWORD = config.get("EMAIL_HOST_PASSWORD") or ""
    settings.EMAIL_USE_TLS = bool(config.get("EMAIL_USE_TLS"))


@pytest.fixture
def smtp(settings, smtp_server):
    """E-mail goes to the real SMTP server through ``EMAIL_URL=smtp://127.0.0.1:<port>``."""
    email_settings_from_url(settings, f"smtp://127.0.0.1:{smtp_server.port}")
    return smtp_server


@pytest.fixture
def fcm(settings, tmp_path):
    """A local FCM v1 + OAuth server; the service-account file's token_uri points at it."""
    server = FakeFcm()
    server.start()
    credentials = write_service_account(tmp_path / "service-account.json", server)
    settings.FCM_CREDENTIALS_FILE = str(credentials)
    settings.FCM_PROJECT_ID = ""
    settings.FCM_API_BASE_URL = server.base_url
    yield server
    server.stop()
