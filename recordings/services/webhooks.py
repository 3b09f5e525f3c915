"""Agora's notifications: received once, then applied to recordings and session logs.

The view verifies and parses the body (``integrations.agora.notifications``); these services get
a :class:`Notification` and never read Agora's raw format. An event is stored once and answered at
once; a task applies it later, claimed by a conditional update so it is applied at most once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.tasks import enqueue_on_commit
from integrations.agora import notifications as agora_events
from integrations.agora.notifications import Notification
from recordings.errors import StaleWebhookEvent
from recordings.models import Recording, WebhookEvent
from recordings.services._common import Action, Status, duration_between, recording_fail, resolve_now
from recordings.services.files import recording_files_register, recording_finish_if_ready
from sessions_app.models import Session
from sessions_app.services import log_action

logger = logging.getLogger(__name__)

# cloud_recording_error's errorLevel: lower is milder. Below 4 the recording goes on (noted only);
# 4, 5 or no level at all is serious.
SERIOUS_ERROR_LEVEL = 4
# By name: recordings.tasks imports these services, so importing it here would be a cycle.
PROCESS_TASK = "recordings.tasks.process_webhook_event"


def webhook_event_is_fresh(*, event: Notification, now: datetime | None = None) -> bool:
    """Sent within ``AGORA_WEBHOOK_MAX_AGE_HOURS``. An event without ``notifyMs`` cannot be judged
    and passes: Agora always sends one, and a body is only here once its signature held."""
    if event.notified_at is None:
        return True
    max_age = timedelta(hours=settings.AGORA_WEBHOOK_MAX_AGE_HOURS)
    return resolve_now(now) - event.notified_at <= max_age


def webhook_event_store(*, event: Notification) -> tuple[WebhookEvent, bool]:
    """Store an event once; ``created`` is False for a duplicate."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                key=event.key,
                notice_id=event.notice_id,
                product_id=event.product_id,
                event_type=event.event_type,
                sid=event.sid,
                payload=event.body or {},
            )
    except IntegrityError:
        return WebhookEvent.objects.get(key=event.key), False
    return stored, True


def webhook_event_receive(*, event: Notification, now: datetime | None = None) -> tuple[WebhookEvent, bool]:
    """A verified notification: refused when stale (a replay of a captured body), else stored once
    and its processing enqueued. ``created`` is False for a duplicate."""
    if not webhook_event_is_fresh(event=event, now=now):
        hours = settings.AGORA_WEBHOOK_MAX_AGE_HOURS
        raise StaleWebhookEvent(
            f"This event was sent more than {hours} hours ago; it is refused.",
            fields={"notifyMs": [f"Older than {hours} hours."]},
        )
    stored, created = webhook_event_store(event=event)
    if created:
        # Stored first: if the broker is down, the beat sweep (webhook_events_process_pending) applies it.
        enqueue_on_commit(PROCESS_TASK, stored.pk)
    return stored, created


def webhook_event_process(*, event_id: int) -> str:
    """Apply one stored event. Claimed with a conditional update: processed at most once."""
    now = timezone.now()
    if not WebhookEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(processed_at=now):
        return "already processed"
    stored = WebhookEvent.objects.get(pk=event_id)
    event = agora_events.from_body(stored.payload if isinstance(stored.payload, dict) else {}, key=stored.key)
    try:
        if event.is_recording_event:
            result = _apply_recording_event(event)
        elif event.is_channel_event:
            result = _apply_channel_event(event)
        else:
            result = "ignored: unknown product"
    except Exception:
        WebhookEvent.objects.filter(pk=event_id).update(processed_at=None)  # released: tried again later
        raise
    WebhookEvent.objects.filter(pk=event_id).update(result=result[:255])
    return result


def webhook_events_process_pending(*, older_than: timedelta = timedelta(minutes=1), limit: int = 500) -> int:
    """Apply stored events whose task was lost (broker down, worker killed). Each event is claimed
    by :func:`webhook_event_process`, so this can run beside the normal tasks."""
    cutoff = timezone.now() - older_than
    pending = WebhookEvent.objects.filter(processed_at__isnull=True, received_at__lte=cutoff)
    done = 0
    for event_id in pending.order_by("id").values_list("id", flat=True)[:limit]:
        try:
            webhook_event_process(event_id=event_id)
            done += 1
        except Exception:  # one bad event must not stop the sweep; it stays pending
            logger.exception("Agora event %s could not be applied; it stays pending", event_id)
    return done


def _recording_for_event(event: Notification) -> Recording | None:
    qs = Recording.objects.select_related("session").exclude(status=Status.EXPIRED)
    if event.sid and (recording := qs.filter(sid=event.sid).first()):
        return recording
    # An event can overtake Agora's answer to start (no sid stored yet): the channel and the
    # recorder's uid identify the recording too.
    if event.uid and event.channel_name:
        recording = (
            qs.filter(session__channel_name=event.channel_name, recorder_uid=event.uid).order_by("-created_at").first()
        )
        if recording and event.sid and not recording.sid:
            Recording.objects.filter(pk=recording.pk, sid="").update(sid=event.sid)
        return recording
    return None


def _apply_recording_event(event: Notification) -> str:
    recording = _recording_for_event(event)
    if recording is None:
        return "ignored: unknown recording"
    at = event.occurred_at or timezone.now()
    event_type = event.event_type

    if event_type in (agora_events.EVENT_UPLOADED, agora_events.EVENT_BACKED_UP, agora_events.EVENT_FILE_INFOS):
        if recording.status in (Status.FAILED, Status.EXPIRED):
            return f"ignored: recording is {recording.status}"
        with transaction.atomic():
            recording_files_register(recording=recording, files=event.files)
            if event_type != agora_events.EVENT_FILE_INFOS:
                # May come before Agora's answer to stop: noted now, applied when it stops.
                Recording.objects.filter(pk=recording.pk).update(upload_completed=True)
        return "available" if recording_finish_if_ready(recording_id=recording.pk) else "files noted"

    if event_type in (agora_events.EVENT_SESSION_EXIT, agora_events.EVENT_RECORDER_LEAVE):
        if event_type == agora_events.EVENT_SESSION_EXIT and event.exit_status not in (None, 0):
            reason = f"The Agora recorder exited with status {event.exit_status}."
            failed = recording_fail(recording=recording, reason=reason, allowed=Recording.ACTIVE_STATUSES, now=at)
            return "failed" if failed else "ignored"
        with transaction.atomic():
            moved = Recording.objects.filter(pk=recording.pk, status=Status.RECORDING).update(
                status=Status.PROCESSING,
                stopped_at=at,
                duration_seconds=duration_between(recording.started_at, at),
                updated_at=timezone.now(),
            )
            if moved:
                log_action(
                    session=recording.session,
                    action=Action.RECORDING_STOPPED,
                    text="The Agora recorder left the channel.",
                    now=at,
                )
        recording_finish_if_ready(recording_id=recording.pk)
        return "stopped" if moved else "ignored: not recording"

    if event_type == agora_events.EVENT_ERROR and event.error is not None:
        error = event.error
        reason = (
            f"Agora error {error.code}: {error.message}" if error.code is not None else f"Agora error: {error.message}"
        )
        if error.level is not None and error.level < SERIOUS_ERROR_LEVEL:
            return f"noted: minor error (level {error.level}): {reason}"
        if recording.status == Status.PROCESSING:
            # Stopped, files on their way: Agora retries the upload and backs the files up; the
            # uploaded/backed-up events or the upload sweep decide, not this error.
            return f"noted: error while uploading: {reason}"
        failed = recording_fail(recording=recording, reason=reason, allowed=Recording.ACTIVE_STATUSES, now=at)
        return "failed" if failed else f"ignored: recording is {recording.status}"

    if event_type == agora_events.EVENT_RECORDER_STARTED:
        return "noted"
    return f"ignored: event type {event_type}"


def _apply_channel_event(event: Notification) -> str:
    if event.event_type in agora_events.RTC_JOIN_EVENTS:
        action = Action.ENTERED
    elif event.event_type in agora_events.RTC_LEAVE_EVENTS:
        action = Action.LEFT
    else:
        return f"ignored: event type {event.event_type}"
    session = Session.objects.select_related("coach", "customer").filter(channel_name=event.channel_name).first()
    if session is None:
        return "ignored: unknown channel"
    if event.uid == session.coach_uid:
        actor = session.coach
    elif event.uid == session.customer_uid:
        actor = session.customer
    else:
        return "ignored: not a participant (the recorder or a stranger)"
    with transaction.atomic():
        # Locked like session_log_add: no log slips in after a concurrent completion.
        status = Session.objects.select_for_update().filter(pk=session.pk).values_list("status", flat=True).get()
        if status != Session.Status.IN_PROGRESS and status != Session.Status.END_REQUEST_PENDING:
            return f"ignored: session is {status}"
        text = "From Agora channel events."
        if action == Action.LEFT and event.leave_reason is not None:
            text = f"From Agora channel events (reason {event.leave_reason})."
        log_action(session=session, action=action, actor=actor, text=text, now=event.occurred_at or timezone.now())
    return f"logged {action}"
