from __future__ import annotations

import pytest

from tests.webhooks.receiver import WebhookReceiver


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def local_urls(settings):
    """The receiver lives on 127.0.0.1: allowed only with WEBHOOK_ALLOW_PRIVATE_URLS, as in development."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return settings


@pytest.fixture
def endpoint_for(db, local_urls, receiver):
    """``endpoint_for(path, events=())`` -> (endpoint, secret) registered through the service."""
    from webhooks import services

    def make(path: str = "/hook", events=(), **kwargs):
        return services.webhook_endpoint_create(url=receiver.url(path), event_types=events, **kwargs)

    return make
