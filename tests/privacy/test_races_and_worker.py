"""On PostgreSQL and through a real Celery worker: one key for simultaneous joins, one export for
simultaneous requests, and an export built by the worker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from privacy.models import DataExport
from sessions_app.models import SessionMediaKey
from tests.factories import CoachFactory, CustomerFactory, SessionFactory
from tests.helpers.api import client_for
from tests.helpers.privacy import open_zip
from tests.helpers.threads import fire_at_once as _fire_at_once


@pytest.mark.django_db(transaction=True)
def test_simultaneous_joins_of_both_participants_share_one_key(postgres):
    coach, customer = CoachFactory(), CustomerFactory()
    session = SessionFactory(
        appointment__coach=coach,
        appointment__start=(timezone.now() - timedelta(minutes=1)).replace(second=0, microsecond=0),
        customer=customer,
    )
    clients = [client_for(coach if i % 2 else customer) for i in range(10)]
    url = f"/api/v1/sessions/{session.id}/start-call"
    results = _fire_at_once([lambda c=c: c.post(url) for c in clients])
    assert {status for status, _ in results} == {200}, results
    assert len({(body["encryption"]["key"], body["encryption"]["salt"]) for _, body in results}) == 1
    assert SessionMediaKey.objects.filter(session=session).count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_export_requests_make_one_export(postgres, settings):
    customer = CustomerFactory()
    clients = [client_for(customer) for _ in range(8)]
    results = _fire_at_once([lambda c=c: c.post("/api/v1/me/export") for c in clients])
    statuses = sorted(status for status, _ in results)
    assert statuses.count(202) == 1 and statuses.count(429) == len(clients) - 1, results
    assert DataExport.objects.filter(user=customer).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_export_is_built_by_a_real_worker_on_redis(live_celery_worker):
    customer = CustomerFactory(first_name="Wanda")
    client = client_for(customer)
    assert client.post("/api/v1/me/export").status_code == 202
    deadline = time.monotonic() + 20
    body = client.get("/api/v1/me/export").json()
    while body["status"] == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.2)
        body = client.get("/api/v1/me/export").json()
    assert body["status"] == "READY", body
    res = client.get(body["url"])
    archive = open_zip(b"".join(res.streaming_content))
    assert '"Wanda"' in archive.read("profile.json").decode()
