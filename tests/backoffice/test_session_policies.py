"""Staff decisions on postpone requests and problem reports: through the services, in History, on the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from sessions_app.models import PostponeRequest, ProblemReport, Session
from sessions_app.services import postpone, problems
from tests.factories import AppointmentFactory, CoachFactory, SessionFactory, StaffFactory
from tests.helpers.admin import browser
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db

REQUESTS = "/admin/sessions_app/postponerequest/"
REPORTS = "/admin/sessions_app/problemreport/"


def _history(obj) -> list[str]:
    content_type = ContentType.objects.get_for_model(obj)
    entries = LogEntry.objects.filter(content_type=content_type, object_id=str(obj.pk)).order_by("action_time")
    return [entry.get_change_message() for entry in entries]


def _in(hours: int):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def _booked() -> Session:
    return SessionFactory(appointment__start=_in(48))


def _open_request(session: Session | None = None) -> PostponeRequest:
    session = session or _booked()
    slot = AppointmentFactory(coach=session.coach, start=_in(72))
    return postpone.postpone_request_create(session=session, actor=session.coach, appointment_id=slot.pk)


def _open_report() -> ProblemReport:
    session = session_in_state(Session.Status.COMPLETED, coach=CoachFactory(), customer=SessionFactory().customer)
    return problems.problem_report_create(session=session, actor=session.customer, kind="COACH_NO_SHOW", text="Gone.")


# --- postpone requests ------------------------------------------------------------------------------


def test_a_staff_proposal_is_written_to_the_requests_history_and_shown_on_the_session_page(support):
    session = _booked()
    slot = AppointmentFactory(coach=session.coach, start=_in(96))
    client = browser(support)

    done = client.post(
        f"/admin/sessions_app/session/{session.pk}/propose/",
        {"appointment": str(slot.pk), "reason": "The coach is travelling.", "note": "Asked by phone."},
    )

    assert done.status_code == 302
    proposed = PostponeRequest.objects.get(session=session)
    assert (proposed.status, proposed.requested_by, proposed.reason) == ("PENDING", support, "The coach is travelling.")
    (message,) = _history(proposed)
    assert message.startswith(f"Proposed by staff: {slot.start:%Y-%m-%d %H:%M} UTC instead of ")
    assert message.endswith("Reason given to the customer: The coach is travelling. Internal note: Asked by phone.")
    request_page = client.get(f"{REQUESTS}{proposed.pk}/change/").content.decode()
    assert "Asked by phone." in request_page and 'class="staff-history"' in request_page
    session_page = client.get(f"/admin/sessions_app/session/{session.pk}/change/").content.decode()
    assert "Asked by phone." in session_page
    assert f"{REQUESTS}{proposed.pk}/change/" in session_page  # the timeline links the decision to its request


def test_staff_withdraw_asks_to_confirm_and_records_the_note(support):
    request = _open_request()
    selected = {"action": "withdraw", "_selected_action": [str(request.pk)]}
    client = browser(support)

    confirm = client.post(REQUESTS, selected)

    assert confirm.status_code == 200 and "Withdraw 1 request" in confirm.content.decode()
    assert PostponeRequest.objects.get(pk=request.pk).status == "PENDING"  # nothing happened yet

    client.post(REQUESTS, {**selected, "apply": "Withdraw", "note": "The customer asked us by e-mail."})

    assert PostponeRequest.objects.get(pk=request.pk).status == "WITHDRAWN"
    assert _history(request) == ["Withdrawn by staff. Internal note: The customer asked us by e-mail."]
    assert request.session.logs.filter(action="POSTPONE_WITHDRAWN", actor=support).exists()


def test_withdraw_is_offered_on_an_open_requests_page_and_saving_is_not(support):
    request = _open_request()
    page = browser(support).get(f"{REQUESTS}{request.pk}/change/").content.decode()
    assert 'value="withdraw"' in page and 'name="_save"' not in page
    assert request.session.display_number in page  # titles read the session's number, not ids


def test_a_refused_withdraw_writes_no_history(support):
    request = _open_request()
    postpone.postpone_request_decline(request=request, actor=request.session.customer)

    browser(support).post(REQUESTS, {"action": "withdraw", "_selected_action": [str(request.pk)], "apply": "1"})

    assert PostponeRequest.objects.get(pk=request.pk).status == "DECLINED"
    assert _history(request) == []


def test_proposing_without_the_right_is_a_styled_403(moderator):
    session = _booked()
    response = browser(moderator).get(f"/admin/sessions_app/session/{session.pk}/propose/")
    assert response.status_code == 403 and "You may not open this page" in response.content.decode()


# --- problem reports --------------------------------------------------------------------------------


def test_resolving_writes_the_decision_with_both_notes_to_history_once(support):
    report = _open_report()
    url = f"{REPORTS}{report.pk}/change/"
    client = browser(support)

    response = client.post(
        url, {"decision": "UPHELD", "note": "The coach pays a fine.", "internal_note": "Second no-show this month."}
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.resolution, report.resolved_by) == ("UPHELD", "The coach pays a fine.", support)
    assert _history(report) == [  # ours only: no generic "Changed decision and note."
        "Upheld by staff. Note to both participants: The coach pays a fine. Internal note: Second no-show this month."
    ]
    page = client.get(url).content.decode()
    assert "Second no-show this month." in page and 'name="decision"' not in page and 'name="_save"' not in page
    session_page = client.get(f"/admin/sessions_app/session/{report.session_id}/change/").content.decode()
    assert "Second no-show this month." in session_page


def test_a_report_decided_meanwhile_is_not_decided_again(support):
    report = _open_report()
    problems.problem_report_resolve(report=report, actor=StaffFactory(), decision="DISMISSED", note="Not proven.")

    response = browser(support).post(
        f"{REPORTS}{report.pk}/change/", {"decision": "UPHELD", "note": "Fine."}, follow=True
    )

    report.refresh_from_db()
    assert (report.status, report.resolution) == ("DISMISSED", "Not proven.")
    assert _history(report) == []
    assert "already decided" in response.content.decode()


@pytest.mark.parametrize(
    "posted",
    [{"decision": "DISMISSED", "note": ""}, {"decision": "", "note": "Nothing was chosen."}],
    ids=["no-note", "no-decision"],
)
def test_a_decision_needs_a_choice_and_the_note_both_participants_read(support, posted):
    report = _open_report()
    response = browser(support).post(f"{REPORTS}{report.pk}/change/", posted)
    assert response.status_code == 200  # the form again, with the error
    assert ProblemReport.objects.get(pk=report.pk).status == "OPEN" and _history(report) == []


def test_moderators_do_not_see_the_policy_queues(moderator):
    client = browser(moderator)
    assert client.get(REPORTS).status_code == 403
    assert client.get(REQUESTS).status_code == 403
