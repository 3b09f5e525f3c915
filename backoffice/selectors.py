"""Reads for the staff console across apps: a session's merged timeline and its real end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from backoffice.audit import audit_entries
from chat.models import Message
from chat.storage import media_url
from ratings.models import Rating, short_name
from recordings.models import Recording
from sessions_app.models import PostponeRequest, ProblemReport, Session, SessionLog


def sessions_real_end(*, sessions: list[Session], now: datetime | None = None) -> dict:
    """When each session really ended, for completing it late by hand: the later of its scheduled
    end and its last log, never after now (one query for all of them)."""
    now = now or timezone.now()
    last = dict(
        SessionLog.objects.filter(session__in=sessions)
        .values("session")
        .annotate(last=Max("created_at"))
        .values_list("session", "last")
    )
    ends = {}
    for session in sessions:
        end = max(session.scheduled_end, last.get(session.pk) or session.scheduled_end)
        ends[session.pk] = min(end, now)
    return ends


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # log, chat, recording, rating, staff
    who: str
    text: str
    url: str = ""


def _who(user, session: Session) -> str:
    if user is None:
        return "system"
    role = "coach" if user.pk == session.coach_id else "customer" if user.pk == session.customer_id else "staff"
    return f"{short_name(user)} ({role})"


def session_timeline(*, session: Session, user) -> tuple[list[TimelineEntry], list[str]]:
    """Everything that happened in ``session``, oldest first: its logs, chat messages, recordings,
    ratings and staff actions, each part only if ``user`` may read it; and the parts left out.
    A fixed number of queries, whatever the session holds."""
    entries: list[TimelineEntry] = []
    hidden: list[str] = []
    if user.has_perm("sessions_app.view_sessionlog"):
        for log in SessionLog.objects.filter(session=session).select_related("actor"):
            entries.append(TimelineEntry(log.created_at, "log", _who(log.actor, session), f"{log.action} {log.text}"))
    else:
        hidden.append("session logs (sessions_app.view_sessionlog)")
    if user.has_perm("chat.view_message"):
        for message in Message.objects.filter(session=session).select_related("sender"):
            text, url = message.text, ""
            if message.has_media:
                text = f"{text} [{message.media_kind}, {filesizeformat(message.media_size or 0)}]".strip()
                url = media_url(message=message)  # a fresh time-limited link, as on the chat's own admin
            entries.append(TimelineEntry(message.created_at, "chat", _who(message.sender, session), text, url))
    else:
        hidden.append("chat (chat.view_message)")
    recordings: list[Recording] = []
    ratings: list[Rating] = []
    if user.has_perm("recordings.view_recording"):
        recordings = list(Recording.objects.filter(session=session))
        for recording in recordings:
            entries.append(
                TimelineEntry(
                    recording.started_at or recording.created_at,
                    "recording",
                    "system",
                    f"Recording {recording.get_status_display().lower()}"
                    + (f": {recording.failure_reason}" if recording.failure_reason else ""),
                    f"/admin/recordings/recording/{recording.pk}/change/",
                )
            )
    else:
        hidden.append("recordings (recordings.view_recording)")
    if user.has_perm("ratings.view_rating"):
        ratings = list(Rating.objects.filter(session=session).select_related("rater"))
        for rating in ratings:
            entries.append(
                TimelineEntry(
                    rating.created_at,
                    "rating",
                    _who(rating.rater, session),
                    f"Rated {rating.overall}/5 ({rating.get_status_display().lower()}): {rating.feedback}",
                    f"/admin/ratings/rating/{rating.pk}/change/",
                )
            )
    else:
        hidden.append("ratings (ratings.view_rating)")
    # Staff decisions on the session and on what belongs to it (postpone requests, problem reports,
    # and the ratings and recordings shown above), each linked to the object it was about.
    audited: list = [session, *recordings, *ratings]
    for model in (PostponeRequest, ProblemReport):
        if user.has_perm(f"sessions_app.view_{model._meta.model_name}"):
            audited += model.objects.filter(session=session).only("pk")
    about = {  # (content type, id) -> (what it was about, its page)
        (ContentType.objects.get_for_model(obj).pk, str(obj.pk)): (
            str(obj._meta.verbose_name).capitalize(),
            reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]),
        )
        for obj in audited
        if obj is not session
    }
    for entry in audit_entries(audited):
        label, url = about.get((entry.content_type_id, entry.object_id), ("", ""))
        text = f"{label}: {entry.get_change_message()}" if label else entry.get_change_message()
        entries.append(TimelineEntry(entry.action_time, "staff", _who(entry.user, session), text, url))
    entries.sort(key=lambda e: e.at)
    return entries, hidden
