"""Problem reports (SPEC 11): inside and after the window, one per participant, the answer, staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.errors import InvalidState
from sessions_app.models import ProblemReport, Session
from sessions_app.services import problems
from tests.helpers.api import error_code
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(coach, customer):
    return session_in_state(Session.Status.COMPLETED, coach=coach, customer=customer)


def _report(client, session, kind="TECHNICAL", text="The video froze for ten minutes."):
    return client.post(f"/api/v1/sessions/{session.id}/problems", {"kind": kind, "text": text}, format="json")


def test_participant_reports_within_the_window(api, customer, completed):
    res = _report(api(customer), completed)
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["status"] == "OPEN"
    assert body["reported_by"] == {"id": str(customer.id), "role": "customer"}
    assert body["response"] == "" and body["resolution"] == ""
    assert completed.logs.filter(action="PROBLEM_REPORTED", actor=customer).exists()


def test_one_report_per_participant(api, coach, customer, completed):
    assert _report(api(customer), completed).status_code == 201
    again = _report(api(customer), completed)
    assert again.status_code == 409
    assert error_code(again) == "invalid_state"
    assert _report(api(coach), completed, kind="CUSTOMER_NO_SHOW").status_code == 201
    assert ProblemReport.objects.filter(session=completed).count() == 2


def test_after_the_window_is_refused(api, customer, completed, settings):
    Session.objects.filter(pk=completed.pk).update(
        ended_at=timezone.now() - timedelta(hours=settings.PROBLEM_REPORT_WINDOW_HOURS, minutes=1)
    )
    res = _report(api(customer), completed)
    assert res.status_code == 409
    assert error_code(res) == "invalid_state"
    assert not ProblemReport.objects.exists()


def test_a_pending_session_cannot_be_reported(api, coach, customer):
    session = session_in_state(Session.Status.PENDING, coach=coach, customer=customer)
    assert _report(api(customer), session).status_code == 409


def test_bad_kind_or_empty_text_is_400(api, customer, completed):
    assert _report(api(customer), completed, kind="BORED").status_code == 400
    assert _report(api(customer), completed, text="").status_code == 400


def test_the_other_participant_answers_once(api, coach, customer, completed):
    report_id = _report(api(customer), completed).json()["id"]
    url = f"/api/v1/sessions/{completed.id}/problems/{report_id}/response"
    assert api(customer).post(url, {"text": "me too"}, format="json").status_code == 403
    res = api(coach).post(url, {"text": "My connection dropped, sorry."}, format="json")
    assert res.status_code == 200
    assert res.json()["response"] == "My connection dropped, sorry."
    again = api(coach).post(url, {"text": "again"}, format="json")
    assert again.status_code == 409


def test_outsiders_get_404(api, customer, completed, outsider):
    report_id = _report(api(customer), completed).json()["id"]
    client = api(outsider)
    assert client.get(f"/api/v1/sessions/{completed.id}/problems").status_code == 404
    assert _report(client, completed).status_code == 404
    url = f"/api/v1/sessions/{completed.id}/problems/{report_id}/response"
    assert client.post(url, {"text": "x"}, format="json").status_code == 404


def test_staff_resolve_and_both_see_it_then_the_session_is_confirmed(api, coach, customer, completed, staff):
    report_id = _report(api(customer), completed).json()["id"]
    report = ProblemReport.objects.get(pk=report_id)
    problems.problem_report_resolve(report=report, actor=staff, decision="UPHELD", note="Refund half.")
    for who in (coach, customer):
        rows = api(who).get(f"/api/v1/sessions/{completed.id}/problems").json()
        assert rows[0]["status"] == "UPHELD" and rows[0]["resolution"] == "Refund half."
    with pytest.raises(InvalidState):
        problems.problem_report_resolve(report=report, actor=staff, decision="DISMISSED", note="No.")
    assert completed.logs.filter(action="PROBLEM_RESOLVED", actor=staff).count() == 1


def test_confirmed_when_the_window_passes_without_open_reports(completed, settings, customer, staff):
    later = completed.ended_at + timedelta(hours=settings.PROBLEM_REPORT_WINDOW_HOURS, seconds=1)
    open_report = problems.problem_report_create(session=completed, actor=customer, kind="OTHER", text="Hm.")
    assert problems.sessions_confirm_due(now=later) == 0  # an open report holds it
    problems.problem_report_resolve(report=open_report, actor=staff, decision="DISMISSED", note="Fine.")
    assert problems.sessions_confirm_due(now=later) == 1
    completed.refresh_from_db()
    assert completed.confirmed_at == later
    assert problems.sessions_confirm_due(now=later) == 0


def test_each_step_writes_its_event_with_the_report_and_a_refused_step_writes_none(
    api, coach, customer, completed, staff
):
    from events.models import Event
    from webhooks.services import webhook_event_types_check

    def events():
        rows = Event.objects.filter(session_id=completed.id, type__startswith="session.problem_").order_by("created_at")
        return list(rows)

    report_id = _report(api(customer), completed).json()["id"]
    url = f"/api/v1/sessions/{completed.id}/problems/{report_id}/response"
    assert api(coach).post(url, {"text": "Sorry."}, format="json").status_code == 200
    assert api(coach).post(url, {"text": "Again."}, format="json").status_code == 409  # refused: no event
    report = ProblemReport.objects.get(pk=report_id)
    problems.problem_report_resolve(report=report, actor=staff, decision="UPHELD", note="Refund half.")
    reported, responded, resolved = events()
    assert [e.type for e in events()] == [
        "session.problem_reported",
        "session.problem_responded",
        "session.problem_resolved",
    ]
    assert set(reported.data) == {"session", "problem_report", "actor", "previous"}
    assert reported.data["actor"] == {"id": str(customer.id), "role": "customer"}
    assert reported.data["problem_report"]["id"] == report_id
    assert reported.data["problem_report"]["created_at"].endswith("Z")  # rendered in UTC, like the session
    assert responded.data["problem_report"]["response"] == "Sorry."
    assert responded.data["actor"]["role"] == "coach"
    assert resolved.data["problem_report"]["status"] == "UPHELD"
    assert resolved.data["problem_report"]["resolution"] == "Refund half."
    assert resolved.data["previous"] == {"status": "OPEN"}
    # Webhook endpoints may subscribe to them like to every other type.
    assert webhook_event_types_check(["session.problem_resolved"]) == ["session.problem_resolved"]
