"""Starting and stopping a recording through Agora Cloud Recording, and the auto-stop when the
session ends."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from integrations.agora import cloud_recording as agora
from integrations.agora import rtc
from recordings.errors import AgoraUnreachable, AlreadyRecording, RecordingUnavailable
from recordings.models import Recording
from recordings.services._common import Action, Status, duration_between, recording_fail, resolve_now
from recordings.services.files import recording_files_register, recording_finish_if_ready
from sessions_app.errors import InvalidState
from sessions_app.models import Session
from sessions_app.services import log_action
from sessions_app.services.encryption import session_media_encryption_get

logger = logging.getLogger(__name__)

# A stop claimed longer ago than this belongs to a request that died: another may stop.
STOP_CLAIM_TIMEOUT = timedelta(minutes=3)


def recording_configured() -> bool:
    """Can sessions be recorded here (Agora REST credentials and a recordings bucket)?"""
    return agora.is_configured() and bool(settings.AWS_RECORDINGS_BUCKET_NAME)


def _require_agora() -> None:
    if not agora.is_configured():
        raise RecordingUnavailable()
    if not settings.AWS_RECORDINGS_BUCKET_NAME:
        raise RecordingUnavailable("Recording is not available: no S3 bucket is configured for recordings.")


def _agora_failed(message: str, exc: agora.AgoraError) -> RecordingUnavailable:
    error = AgoraUnreachable if exc.transient else RecordingUnavailable
    return error(f"{message}: {exc}")


def recording_start(*, session: Session, actor: User, now: datetime | None = None) -> Recording:
    """Start Agora cloud recording of an ``IN_PROGRESS`` session.

    The row is committed as ``STARTING`` before Agora is called: the partial unique constraint
    makes a concurrent second start fail at once (409 ``already_recording``), and a failure at
    Agora leaves a ``FAILED`` row with the reason instead of nothing.
    """
    _require_agora()
    now = resolve_now(now)
    if session.status != Session.Status.IN_PROGRESS:
        raise InvalidState(f"Recording needs an IN_PROGRESS session; this one is {session.status}.")
    if session.recordings.filter(status__in=Recording.ACTIVE_STATUSES).exists():
        raise AlreadyRecording()
    recording_id = uuid.uuid4()
    prefix = ["recordings", session.pk.hex, recording_id.hex]  # Agora allows letters and digits only
    uid = rtc.new_uid(exclude=(session.coach_uid, session.customer_uid))
    try:
        with transaction.atomic():
            recording = Recording.objects.create(
                id=recording_id,
                session=session,
                status=Status.STARTING,
                recorder_uid=uid,
                file_prefix="/".join(prefix),
                started_by=actor,
                started_at=now,
            )
    except IntegrityError:
        raise AlreadyRecording()

    try:
        resource_id = agora.acquire(channel_name=session.channel_name, uid=uid)
        Recording.objects.filter(pk=recording.pk).update(resource_id=resource_id)
        token = rtc.rtc_token(channel_name=session.channel_name, uid=uid, expires_at=session.hard_end)
        # The participants encrypt the media (SPEC 9): the recorder needs the same key to decode it.
        encryption = session_media_encryption_get(session=session)
        sid = agora.start(
            resource_id=resource_id,
            channel_name=session.channel_name,
            uid=uid,
            token=token,
            file_name_prefix=prefix,
            encryption_key=encryption.key if encryption else None,
            encryption_salt=encryption.salt if encryption else None,
        )
    except agora.AgoraError as exc:
        reason = f"Agora could not start the recording: {exc}"
        recording_fail(recording=recording, reason=reason, allowed=(Status.STARTING,))
        raise _agora_failed("Agora could not start the recording", exc)

    with transaction.atomic():
        moved = Recording.objects.filter(pk=recording.pk, status=Status.STARTING).update(
            status=Status.RECORDING, resource_id=resource_id, sid=sid, updated_at=timezone.now()
        )
        if moved:
            log_action(session=session, action=Action.RECORDING_STARTED, actor=actor, now=now)
    recording.refresh_from_db()
    # The session may have ended while Agora was starting; its auto-stop could not stop a
    # STARTING recording, so this request does.
    if (
        recording.status == Status.RECORDING
        and Session.objects.filter(pk=session.pk, status__in=Session.FINAL_STATUSES).exists()
    ):
        return _stop(recording=recording, actor=None, now=timezone.now())
    return recording


def recording_stop(*, session: Session, actor: User | None, now: datetime | None = None) -> Recording:
    """Stop the session's running recording (409 ``invalid_state`` when none is running)."""
    _require_agora()
    recording = session.recordings.filter(status__in=Recording.ACTIVE_STATUSES).first()
    if recording is None:
        raise InvalidState("No recording of this session is running.")
    if recording.status == Status.STARTING:
        raise InvalidState("The recording is still starting; try again in a moment.")
    return _stop(recording=recording, actor=actor, now=resolve_now(now))


def _claim_stop(*, recording: Recording, now: datetime) -> None:
    # One stop at a time reaches Agora: a participant's stop and the auto-stop may race.
    claimed = (
        Recording.objects.filter(pk=recording.pk, status=Status.RECORDING)
        .filter(Q(stop_claimed_at__isnull=True) | Q(stop_claimed_at__lt=now - STOP_CLAIM_TIMEOUT))
        .update(stop_claimed_at=now)
    )
    if not claimed:
        raise InvalidState("The recording is already being stopped.")


def _stop(*, recording: Recording, actor: User | None, now: datetime) -> Recording:
    session = recording.session
    failure = ""
    result = agora.StopResult()
    _claim_stop(recording=recording, now=now)
    try:
        result = agora.stop(
            resource_id=recording.resource_id,
            sid=recording.sid,
            channel_name=session.channel_name,
            uid=recording.recorder_uid or 0,
        )
    except agora.NoRecordedData as exc:
        failure = f"No recorded data: {exc}"
    except agora.AlreadyStopped:
        # The recorder is gone already (idle timeout, a second stop): its files, if any,
        # arrive through the webhooks or are found in the bucket.
        pass
    except agora.AgoraError as exc:
        # Left RECORDING and unclaimed: the caller (or the auto-stop task) can try again.
        Recording.objects.filter(pk=recording.pk, stop_claimed_at=now).update(stop_claimed_at=None)
        raise _agora_failed("Agora could not stop the recording", exc)

    with transaction.atomic():
        duration = duration_between(recording.started_at, now)
        if failure:
            moved = Recording.objects.filter(pk=recording.pk, status=Status.RECORDING).update(
                status=Status.FAILED,
                failure_reason=failure[:500],
                stopped_at=now,
                stopped_by=actor,
                duration_seconds=duration,
                updated_at=timezone.now(),
            )
            if moved:
                log_action(session=session, action=Action.RECORDING_STOPPED, actor=actor, now=now)
                log_action(session=session, action=Action.RECORDING_FAILED, text=failure, now=now)
        else:
            moved = Recording.objects.filter(pk=recording.pk, status=Status.RECORDING).update(
                status=Status.PROCESSING,
                stopped_at=now,
                stopped_by=actor,
                duration_seconds=duration,
                updated_at=timezone.now(),
            )
            if moved:
                log_action(session=session, action=Action.RECORDING_STOPPED, actor=actor, now=now)
            if result.upload_done:
                Recording.objects.filter(pk=recording.pk).update(upload_completed=True)
            recording_files_register(recording=recording, files=result.files)
    recording_finish_if_ready(recording_id=recording.pk)
    recording.refresh_from_db()
    return recording


@dataclass
class AutoStopResult:
    stopped: int = 0
    starting: int = 0


def recordings_stop_for_session(*, session_id) -> AutoStopResult:
    """The auto-stop when a session ends: stop whatever still records. ``starting`` counts
    recordings Agora has not confirmed yet (the task tries again later)."""
    result = AutoStopResult()
    for recording in Recording.objects.select_related("session").filter(
        session_id=session_id, status__in=Recording.ACTIVE_STATUSES
    ):
        if recording.status == Status.STARTING:
            result.starting += 1
            continue
        try:
            _stop(recording=recording, actor=None, now=timezone.now())
        except InvalidState:
            continue  # a participant's stop got there first
        result.stopped += 1
    return result


def recordings_stop_orphaned(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Stop what still records although its session ended more than ``older_than`` ago: the
    auto-stop task was never enqueued (the broker was down at the commit) or gave up. Returns how
    many recordings were stopped; a session whose stop fails at Agora waits for the next run."""
    cutoff = resolve_now(now) - older_than
    session_ids = (
        Recording.objects.filter(
            status=Status.RECORDING,
            session__status__in=Session.FINAL_STATUSES,
            session__updated_at__lte=cutoff,
        )
        .values_list("session_id", flat=True)
        .distinct()
    )
    stopped = 0
    for session_id in list(session_ids[:100]):
        try:
            stopped += recordings_stop_for_session(session_id=session_id).stopped
        except RecordingUnavailable:
            logger.warning("could not stop the recordings of ended session %s; next run", session_id, exc_info=True)
    return stopped
