"""Postpone requests and problem reports (SPEC 11) reach the right people (SPEC 8), through the API.

Each flow calls the real endpoint (or the admin page staff use), whose service writes the outbox event
in its transaction; the consumer "notifications" runs after the commit, as in production.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from django.utils import formats, timezone, translation

from events.models import Event
from notifications.kinds import Kind
from notifications.models import Device, Notification
from notifications.services import send_due_notifications
from sessions_app.models import PostponeRequest, ProblemReport, Session
from sessions_app.services import postpone, problems
from tests.factories import AppointmentFactory, CoachFactory
from tests.helpers.api import error_code
from tests.helpers.sessions import session_in_state

pytestmark = pytest.mark.django_db(transaction=True)

POSTPONE_KINDS = {
    Kind.POSTPONE_REQUESTED,
    Kind.POSTPONE_ACCEPTED,
    Kind.POSTPONE_DECLINED,
    Kind.POSTPONE_WITHDRAWN,
    Kind.POSTPONE_EXPIRED,
}


def _at(hours: float, minute: int = 0):
    return (timezone.now() + timedelta(hours=hours)).replace(minute=minute, second=0, microsecond=0)


def _book(api, customer, coach, *, hours: float = 48) -> Session:
    slot = AppointmentFactory(coach=coach, start=_at(hours))
    res = api(customer).post("/api/v1/sessions", {"type": "SCHEDULED", "appointment_id": str(slot.pk)})
    assert res.status_code == 201, res.json()
    return Session.objects.get(pk=res.json()["id"])


def _propose(client, session, slot, reason="I am travelling that day"):
    return client.post(
        f"/api/v1/sessions/{session.pk}/postpone-requests", {"appointment_id": str(slot.pk), "reason": reason}
    )


def _answer(client, session, request_id, answer):
    return client.post(f"/api/v1/sessions/{session.pk}/postpone-requests/{request_id}/{answer}")


def _policy_inbox(user) -> list[Notification]:
    kinds = POSTPONE_KINDS | {Kind.PROBLEM_REPORTED, Kind.PROBLEM_RESPONDED, Kind.PROBLEM_RESOLVED}
    return list(Notification.objects.filter(recipient=user, kind__in=kinds).order_by("created_at"))


def _local(value, *, zone: str, language: str) -> str:
    """How a recipient reads ``value``: their zone, their language's day and month names."""
    with translation.override(language):
        local = value.astimezone(ZoneInfo(zone))
        return f"{formats.date_format(local, 'l j F Y')} {local:%H:%M}"


def _planned(session) -> set[tuple]:
    return set(
        Notification.objects.filter(session=session, state=Notification.State.PLANNED).values_list(
            "kind", "offset_minutes", "recipient_id", "due_at"
        )
    )


# --- postpone requests ---------------------------------------------------------------------------------


def test_a_coachs_proposal_tells_the_customer_in_their_language_and_zone(api, coach, customer):
    customer.language, customer.timezone = "ar", "Asia/Riyadh"
    customer.save()
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72, minute=30))
    res = _propose(api(coach), session, slot)
    assert res.status_code == 201, res.json()

    (note,) = _policy_inbox(customer)
    assert note.kind == Kind.POSTPONE_REQUESTED
    assert note.data == {"session_id": str(session.pk), "postpone_request_id": res.json()["id"]}
    assert note.title == f"يقترح {coach.get_full_name()} موعدًا جديدًا لجلستك"
    proposed = _local(slot.start, zone="Asia/Riyadh", language="ar")
    current = _local(session.scheduled_start, zone="Asia/Riyadh", language="ar")
    assert f"من {current} إلى {proposed} (Asia/Riyadh)" in note.body
    assert f"{(slot.start + timedelta(hours=3)):%H:%M}" in note.body  # Riyadh is UTC+3 all year
    assert "السبب: I am travelling that day" in note.body
    expires = PostponeRequest.objects.get().expires_at
    assert _local(expires, zone="Asia/Riyadh", language="ar") in note.body
    assert _policy_inbox(coach) == []  # the coach asked: nothing to tell them


def test_an_english_customer_reads_the_proposal_in_english_and_their_zone(api, coach, customer):
    customer.timezone = "America/New_York"
    customer.save()
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    assert _propose(api(coach), session, slot, reason="Ill, sorry; can't make it").status_code == 201
    (note,) = _policy_inbox(customer)
    assert note.title == f"{coach.get_full_name()} proposes a new time for your session"
    proposed = _local(slot.start, zone="America/New_York", language="en")
    assert f"to {proposed} (America/New_York)." in note.body
    # Plain text: no HTML escaping in the inbox (the HTML e-mail escapes it once).
    assert "Reason: Ill, sorry; can't make it" in note.body


def test_a_staff_proposal_made_in_the_admin_tells_the_customer_and_the_coach(client, api, staff, coach, customer):
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    client.force_login(staff)
    res = client.post(
        f"/admin/sessions_app/session/{session.pk}/propose/", {"appointment": str(slot.pk), "reason": "Coach is ill"}
    )
    assert res.status_code == 302, res.content
    (to_customer,) = _policy_inbox(customer)
    (to_coach,) = _policy_inbox(coach)
    assert to_customer.kind == to_coach.kind == Kind.POSTPONE_REQUESTED
    assert to_customer.title == f"{coach.get_full_name()} proposes a new time for your session"
    assert to_coach.title == f"A new time was proposed for your session with {customer.get_full_name()}"
    assert f"{customer.get_full_name()} can accept or decline it until" in to_coach.body


def test_accepting_tells_the_coach_once_and_moves_the_reminders(api, coach, customer):
    session = _book(api, customer, coach)
    old_start = session.scheduled_start
    slot = AppointmentFactory(coach=coach, start=_at(96))
    request_id = _propose(api(coach), session, slot).json()["id"]
    res = _answer(api(customer), session, request_id, "accept")
    assert res.status_code == 200, res.json()

    (accepted,) = _policy_inbox(coach)
    assert accepted.kind == Kind.POSTPONE_ACCEPTED
    assert accepted.title == f"{customer.get_full_name()} accepted the new time"
    new_when = _local(slot.start, zone="UTC", language="en")
    old_when = _local(old_start, zone="UTC", language="en")
    assert accepted.body == f"Session {session.display_number} now starts {new_when} instead of {old_when} (UTC)."
    assert accepted.data == {"session_id": str(session.pk), "postpone_request_id": request_id}
    # "Accepted" says it: no second "rescheduled" notice for the same move, and none to the customer.
    assert not Notification.objects.filter(kind=Kind.SESSION_RESCHEDULED).exists()
    assert [n.kind for n in _policy_inbox(customer)] == [Kind.POSTPONE_REQUESTED]
    start = slot.start
    assert _planned(session) == {
        (kind, offset, user.pk, start - timedelta(minutes=offset))
        for kind, offset in ((Kind.SESSION_REMINDER, 1440), (Kind.SESSION_REMINDER, 60), (Kind.SESSION_JOIN_OPEN, 10))
        for user in (coach, customer)
    }
    mail.outbox.clear()
    assert send_due_notifications(now=old_start - timedelta(minutes=60)).sent == 0  # the old time is gone
    assert send_due_notifications(now=start - timedelta(minutes=60)).sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([coach.email, customer.email])


@pytest.mark.parametrize("way", ["customer reschedules", "coach proposes, customer accepts"])
def test_a_postpone_moves_the_plan_exactly_as_a_customers_reschedule(api, coach, customer, way):
    session = _book(api, customer, coach, hours=30)  # far enough ahead for the customer's own change
    before = _planned(session)
    ids = set(Notification.objects.filter(session=session, state="PLANNED").values_list("pk", flat=True))
    slot = AppointmentFactory(coach=coach, start=_at(74))
    if way == "customer reschedules":
        res = api(customer).patch(f"/api/v1/sessions/{session.pk}", {"appointment_id": str(slot.pk)})
    else:
        request_id = _propose(api(coach), session, slot).json()["id"]
        res = _answer(api(customer), session, request_id, "accept")
    assert res.status_code == 200, res.json()
    # The same rows (moved, not re-made), each due at the same lead before the new start.
    shift = slot.start - session.scheduled_start
    assert _planned(session) == {(kind, offset, user, due + shift) for kind, offset, user, due in before}
    assert set(Notification.objects.filter(session=session, state="PLANNED").values_list("pk", flat=True)) == ids
    assert Session.objects.get(pk=session.pk).scheduled_start == slot.start


def test_declining_tells_the_coach_the_session_stays(api, coach, customer):
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    request_id = _propose(api(coach), session, slot).json()["id"]
    planned = _planned(session)
    assert _answer(api(customer), session, request_id, "decline").status_code == 200
    (declined,) = _policy_inbox(coach)
    assert declined.kind == Kind.POSTPONE_DECLINED
    assert declined.title == f"{customer.get_full_name()} declined the new time"
    stays = _local(session.scheduled_start, zone="UTC", language="en")
    assert declined.body.startswith(f"Session {session.display_number} stays on {stays} (UTC)")
    assert _local(slot.start, zone="UTC", language="en") in declined.body
    assert [n.kind for n in _policy_inbox(customer)] == [Kind.POSTPONE_REQUESTED]
    assert _planned(session) == planned


def test_withdrawing_tells_the_customer(api, coach, customer):
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    request_id = _propose(api(coach), session, slot).json()["id"]
    assert _answer(api(coach), session, request_id, "withdraw").status_code == 200
    assert [n.kind for n in _policy_inbox(customer)] == [Kind.POSTPONE_REQUESTED, Kind.POSTPONE_WITHDRAWN]
    withdrawn = _policy_inbox(customer)[-1]
    assert withdrawn.title == f"The new time proposed for your session with {coach.get_full_name()} was withdrawn"
    assert _policy_inbox(coach) == []


def test_an_expired_proposal_tells_both_that_the_session_stays(api, coach, customer):
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    request_id = _propose(api(coach), session, slot).json()["id"]
    expires_at = PostponeRequest.objects.get(pk=request_id).expires_at
    assert postpone.postpone_requests_expire_due(now=expires_at) == 1
    (to_coach,) = _policy_inbox(coach)
    to_customer = _policy_inbox(customer)[-1]
    assert to_coach.kind == to_customer.kind == Kind.POSTPONE_EXPIRED
    assert to_coach.title == f"{customer.get_full_name()} did not answer the proposed new time"
    assert to_customer.title == f"The new time proposed for your session with {coach.get_full_name()} has expired"
    stays = _local(session.scheduled_start, zone="UTC", language="en")
    assert to_customer.body == to_coach.body == f"Session {session.display_number} stays on {stays} (UTC)."


def test_a_cancel_with_an_open_proposal_sends_the_cancellation_not_an_expiry(api, coach, customer):
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    _propose(api(coach), session, slot)
    res = api(customer).post(f"/api/v1/sessions/{session.pk}/cancel", {"reason": "sorry"}, format="json")
    assert res.status_code == 200
    assert [n.kind for n in _policy_inbox(coach)] == []
    assert [n.kind for n in _policy_inbox(customer)] == [Kind.POSTPONE_REQUESTED]
    assert Notification.objects.filter(recipient=coach, kind=Kind.SESSION_CANCELLED).count() == 1


def test_an_accept_that_rolls_back_tells_nobody_and_keeps_the_plan(api, coach, customer):
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    request_id = _propose(api(coach), session, slot).json()["id"]
    # Meanwhile the customer booked another coach at the proposed time: the move fails under the lock,
    # after the request was already marked ACCEPTED in the same transaction.
    _book(api, customer, CoachFactory(), hours=72)
    planned = _planned(session)
    events = Event.objects.count()
    res = _answer(api(customer), session, request_id, "accept")
    assert res.status_code == 409 and error_code(res) == "slot_unavailable"
    assert PostponeRequest.objects.get(pk=request_id).status == PostponeRequest.Status.PENDING
    assert Event.objects.count() == events
    assert not Notification.objects.filter(kind__in=[Kind.POSTPONE_ACCEPTED, Kind.SESSION_RESCHEDULED]).exists()
    assert _planned(session) == planned


def test_push_carries_the_session_and_request_ids(api, coach, customer, fcm):
    Device.objects.create(user=customer, platform="android", token="customer-phone")
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    request_id = _propose(api(coach), session, slot).json()["id"]
    pushes = [m for m in fcm.sent_to("customer-phone") if m["message"]["data"]["kind"] == Kind.POSTPONE_REQUESTED]
    (push,) = pushes
    data = push["message"]["data"]
    assert data["session_id"] == str(session.pk) and data["postpone_request_id"] == request_id
    assert push["message"]["notification"]["title"] == f"{coach.get_full_name()} proposes a new time for your session"


def test_the_proposal_mail_arrives_right_to_left_in_arabic_with_the_local_time(api, smtp, coach, customer, settings):
    customer.language, customer.timezone = "ar", "Asia/Riyadh"
    customer.save()
    session = _book(api, customer, coach)
    slot = AppointmentFactory(coach=coach, start=_at(72))
    assert _propose(api(coach), session, slot, reason="Dan & Anna's clash").status_code == 201
    (message,) = [m for m in smtp.to(customer.email) if "موعدًا جديدًا" in m["Subject"]]
    text, html = smtp.parts(message)
    assert message["Subject"].strip() == f"يقترح {coach.get_full_name()} موعدًا جديدًا لجلستك"
    assert message["Content-Language"] == "ar"
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert f"{(slot.start + timedelta(hours=3)):%H:%M}" in text and "Asia/Riyadh" in text
    assert "Dan & Anna's clash" in text
    assert "Dan &amp; Anna&#x27;s clash" in html  # escaped once, where it becomes HTML
    assert f"{settings.FRONTEND_URL}/sessions/{session.pk}" in text
    assert "unsubscribe=postpone_requested" in message["List-Unsubscribe"]


def test_preferences_switch_the_new_kinds_like_the_others(api, coach, customer):
    prefs = api(customer).get("/api/v1/me/notification-preferences").json()
    for kind in (*POSTPONE_KINDS, Kind.PROBLEM_REPORTED, Kind.PROBLEM_RESPONDED, Kind.PROBLEM_RESOLVED):
        assert prefs["email"][kind] is True and prefs["push"][kind] is True
    res = api(customer).put(
        "/api/v1/me/notification-preferences", {"email": {"postpone_requested": False}}, format="json"
    )
    assert res.status_code == 200
    session = _book(api, customer, coach)
    mail.outbox.clear()
    assert _propose(api(coach), session, AppointmentFactory(coach=coach, start=_at(72))).status_code == 201
    assert mail.outbox == []
    (note,) = _policy_inbox(customer)  # the inbox still has it
    assert not note.deliveries.exists()


# --- problem reports -----------------------------------------------------------------------------------


def _report(client, session, kind="TECHNICAL", text="The video froze for ten minutes."):
    return client.post(f"/api/v1/sessions/{session.pk}/problems", {"kind": kind, "text": text})


def test_a_report_tells_the_other_participant_and_the_answer_the_reporter(api, coach, customer):
    coach.language = "ar"
    coach.save()
    session = session_in_state(Session.Status.COMPLETED, coach=coach, customer=customer)
    res = _report(api(customer), session)
    assert res.status_code == 201, res.json()
    problem_id = res.json()["id"]
    (reported,) = _policy_inbox(coach)
    assert reported.kind == Kind.PROBLEM_REPORTED
    assert reported.data == {"session_id": str(session.pk), "problem_id": problem_id}
    assert reported.title == f"أبلغ {customer.get_full_name()} عن مشكلة في الجلسة {session.display_number}"
    assert reported.body.splitlines()[0] == "مشكلة تقنية: The video froze for ten minutes."
    assert _policy_inbox(customer) == []

    res = api(coach).post(
        f"/api/v1/sessions/{session.pk}/problems/{problem_id}/response", {"text": "My connection dropped."}
    )
    assert res.status_code == 200, res.json()
    (responded,) = _policy_inbox(customer)
    assert responded.kind == Kind.PROBLEM_RESPONDED
    assert responded.title == f"{coach.get_full_name()} answered your problem report"
    assert "Their answer: My connection dropped." in responded.body
    assert [n.kind for n in _policy_inbox(coach)] == [Kind.PROBLEM_REPORTED]
    types = list(Event.objects.filter(session_id=session.pk).order_by("created_at").values_list("type", flat=True))
    assert types[-2:] == ["session.problem_reported", "session.problem_responded"]


def test_a_staff_decision_in_the_admin_tells_both_with_the_note(client, api, staff, coach, customer, smtp):
    session = session_in_state(Session.Status.COMPLETED, coach=coach, customer=customer)
    problem_id = _report(api(coach), session, kind="CUSTOMER_NO_SHOW", text="Nobody came.").json()["id"]
    client.force_login(staff)
    url = f"/admin/sessions_app/problemreport/{problem_id}/change/"
    res = client.post(url, {"decision": "UPHELD", "note": "The join record shows no customer."})
    assert res.status_code == 302, res.content
    assert ProblemReport.objects.get(pk=problem_id).status == ProblemReport.Status.UPHELD
    to_coach = _policy_inbox(coach)[-1]
    (to_customer,) = [n for n in _policy_inbox(customer) if n.kind == Kind.PROBLEM_RESOLVED]
    assert to_coach.kind == Kind.PROBLEM_RESOLVED
    assert to_coach.title == "Your problem report was upheld"  # the coach reported
    assert to_customer.title == f"The problem report on session {session.display_number} was upheld"
    for note in (to_coach, to_customer):
        assert "Staff's note: The join record shows no customer." in note.body
        assert "The customer did not show" in note.body
        assert note.data == {"session_id": str(session.pk), "problem_id": problem_id}
    subjects = [m["Subject"].strip() for m in smtp.to(customer.email)]
    assert f"The problem report on session {session.display_number} was upheld" in subjects


def test_a_dismissal_reads_dismissed(api, staff, coach, customer):
    session = session_in_state(Session.Status.COMPLETED, coach=coach, customer=customer)
    report = ProblemReport.objects.get(pk=_report(api(customer), session).json()["id"])
    problems.problem_report_resolve(report=report, actor=staff, decision="DISMISSED", note="Nothing to see.")
    assert _policy_inbox(customer)[-1].title == "Your problem report was dismissed"
    assert _policy_inbox(coach)[-1].title == f"The problem report on session {session.display_number} was dismissed"


def test_a_report_that_rolls_back_writes_no_event_and_tells_nobody(coach, customer):
    session = session_in_state(Session.Status.COMPLETED, coach=coach, customer=customer)
    events = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        problems.problem_report_create(session=session, actor=customer, kind="OTHER", text="Hmm.")
        raise RuntimeError("the caller's transaction fails after the report")
    assert not ProblemReport.objects.exists()
    assert Event.objects.count() == events
    assert _policy_inbox(coach) == []


def test_the_inbox_query_count_does_not_grow_with_policy_notifications(
    api, coach, customer, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = _book(api, customer, coach)
    client = api(customer)
    _propose(api(coach), session, AppointmentFactory(coach=coach, start=_at(72)))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/me/notifications?page_size=100").status_code == 200
    few_queries = len(few.captured_queries)  # now: the next request resets the connection's query log
    for hours in range(73, 93):
        request = PostponeRequest.objects.get(session=session, status="PENDING")
        postpone.postpone_request_withdraw(request=request, actor=coach)
        _propose(api(coach), session, AppointmentFactory(coach=coach, start=_at(hours)))
    with django_assert_max_num_queries(few_queries):
        res = client.get("/api/v1/me/notifications?page_size=100")
    kinds = {row["kind"] for row in res.json()["results"]}
    assert {Kind.POSTPONE_REQUESTED, Kind.POSTPONE_WITHDRAWN} <= kinds
    assert len(res.json()["results"]) == 1 + 1 + 20 * 2  # booked, the first proposal, 20 withdrawals + proposals
