"""Notifications test helpers: events emitted by hand, a real SMTP server, a local FCM.

``emit`` writes the outbox event a service would write (SPEC 7 payload, the session as the API
renders it). The services do not emit yet on this branch (the events issue adds that); once they
do, the flows below that call ``emit`` after a service call should drop it (see each docstring).
"""

from __future__ import annotations

import pytest
from django.db import transaction

from events.services import event_emit
from sessions_app.models import Session
from sessions_app.serializers import SessionSerializer
from tests.notifications.fake_fcm import FakeFcm, write_service_account
from tests.notifications.smtp import SmtpSink


def session_payload(session: Session) -> dict:
    session = Session.objects.select_related("coach", "customer").get(pk=session.pk)
    return dict(SessionSerializer(session).data)


def emit(type_: str, session: Session, *, actor=None, previous: dict | None = None):
    """Write ``type_`` for ``session`` as SPEC 7 shapes it; its consumers run after the commit."""
    actor_data = None if actor is None else {"id": str(actor.pk), "role": actor.role}
    data = {"session": session_payload(session), "actor": actor_data, "previous": previous or {}}
    with transaction.atomic():
        return event_emit(type=type_, data=data, session_id=session.pk)


@pytest.fixture
def emit_event():
    return emit


@pytest.fixture
def smtp_server():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def email_settings_from_url(settings, url: str) -> None:
    """Apply ``EMAIL_URL`` the way config/settings.py reads it (django-environ's parser)."""
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
