"""The ops dashboard on the admin home, job heartbeats, and query counts of the changed pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.dashboard import _PANELS, Panel, Row, register_panel
from backoffice.models import JobHeartbeat
from events.models import Event
from notifications.models import Delivery, Notification
from recordings.models import WebhookEvent
from sessions_app.models import PostponeRequest, ProblemReport, Session
from sessions_app.tasks import close_stale_sessions
from tests.factories import MessageFactory, RatingFactory, RecordingFactory, SessionFactory
from tests.helpers.admin import browser
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _rows(response) -> dict[str, Row]:
    return {row.label: row for panel in response.context["panels"] for row in panel.rows}


def _seed(n: int) -> None:
    now = timezone.now()
    for i in range(n):
        SessionFactory(appointment__start=now + timedelta(hours=3 + i))  # pending, later today or after
        SessionFactory(
            status=Session.Status.IN_PROGRESS,
            appointment__start=now - timedelta(days=3, hours=2 * i),
            started_at=now - timedelta(days=3),
        )
        RatingFactory(status="FLAGGED", flag_reasons=["phone"])
        RecordingFactory(status="PROCESSING", created_at=now - timedelta(days=2))
        RecordingFactory(status="FAILED")
        WebhookEvent.objects.create(key=f"k{n}-{i}", payload={}, received_at=now - timedelta(minutes=30))
        _seed_support_and_outgoing(now)


def _seed_support_and_outgoing(now) -> None:
    done = SessionFactory(status=Session.Status.COMPLETED, appointment__start=now - timedelta(days=30))
    ProblemReport.objects.create(session=done, reported_by=done.customer, kind="OTHER", text="x")
    pending = SessionFactory(appointment__start=now + timedelta(days=40))
    PostponeRequest.objects.create(
        session=pending,
        proposed_start=pending.scheduled_start + timedelta(days=1),
        proposed_end=pending.scheduled_end + timedelta(days=1),
        requested_by=pending.coach,
        expires_at=now + timedelta(hours=1),
    )
    endpoint = WebhookEndpoint.objects.create(url="https://example.com/hook", secret="s")
    WebhookEndpoint.objects.create(url="https://example.com/off", secret="s", is_active=False, disabled_at=now)
    for status, attempts in (("FAILED", 8), ("PENDING", 2)):
        event = Event.objects.create(type="session.booked", data={}, session_id=pending.pk)
        WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, status=status, attempts=attempts, last_attempt_at=now
        )
    notification = Notification.objects.create(recipient=done.customer, kind="session_booked")
    Delivery.objects.create(notification=notification, channel="email", status="FAILED")
    Delivery.objects.create(
        notification=notification, channel="push", status="PENDING", next_attempt_at=now - timedelta(hours=1)
    )


def test_dashboard_counts_stuck_work_and_the_queue(staff):
    _seed(2)
    RatingFactory(status="APPROVED")
    SessionFactory(status=Session.Status.PENDING, appointment__start=timezone.now() - timedelta(hours=5))

    response = browser(staff).get("/admin/")

    assert response.status_code == 200
    rows = _rows(response)
    assert rows["Live now"].value == 2
    assert rows["Stuck: running past their end + grace"].value == 2
    assert rows["Stuck: running past their end + grace"].level == "error"
    assert rows["Stuck: pending past their end"].value == 1
    assert rows["Processing for more than a day"].value == 2
    assert rows["Failed"].value == 2
    assert rows["Agora events not processed after 5 minutes"].value == 2
    assert rows["Waiting"].value == 2 and "oldest waiting" in rows["Waiting"].detail
    assert rows["database"].value == "ok"
    assert (
        rows["Problem reports to decide"].value == 2 and "oldest reported" in rows["Problem reports to decide"].detail
    )
    assert rows["Postpone requests waiting for the customer"].value == 2
    assert rows["Webhook deliveries failed (gave up)"].value == 2
    assert rows["Webhook deliveries failed (gave up)"].level == "error"
    assert rows["Webhook deliveries retrying"].value == 2
    assert rows["Webhook endpoints disabled after failing"].value == 2
    assert rows["Notification deliveries failed in the last 24 h"].value == 2
    assert rows["Notification deliveries due for more than 15 minutes"].value == 2
    html = response.content.decode()
    assert "Coaching platform — staff console" in html and "Django administration" not in html
    stuck = browser(staff).get(rows["Stuck: running past their end + grace"].url)
    assert stuck.context["cl"].result_count == 2  # the link opens exactly those


def test_dashboard_queries_do_not_grow_with_rows(staff, django_assert_max_num_queries):
    client = browser(staff)
    _seed(1)
    with django_assert_max_num_queries(30) as few:
        client.get("/admin/")
    _seed(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/admin/")


def test_jobs_write_heartbeats_and_a_silent_job_shows_late(staff):
    close_stale_sessions()
    beat = JobHeartbeat.objects.get(name="sessions_app.tasks.close_stale_sessions")
    assert beat.last_success_at > timezone.now() - timedelta(minutes=1)

    rows = _rows(browser(staff).get("/admin/"))
    assert rows["close-stale-sessions"].level == ""
    assert rows["expire-recordings"].value == "never ran"

    JobHeartbeat.objects.filter(pk=beat.pk).update(last_success_at=timezone.now() - timedelta(minutes=4))
    rows = _rows(browser(staff).get("/admin/"))
    assert rows["close-stale-sessions"].level == "error"  # older than 3 x its one-minute period
    assert "LATE" in rows["close-stale-sessions"].detail


def test_other_apps_add_panels_through_the_registry(staff):
    @register_panel
    def failed_sends(request, now):
        return Panel("Notifications", [Row("Failed sends", 3, level="error")])

    try:
        assert _rows(browser(staff).get("/admin/"))["Failed sends"].value == 3
    finally:
        _PANELS.remove(failed_sends)


def test_panels_follow_the_viewers_permissions(moderator):
    titles = [p.title for p in browser(moderator).get("/admin/").context["panels"]]
    assert "Rating moderation" in titles and "Sessions" not in titles and "Recordings" not in titles
    assert "Support" not in titles and "Outgoing" not in titles


def test_support_sees_its_queues_and_not_the_outgoing_panel(support):
    titles = [p.title for p in browser(support).get("/admin/").context["panels"]]
    assert "Support" in titles and "Sessions" in titles and "Outgoing" not in titles


# Every list's query count: tests/backoffice/test_list_query_counts.py.


def test_session_page_queries_do_not_grow_with_its_timeline(staff, django_assert_max_num_queries):
    session = SessionFactory(status=Session.Status.IN_PROGRESS, started_at=timezone.now())
    client = browser(staff)
    MessageFactory(session=session)
    with django_assert_max_num_queries(60) as few:
        client.get(f"/admin/sessions_app/session/{session.pk}/change/")
    for _ in range(15):
        MessageFactory(session=session)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/admin/sessions_app/session/{session.pk}/change/")


def test_staff_play_link_redirects_to_a_fresh_stream_url(staff):
    from recordings.models import RecordingFile

    recording = RecordingFactory()
    RecordingFile.objects.create(recording=recording, name="recordings/x/a.mp4", size_bytes=10)
    client = browser(staff)
    assert (
        f"/admin/recordings/recording/{recording.pk}/play/"
        in client.get("/admin/recordings/recording/").content.decode()
    )

    response = client.get(f"/admin/recordings/recording/{recording.pk}/play/")

    assert response.status_code == 302 and "/recordings/" in response["Location"]


def test_every_dashboard_link_opens_its_list(staff):
    _seed(1)
    client = browser(staff)
    for row in _rows(client.get("/admin/")).values():
        if row.url:
            response = client.get(row.url)
            assert response.status_code == 200, row.label  # an unknown filter would redirect with ?e=1


def test_every_beat_job_leaves_a_heartbeat_without_writing_one_itself():
    from sessions_app.tasks import confirm_sessions

    assert confirm_sessions.apply().successful()  # through Celery's tracer, as a worker runs it

    beat = JobHeartbeat.objects.get(name="sessions_app.tasks.confirm_sessions")
    assert beat.last_success_at > timezone.now() - timedelta(minutes=1) and beat.last_result == "0"


def test_a_job_that_words_its_own_heartbeat_keeps_its_words():
    close_stale_sessions.apply()
    beat = JobHeartbeat.objects.get(name="sessions_app.tasks.close_stale_sessions")
    assert beat.last_result == "0 completed, 0 cancelled"  # not the automatic "completed 0, cancelled 0"


def test_tasks_outside_the_beat_schedule_leave_no_heartbeat():
    from availability.tasks import publish_coach_schedule

    publish_coach_schedule.apply(args=[str(SessionFactory().coach_id)])
    assert not JobHeartbeat.objects.filter(name="availability.tasks.publish_coach_schedule").exists()
