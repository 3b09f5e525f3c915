from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_book_start_end_and_report_through_the_api(api, coach, customer):
    appointment = AppointmentFactory(coach=coach, start=timezone.now() + timedelta(hours=2))
    client = api(customer)
    res = client.post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(appointment.id)}, format="json")
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["number"].startswith("SESS-")
    assert body["price"] == "60.00"
    session = Session.objects.get(pk=body["id"])
    Session.objects.filter(pk=session.pk).update(
        scheduled_start=timezone.now() - timedelta(minutes=1), scheduled_end=timezone.now() + timedelta(minutes=59)
    )
    res = client.post(f"/api/v1/sessions/{session.id}/start-call")
    assert res.status_code == 200, res.json()
    assert res.json()["session"]["status"] == "IN_PROGRESS"
    coach_client = api(coach)
    assert coach_client.post(f"/api/v1/sessions/{session.id}/end").json()["status"] == "END_REQUEST_PENDING"
    res = client.post(f"/api/v1/sessions/{session.id}/end")
    assert res.json()["status"] == "COMPLETED"
    res = client.get(f"/api/v1/sessions/{session.id}/report")
    assert res.status_code == 200, res.json()
    assert [log["action"] for log in res.json()["timeline"]] == [
        "BOOKED",
        "STARTED",
        "ENTERED",
        "END_REQUESTED",
        "COMPLETED",
    ]
