"""GET/PUT sessions/{id}/report: only for completed sessions; each role writes its own part."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessions_app.models import Session, SessionReport
from tests.helpers.api import error_code
from tests.helpers.sessions import END_REQUESTED_BY_COACH, session_in_state

pytestmark = pytest.mark.django_db

S = Session.Status


@pytest.fixture
def done(coach, customer):
    return session_in_state(S.COMPLETED, coach=coach, customer=customer)


@pytest.mark.parametrize("state", [S.PENDING, S.IN_PROGRESS, END_REQUESTED_BY_COACH, S.CANCELLED])
def test_report_is_not_available_before_completion(api, coach, customer, state):
    session = session_in_state(state, coach=coach, customer=customer)
    res = api(customer).get(f"/api/v1/sessions/{session.id}/report")
    assert res.status_code == 409
    assert error_code(res) == "report_not_available"
    res = api(coach).put(f"/api/v1/sessions/{session.id}/report", {"summary": "early"}, format="json")
    assert res.status_code == 409
    assert error_code(res) == "report_not_available"
    assert not SessionReport.objects.exists()


def test_report_combines_times_timeline_and_counts(api, coach, customer, done):
    Session.objects.filter(pk=done.pk).update(ended_at=done.started_at + timedelta(minutes=42, seconds=5))
    res = api(customer).get(f"/api/v1/sessions/{done.id}/report")
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["session"]["id"] == str(done.id)
    assert body["started_at"].endswith("Z") and body["ended_at"].endswith("Z")
    assert body["actual_duration_seconds"] == 42 * 60 + 5
    assert [row["action"] for row in body["timeline"]] == [
        "BOOKED",
        "STARTED",
        "ENTERED",
        "END_REQUESTED",
        "COMPLETED",
    ]
    assert (body["messages_count"], body["media_count"], body["recordings"]) == (0, 0, [])
    assert (body["coach_summary"], body["coach_recommendations"], body["customer_notes"]) == ("", [], "")
    by_role = {p["role"]: p for p in body["participants"]}
    assert by_role["customer"]["first_joined_at"] is not None
    assert by_role["coach"]["first_joined_at"] is None


def test_coach_writes_summary_and_recommendations(api, coach, customer, done):
    payload = {"summary": "Good progress.", "recommendations": ["Stretch daily", "Sleep 8h"]}
    res = api(coach).put(f"/api/v1/sessions/{done.id}/report", payload, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["coach_summary"] == "Good progress."
    report = SessionReport.objects.get(session=done)
    assert report.coach_summary == "Good progress."
    assert report.coach_recommendations == ["Stretch daily", "Sleep 8h"]
    seen = api(customer).get(f"/api/v1/sessions/{done.id}/report").json()
    assert seen["coach_recommendations"] == ["Stretch daily", "Sleep 8h"]


def test_customer_writes_notes_without_touching_the_coachs_part(api, coach, customer, done):
    api(coach).put(f"/api/v1/sessions/{done.id}/report", {"summary": "S"}, format="json")
    res = api(customer).put(f"/api/v1/sessions/{done.id}/report", {"notes": "Ask about knees."}, format="json")
    assert res.status_code == 200
    report = SessionReport.objects.get(session=done)
    assert (report.coach_summary, report.customer_notes) == ("S", "Ask about knees.")


def test_customer_cannot_write_the_coachs_part(api, customer, done):
    res = api(customer).put(
        f"/api/v1/sessions/{done.id}/report", {"summary": "I am the coach now", "notes": "n"}, format="json"
    )
    assert res.status_code == 400
    assert error_code(res) == "validation_error"
    report = SessionReport.objects.filter(session=done).first()
    assert report is None or (report.coach_summary, report.customer_notes) == ("", "")


@pytest.mark.parametrize("payload", [{"notes": "mine"}, {"summary": "ok", "notes": "mine"}])
def test_coach_cannot_write_the_customers_notes(api, coach, done, payload):
    res = api(coach).put(f"/api/v1/sessions/{done.id}/report", payload, format="json")
    assert res.status_code == 400
    report = SessionReport.objects.filter(session=done).first()
    assert report is None or (report.coach_summary, report.customer_notes) == ("", "")


def test_report_rejects_malformed_recommendations(api, coach, done):
    res = api(coach).put(f"/api/v1/sessions/{done.id}/report", {"recommendations": "not a list"}, format="json")
    assert res.status_code == 400
    assert "recommendations" in res.json()["error"]["fields"]


def test_customer_writing_the_coachs_part_is_told_which_fields(api, coach, customer):
    session = session_in_state(Session.Status.COMPLETED, coach=coach, customer=customer)
    res = api(customer).put(f"/api/v1/sessions/{session.id}/report", {"recommendations": ["x"]}, format="json")
    assert res.status_code == 400
    assert set(res.json()["error"]["fields"]) == {"recommendations"}
