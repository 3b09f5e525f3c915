"""The ops dashboard on the admin home, job heartbeats, and query counts of the changed pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.dashboard import _PANELS, Panel, Row, register_panel
from backoffice.models import JobHeartbeat
from recordings.models import WebhookEvent
from sessions_app.models import Session
from sessions_app.tasks import close_stale_sessions
from tests.factories import MessageFactory, RatingFactory, RecordingFactory, SessionFactory
from tests.helpers.admin import browser

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


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/admin/ratings/rating/", lambda: RatingFactory(status="FLAGGED", flag_reasons=["phone"])),
        ("/admin/sessions_app/session/", lambda: SessionFactory()),
        ("/admin/recordings/recording/", lambda: RecordingFactory()),
        ("/admin/accounts/user/", lambda: SessionFactory()),
    ],
    ids=["ratings", "sessions", "recordings", "users"],
)
def test_lists_run_as_many_queries_for_many_rows_as_for_few(staff, url, make, django_assert_max_num_queries):
    client = browser(staff)
    make()
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    for _ in range(15):
        make()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


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
