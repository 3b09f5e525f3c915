"""Staff side of the session policies: the problem queue and proposing another time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import PostponeRequest, Session
from sessions_app.services import problems
from tests.factories import AppointmentFactory, CoachFactory
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client


def test_the_queue_lists_open_reports_first_oldest_first(
    admin_client, coach, customer, staff, django_assert_max_num_queries
):
    # Three coaches: one coach's slots may not overlap (an exclusion constraint on PostgreSQL).
    sessions = [session_in_state(Session.Status.COMPLETED, coach=CoachFactory(), customer=customer) for _ in range(3)]
    old = timezone.now() - timedelta(hours=5)
    first = problems.problem_report_create(session=sessions[0], actor=customer, kind="OTHER", text="a", now=old)
    decided = problems.problem_report_create(session=sessions[1], actor=customer, kind="OTHER", text="b", now=old)
    problems.problem_report_resolve(report=decided, actor=staff, decision="DISMISSED", note="ok")
    newest = problems.problem_report_create(session=sessions[2], actor=customer, kind="TECHNICAL", text="c")
    with django_assert_max_num_queries(12):
        page = admin_client.get("/admin/sessions_app/problemreport/")
    ids = [row.pk for row in page.context["cl"].result_list]
    assert ids == [first.pk, newest.pk, decided.pk]


def test_staff_resolve_from_the_report_page_through_the_service(admin_client, coach, customer, staff):
    session = session_in_state(Session.Status.COMPLETED, coach=coach, customer=customer)
    report = problems.problem_report_create(session=session, actor=customer, kind="COACH_NO_SHOW", text="He left.")
    url = f"/admin/sessions_app/problemreport/{report.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "He left." in body and "Timeline (UTC)" in body and "STARTED" in body
    res = admin_client.post(url, {"decision": "UPHELD", "note": "Coach pays a fine."})
    assert res.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.resolution, report.resolved_by) == ("UPHELD", "Coach pays a fine.", staff)
    assert session.logs.filter(action="PROBLEM_RESOLVED", actor=staff).exists()


def test_staff_propose_another_time(admin_client, coach, customer, staff):
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    from tests.helpers.api import client_for

    slot = AppointmentFactory(coach=coach, start=start)
    session_id = (
        client_for(customer)
        .post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.id)}, format="json")
        .json()["id"]
    )
    other = AppointmentFactory(coach=coach, start=start + timedelta(days=1))
    res = admin_client.post(
        "/admin/sessions_app/session/", {"action": "propose_another_time", "_selected_action": [session_id]}
    )
    assert res.status_code == 302 and res.url.endswith(f"/{session_id}/propose/")
    form = admin_client.get(res.url)
    assert str(other.id) in form.content.decode()
    done = admin_client.post(res.url, {"appointment": str(other.id), "reason": "Coach is ill"})
    assert done.status_code == 302
    request = PostponeRequest.objects.get(session_id=session_id)
    assert (request.status, request.requested_by, request.proposed_appointment_id) == ("PENDING", staff, other.id)
