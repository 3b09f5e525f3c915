from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session, SessionLog
from sessions_app.tasks import close_stale_sessions
from tests.factories import SessionFactory


@pytest.mark.django_db(transaction=True)
def test_overdue_session_is_completed_by_a_real_worker_on_redis(live_celery_worker):
    start = timezone.now() - timedelta(hours=3)
    session = SessionFactory(
        status=Session.Status.IN_PROGRESS,
        appointment__start=start,
        started_at=start,
    )
    result = close_stale_sessions.delay()
    assert result.get(timeout=20) == {"completed": 1, "cancelled": 0}
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED
    assert SessionLog.objects.filter(session=session, action="COMPLETED", actor=None).count() == 1
    # A second run changes nothing.
    assert close_stale_sessions.delay().get(timeout=20) == {"completed": 0, "cancelled": 0}
