"""The outbox's cost in queries: a constant, small number per change, whatever the endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event
from events.services import event_emit
from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory
from tests.helpers.sessions import book_open_session
from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_a_worker():
    """Tasks go to a broker (in memory here) as in production, instead of running in the request."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _book(client, coach, hours: int):
    appointment = AppointmentFactory(coach=coach, start=(timezone.now() + timedelta(hours=hours)).replace(second=0))
    res = client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(appointment.id)}, format="json")
    assert res.status_code == 201, res.json()


def test_the_outbox_adds_at_most_two_queries_to_a_booking(api, coach, customer, settings, on_a_worker):
    client = api(customer)
    _book(client, coach, 3)  # warm: the first request of a client reads a few things once
    settings.EVENTS_ENABLED = False
    without = _queries(lambda: _book(client, coach, 5))
    settings.EVENTS_ENABLED = True
    with_outbox = _queries(lambda: _book(client, coach, 7))
    assert 1 <= with_outbox - without <= 2, (without, with_outbox)
    assert Event.objects.filter(type="session.booked").count() == 2


@pytest.mark.parametrize("move", ["start", "cancel"])
def test_the_outbox_adds_at_most_two_queries_to_a_lifecycle_move(db, settings, on_a_worker, move):
    from sessions_app import services as sessions

    def run():
        customer = CustomerFactory()
        session = book_open_session(coach=CoachFactory(), customer=customer)
        if move == "start":
            return lambda: sessions.session_start_call(session=session, actor=customer)
        return lambda: sessions.session_cancel(session=session, actor=customer)

    settings.EVENTS_ENABLED = False
    without = _queries(run())
    settings.EVENTS_ENABLED = True
    with_outbox = _queries(run())
    assert 1 <= with_outbox - without <= 2, (without, with_outbox)


def test_fan_out_is_two_queries_whatever_the_events_and_endpoints(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    services.webhook_endpoint_create(url="http://127.0.0.1:9/a")
    few = [event_emit(type="coach.verified", data={}) for _ in range(2)]
    assert _queries(lambda: services.webhooks_fan_out_many(few)) == 2
    for i in range(5):
        services.webhook_endpoint_create(url=f"http://127.0.0.1:9/{i}")
    # 60 rows: one insert on SQLite too (it splits inserts past 999 parameters).
    many = [event_emit(type="coach.verified", data={}) for _ in range(10)]
    assert _queries(lambda: services.webhooks_fan_out_many(many)) == 2
    assert WebhookDelivery.objects.count() == 2 * 1 + 10 * 6


def test_sending_costs_a_constant_number_of_queries_per_batch(endpoint_for, receiver):
    def send(n: int, path: str) -> int:
        endpoint, _ = endpoint_for(path)
        events = [event_emit(type="coach.verified", data={}) for _ in range(n)]
        for event in events:
            services.webhooks_fan_out(event)
        from webhooks.models import WebhookEndpoint

        WebhookEndpoint.objects.exclude(pk=endpoint.pk).update(is_active=False)
        return _queries(lambda: services.webhook_endpoint_send_due(endpoint_id=endpoint.pk))

    few, many = send(3, "/few"), send(services.BATCH_SIZE, "/many")
    assert few == many, (few, many)
    assert len(receiver.at("/many")) == services.BATCH_SIZE
