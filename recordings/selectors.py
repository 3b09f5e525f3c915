"""Reads of recordings (querysets and model rows; ``parts.py`` renders the report's part)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from config.api.errors import NotFoundError
from recordings.models import Recording
from sessions_app.models import Session


def session_for_recordings(*, user: User, session_id, staff_allowed: bool = True) -> Session:
    """The session as the recordings endpoints see it: participants, and staff for reading.
    Anyone else gets 404, as for any object they may not see."""
    qs = Session.objects.select_related("coach", "customer").filter(pk=session_id)
    if not (staff_allowed and user.is_staff):
        qs = qs.filter(Q(coach=user) | Q(customer=user))
    session = qs.first()
    if session is None:
        raise NotFoundError("No such session.")
    return session


def recording_list(*, session: Session) -> QuerySet[Recording]:
    # select_related: available_until reads the session's end, one query for the whole page.
    return Recording.objects.filter(session=session).select_related("session").order_by("created_at", "id")


def recording_get(*, session: Session, recording_id) -> Recording:
    recording = recording_list(session=session).filter(pk=recording_id).first()
    if recording is None:
        raise NotFoundError("No such recording.")
    return recording
