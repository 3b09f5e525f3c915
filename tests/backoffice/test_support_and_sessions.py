"""Support's view of sessions, the staff moves with their reasons, the session and user pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from accounts.models import CoachProfile
from ratings.models import Rating
from sessions_app.models import Session, SessionLog
from tests.factories import CoachFactory, MessageFactory, RatingFactory, SessionFactory
from tests.helpers.admin import browser

pytestmark = pytest.mark.django_db

SESSIONS = "/admin/sessions_app/session/"


def _running(**kwargs) -> Session:
    start = timezone.now() - timedelta(days=2)
    return SessionFactory(status=Session.Status.IN_PROGRESS, appointment__start=start, started_at=start, **kwargs)


def test_support_reads_the_whole_session_in_one_timeline_without_a_save_button(support):
    session = _running()
    SessionLog.objects.create(session=session, action="ENTERED", actor=session.coach, created_at=session.started_at)
    MessageFactory(session=session, text="Can you hear me?")

    page = browser(support).get(f"{SESSIONS}{session.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Can you hear me?" in html and "ENTERED" in html  # chat and logs in the one timeline
    assert 'class="module session-summary"' in html and session.coach.email in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "collapse" in html  # the technical fields are folded away
    assert "Complete this session" in html


def test_links_are_shown_only_to_those_allowed_to_open_them(moderator, support):
    rating = RatingFactory()
    user_url = f"/admin/accounts/user/{rating.rater_id}/change/"

    as_moderator = browser(moderator)
    page = as_moderator.get(f"/admin/ratings/rating/{rating.pk}/change/").content.decode()
    assert user_url not in page and rating.rater.email in page
    forbidden = as_moderator.get(user_url)
    assert forbidden.status_code == 403
    assert "You may not open this page" in forbidden.content.decode()  # the styled page, not a bare 403

    page = browser(support).get(f"/admin/ratings/rating/{rating.pk}/change/").content.decode()
    assert user_url in page
    assert 'name="decision"' not in page  # support reads ratings, moderators decide


def test_staff_cancel_asks_for_a_reason_the_participants_then_see(support, api):
    session = SessionFactory()
    client = browser(support)
    selected = {"action": "cancel_sessions", "_selected_action": [str(session.pk)]}

    confirm = client.post(SESSIONS, selected)
    assert confirm.status_code == 200 and "the participants see the reason" in confirm.content.decode()
    assert Session.objects.get(pk=session.pk).status == "PENDING"
    client.post(SESSIONS, {**selected, "apply": "Cancel", "reason": "", "note": "x"})
    assert Session.objects.get(pk=session.pk).status == "PENDING"  # a reason is required

    client.post(
        SESSIONS,
        {**selected, "apply": "Cancel", "reason": "The coach is ill today.", "note": "Phoned the coach at 9."},
    )

    session.refresh_from_db()
    assert (session.status, session.cancelled_by, session.cancel_reason) == (
        "CANCELLED",
        support,
        "The coach is ill today.",
    )
    seen = api(session.customer).get(f"/api/v1/sessions/{session.pk}").json()
    assert seen["cancel_reason"] == "The coach is ill today."
    entry = LogEntry.objects.get(object_id=str(session.pk))
    assert entry.get_change_message() == (
        "Cancelled by staff. Reason: The coach is ill today. Internal note: Phoned the coach at 9."
    )
    assert "Phoned the coach" not in str(seen)  # the note stays with staff


def test_completing_a_stuck_session_records_its_real_end_not_now(support):
    session = _running()  # started two days ago, scheduled for an hour
    late_log = session.scheduled_end + timedelta(minutes=7)
    SessionLog.objects.create(session=session, action="LEFT", actor=session.customer, created_at=late_log)
    selected = {"action": "complete_sessions", "_selected_action": [str(session.pk)]}
    client = browser(support)

    confirm = client.post(SESSIONS, selected)
    assert "Recorded end" in confirm.content.decode()
    client.post(SESSIONS, {**selected, "apply": "Complete", "reason": "Completed by staff.", "note": ""})

    session.refresh_from_db()
    assert session.status == "COMPLETED"
    assert session.ended_at == late_log  # its last activity, later than the scheduled end


def test_the_real_end_is_the_scheduled_end_without_later_activity_and_never_after_now(support):
    stuck = _running()
    current = SessionFactory(
        status=Session.Status.IN_PROGRESS,
        appointment__start=timezone.now() - timedelta(minutes=5),
        started_at=timezone.now() - timedelta(minutes=5),
    )
    before = timezone.now()
    browser(support).post(
        SESSIONS,
        {
            "action": "complete_sessions",
            "_selected_action": [str(stuck.pk), str(current.pk)],
            "apply": "Complete",
            "reason": "Completed by staff.",
        },
    )
    stuck.refresh_from_db()
    current.refresh_from_db()
    assert stuck.ended_at == stuck.scheduled_end
    assert before <= current.ended_at <= timezone.now()  # not its scheduled end, still in the future


def test_sessions_are_found_by_names(support):
    session = SessionFactory(customer__first_name="Tomas", customer__last_name="Fischer")
    SessionFactory()
    found = browser(support).get(SESSIONS, {"q": "tomas fischer"}).context["cl"].result_list
    assert list(found) == [session]


def test_user_pages_list_their_sessions_and_ratings(support):
    rating = RatingFactory()
    html = browser(support).get(f"/admin/accounts/user/{rating.rater_id}/change/").content.decode()
    assert rating.session.display_number in html
    assert str(rating) in html


def test_staff_unverify_a_coach_and_it_is_in_history(client, staff):
    coach = CoachFactory()
    client.force_login(staff)
    client.post(
        "/admin/accounts/coachprofile/", {"action": "unverify", "_selected_action": [str(coach.pk)]}, follow=True
    )
    profile = CoachProfile.objects.get(user=coach)
    assert (profile.is_verified, profile.availability) == (False, "OFFLINE")
    assert LogEntry.objects.get(object_id=str(coach.pk)).get_change_message() == "Unverified by staff."


def test_support_group_cannot_decide_ratings(support):
    rating = RatingFactory(status="FLAGGED")
    browser(support).post(f"/admin/ratings/rating/{rating.pk}/change/", {"decision": "approve"})
    assert Rating.objects.get(pk=rating.pk).status == "FLAGGED"


def test_deleting_free_slots_is_in_the_audit_and_a_refused_delete_is_not(staff):
    from django.contrib.admin.models import DELETION

    from tests.factories import AppointmentFactory

    free = AppointmentFactory()
    booked = SessionFactory().appointment
    client = browser(staff)

    client.post(
        "/admin/sessions_app/appointment/",
        {"action": "delete_free_slots", "_selected_action": [str(free.pk), str(booked.pk)]},
    )

    entries = list(LogEntry.objects.filter(action_flag=DELETION))
    assert [entry.object_id for entry in entries] == [str(free.pk)]
    assert entries[0].get_change_message().startswith(f"Deleted by staff: the free slot of {free.coach.email} at ")


def test_staff_cancellation_notifies_the_participants_with_the_reason(support, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    session = SessionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        browser(support).post(
            SESSIONS,
            {
                "action": "cancel_sessions",
                "_selected_action": [str(session.pk)],
                "apply": "Cancel",
                "reason": "The coach is ill today.",
            },
        )

    told = Notification.objects.filter(kind="session_cancelled", session=session)
    assert {n.recipient_id for n in told} == {session.coach_id, session.customer_id}
    assert all("The coach is ill today." in n.body for n in told)


def _message(name: str):
    return MessageFactory(session__customer__last_name=name)


def _slot(name: str):
    return SessionFactory(appointment__coach__last_name=name).appointment


@pytest.mark.parametrize(
    ("url", "make", "term"),
    [
        ("/admin/chat/message/", _message, lambda m: m.session.display_number),
        ("/admin/chat/message/", _message, lambda m: m.sender.last_name),
        ("/admin/sessions_app/appointment/", _slot, lambda a: a.coach.last_name),
    ],
    ids=["messages-by-number", "messages-by-name", "slots-by-coach-name"],
)
def test_more_lists_are_searched_by_session_number_and_names(staff, url, make, term):
    wanted = make("Quenneville")
    make("Abernathy")
    found = browser(staff).get(url, {"q": term(wanted)}).context["cl"].result_list
    assert list(found) == [wanted]


def test_recording_dates_read_in_the_console_format_on_every_page(support):
    from tests.factories import RecordingFactory

    recording = RecordingFactory()
    until = recording.available_until
    client = browser(support)

    for url in (f"/admin/recordings/recording/{recording.pk}/change/", f"{SESSIONS}{recording.session_id}/change/"):
        html = client.get(url).content.decode()
        assert f"{until:%Y-%m-%d %H:%M} UTC" in html, url
        assert until.isoformat(sep=" ") not in html, url  # a datetime printed raw, as Django does for methods
