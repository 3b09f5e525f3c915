"""Writes of the recordings domain: start/stop through Agora, files, webhooks, retention, imports.

Every status move is a conditional ``UPDATE ... WHERE status IN (...)`` whose row count decides
who made it: a stop answer and a webhook racing for the same recording cannot both log it, and an
event that arrives late (or twice) finds the row already moved and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config import mp4
from config.api.errors import PermissionDeniedError, ValidationFailed
from integrations.agora import cloud_recording as agora
from integrations.agora import rtc as video
from recordings.errors import (
    AlreadyRecording,
    InvalidRecordingState,
    RecordingExpired,
    RecordingNotReady,
    RecordingUnavailable,
)
from recordings.events import recording_event_emit, recordings_expired_emit
from recordings.models import Recording, RecordingFile, WebhookEvent
from sessions_app.errors import InvalidState
from sessions_app.models import Session, SessionLog

logger = logging.getLogger(__name__)

Status = Recording.Status
Action = SessionLog.Action
FILE_URL_SALT = "recordings.file-url"
MP4_CONTENT_TYPE = "video/mp4"

# Agora Notification Center: product ids and event types (Cloud Recording and RTC channel events).
PRODUCT_RTC = 1
PRODUCT_CLOUD_RECORDING = 3
EVENT_ERROR = 1
EVENT_FILE_INFOS = 4
EVENT_SESSION_EXIT = 11
EVENT_UPLOADED = 31
EVENT_BACKED_UP = 32
EVENT_RECORDER_STARTED = 40
EVENT_RECORDER_LEAVE = 41
RTC_JOIN_EVENTS = (103, 105, 107)  # broadcaster / audience / communication-profile user joined
RTC_LEAVE_EVENTS = (104, 106, 108)
# cloud_recording_error's errorLevel: lower is milder. Below 4 the recording goes on (noted only);
# 4, 5 or no level at all is serious.
SERIOUS_ERROR_LEVEL = 4


# --- helpers -------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _log(*, session_id, action: str, actor: User | None = None, text: str = "", at: datetime | None = None) -> None:
    # Written directly: sessions_app.services.session_log_add accepts client-side actions only.
    SessionLog.objects.create(session_id=session_id, action=action, actor=actor, text=text[:1000], created_at=_now(at))


def recordings_storage() -> Storage:
    return storages["recordings"]


def _is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def recording_configured() -> bool:
    """Can sessions be recorded here (Agora REST credentials and a recordings bucket)?"""
    return agora.is_configured() and bool(settings.AWS_RECORDINGS_BUCKET_NAME)


def _require_agora() -> None:
    if not agora.is_configured():
        raise RecordingUnavailable()
    if not settings.AWS_RECORDINGS_BUCKET_NAME:
        raise RecordingUnavailable("Recording is not available: no S3 bucket is configured for recordings.")


def _duration(started_at: datetime | None, stopped_at: datetime | None) -> int | None:
    if started_at and stopped_at and stopped_at >= started_at:
        return int((stopped_at - started_at).total_seconds())
    return None


# --- start and stop ------------------------------------------------------------------------------


def recording_start(*, session: Session, user: User, now: datetime | None = None) -> Recording:
    """Start Agora cloud recording of an ``IN_PROGRESS`` session.

    The row is committed as ``STARTING`` before Agora is called: the partial unique constraint
    makes a concurrent second start fail at once (409 ``already_recording``), and a failure at
    Agora leaves a ``FAILED`` row with the reason instead of nothing.
    """
    _require_agora()
    now = _now(now)
    if session.status != Session.Status.IN_PROGRESS:
        raise InvalidState(f"Recording needs an IN_PROGRESS session; this one is {session.status}.")
    if session.recordings.filter(status__in=Recording.ACTIVE_STATUSES).exists():
        raise AlreadyRecording()
    recording_id = uuid.uuid4()
    prefix = ["recordings", session.pk.hex, recording_id.hex]  # Agora allows letters and digits only
    uid = video.new_uid(exclude=(session.coach_uid, session.customer_uid))
    try:
        with transaction.atomic():
            recording = Recording.objects.create(
                id=recording_id,
                session=session,
                status=Status.STARTING,
                recorder_uid=uid,
                file_prefix="/".join(prefix),
                started_by=user,
                started_at=now,
            )
    except IntegrityError:
        raise AlreadyRecording()

    try:
        resource_id = agora.acquire(channel_name=session.channel_name, uid=uid)
        Recording.objects.filter(pk=recording.pk).update(resource_id=resource_id)
        token = video.rtc_token(channel_name=session.channel_name, uid=uid, expires_at=session.hard_end)
        sid = agora.start(
            resource_id=resource_id,
            channel_name=session.channel_name,
            uid=uid,
            token=token,
            file_name_prefix=prefix,
        )
    except agora.AgoraError as exc:
        _fail(
            recording_id=recording.pk, reason=f"Agora could not start the recording: {exc}", allowed=(Status.STARTING,)
        )
        raise RecordingUnavailable(f"Agora could not start the recording: {exc}")

    with transaction.atomic():
        moved = Recording.objects.filter(pk=recording.pk, status=Status.STARTING).update(
            status=Status.RECORDING, resource_id=resource_id, sid=sid, updated_at=timezone.now()
        )
        if moved:
            _log(session_id=session.pk, action=Action.RECORDING_STARTED, actor=user, at=now)
    recording.refresh_from_db()
    # The session may have ended while Agora was starting; its auto-stop could not stop a
    # STARTING recording, so this request does.
    if (
        recording.status == Status.RECORDING
        and Session.objects.filter(pk=session.pk, status__in=Session.FINAL_STATUSES).exists()
    ):
        return _stop(recording=recording, by=None, now=timezone.now())
    return recording


def recording_stop(*, session: Session, user: User | None, now: datetime | None = None) -> Recording:
    """Stop the session's running recording (409 ``invalid_state`` when none is running)."""
    _require_agora()
    recording = session.recordings.filter(status__in=Recording.ACTIVE_STATUSES).first()
    if recording is None:
        raise InvalidRecordingState("No recording of this session is running.")
    if recording.status == Status.STARTING:
        raise InvalidRecordingState("The recording is still starting; try again in a moment.")
    return _stop(recording=recording, by=user, now=_now(now))


STOP_CLAIM_TIMEOUT = timedelta(minutes=3)


def _claim_stop(*, recording: Recording, now: datetime) -> None:
    claimed = (
        Recording.objects.filter(pk=recording.pk, status=Status.RECORDING)
        .filter(Q(stop_claimed_at__isnull=True) | Q(stop_claimed_at__lt=now - STOP_CLAIM_TIMEOUT))
        .update(stop_claimed_at=now)
    )
    if not claimed:
        raise InvalidRecordingState("The recording is already being stopped.")


def _stop(*, recording: Recording, by: User | None, now: datetime) -> Recording:
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
        raise RecordingUnavailable(f"Agora could not stop the recording: {exc}")

    with transaction.atomic():
        duration = _duration(recording.started_at, now)
        if failure:
            moved = Recording.objects.filter(pk=recording.pk, status=Status.RECORDING).update(
                status=Status.FAILED,
                failure_reason=failure[:500],
                stopped_at=now,
                stopped_by=by,
                duration_seconds=duration,
                updated_at=timezone.now(),
            )
            if moved:
                _log(session_id=session.pk, action=Action.RECORDING_STOPPED, actor=by, at=now)
                _log(session_id=session.pk, action=Action.RECORDING_FAILED, actor=None, text=failure, at=now)
        else:
            moved = Recording.objects.filter(pk=recording.pk, status=Status.RECORDING).update(
                status=Status.PROCESSING,
                stopped_at=now,
                stopped_by=by,
                duration_seconds=duration,
                updated_at=timezone.now(),
            )
            if moved:
                _log(session_id=session.pk, action=Action.RECORDING_STOPPED, actor=by, at=now)
            if result.uploading_status in ("uploaded", "backuped"):
                Recording.objects.filter(pk=recording.pk).update(upload_completed=True)
            _register_files(recording=recording, file_list=result.file_list)
    _finish_if_ready(recording_id=recording.pk)
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
            _stop(recording=recording, by=None, now=timezone.now())
        except InvalidRecordingState:
            continue  # a participant's stop got there first
        result.stopped += 1
    return result


def _fail(*, recording_id, reason: str, allowed: Iterable[str], at: datetime | None = None) -> bool:
    at = _now(at)
    with transaction.atomic():
        moved = Recording.objects.filter(pk=recording_id, status__in=list(allowed)).update(
            status=Status.FAILED, failure_reason=reason[:500], updated_at=timezone.now()
        )
        if moved:
            session_id = Recording.objects.filter(pk=recording_id).values_list("session_id", flat=True).get()
            Recording.objects.filter(pk=recording_id, stopped_at__isnull=True).update(stopped_at=at)
            _log(session_id=session_id, action=Action.RECORDING_FAILED, text=reason, at=at)
    return bool(moved)


# --- files ---------------------------------------------------------------------------------------


INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def _as_int(value, maximum: int = INT32_MAX) -> int | None:
    """A non-negative whole number that fits its column, or None (Agora's fields are untrusted input)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > 24:
        return None
    try:
        number = int(value)
    except (ValueError, OverflowError):
        return None
    return number if 0 <= number <= maximum else None


def _register_files(*, recording: Recording, file_list: list[dict]) -> int:
    """Register the MP4 entries of an Agora file list (stop answer or webhook). Idempotent."""
    added = 0
    for entry in file_list:
        name = str(entry.get("fileName") or entry.get("filename") or "").strip().lstrip("/")
        if not name.lower().endswith(".mp4") or ".." in name:
            continue
        if "/" not in name and recording.file_prefix:
            name = f"{recording.file_prefix}/{name}"
        size = _as_int(entry.get("size") or entry.get("fileSize") or entry.get("size_bytes"), INT64_MAX)
        duration = _as_int(entry.get("duration_seconds") or entry.get("duration"))
        if duration is None and (ms := _as_int(entry.get("durationMs"), INT64_MAX)) is not None:
            duration = ms // 1000 if ms // 1000 <= INT32_MAX else None
        file, created = RecordingFile.objects.get_or_create(
            recording=recording, name=name, defaults={"size_bytes": size, "duration_seconds": duration}
        )
        added += int(created)
        changes = {}
        if size is not None and file.size_bytes != size:
            changes["size_bytes"] = size
        if duration is not None and file.duration_seconds != duration:
            changes["duration_seconds"] = duration
        if changes:
            RecordingFile.objects.filter(pk=file.pk).update(**changes)
    return added


def _stored_mp4s(recording: Recording) -> list[str] | None:
    """The MP4 files under the recording's prefix in the recordings storage (names relative to the
    prefix); None when the storage could not be listed, which proves nothing either way."""
    if not recording.file_prefix:
        return []
    try:
        _, names = recordings_storage().listdir(recording.file_prefix)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except Exception:  # a storage hiccup: the next event, stop or sweep tries again
        logger.warning("could not list %s", recording.file_prefix, exc_info=True)
        return None
    return [name for name in names if name.lower().endswith(".mp4")]


def _discover_files(recording: Recording) -> None:
    """Agora's answers may carry no file list (a stop after an idle exit): look in the bucket."""
    if names := _stored_mp4s(recording):
        _register_files(recording=recording, file_list=[{"fileName": n} for n in names])


def _finish_if_ready(*, recording_id) -> bool:
    """PROCESSING -> AVAILABLE once Agora reported the upload and an MP4 is known."""
    recording = Recording.objects.filter(pk=recording_id).first()
    if recording is None or recording.status != Status.PROCESSING or not recording.upload_completed:
        return False
    files = list(recording.files.filter(deleted_at__isnull=True))
    if not files:
        _discover_files(recording)
        files = list(recording.files.filter(deleted_at__isnull=True))
    if not files:
        return False
    storage = recordings_storage()
    total = 0
    known = False
    for file in files:
        if file.size_bytes is None:
            try:
                file.size_bytes = storage.size(file.name)
                RecordingFile.objects.filter(pk=file.pk).update(size_bytes=file.size_bytes)
            except Exception:  # not in the bucket yet (backed up at Agora): size stays unknown
                logger.info("size of %s unknown for now", file.name)
                continue
        total += file.size_bytes
        known = True
    durations = [f.duration_seconds for f in files if f.duration_seconds is not None]
    fields: dict = {"status": Status.AVAILABLE, "updated_at": timezone.now()}
    if known:
        fields["size_bytes"] = total
    if durations:
        fields["duration_seconds"] = max(durations)
    with transaction.atomic():
        if not Recording.objects.filter(pk=recording.pk, status=Status.PROCESSING).update(**fields):
            return False
        recording_event_emit(type="recording.available", recording_id=recording.pk)
    return True


# --- lost "uploaded" events ------------------------------------------------------------------------


@dataclass
class UploadSweepResult:
    checked: int = 0
    available: int = 0
    failed: int = 0
    waiting: int = 0


def recordings_sweep_processing(*, now: datetime | None = None, limit: int = 500) -> UploadSweepResult:
    """Settle ``PROCESSING`` recordings whose "uploaded" event never came (Agora does not
    guarantee its notifications).

    A recording stopped more than ``RECORDING_UPLOAD_GRACE_MINUTES`` ago whose MP4 is in the
    recordings storage (under its prefix) gets the upload marked complete and becomes
    ``AVAILABLE``; one stopped more than ``RECORDING_UPLOAD_GIVE_UP_HOURS`` ago with still no MP4
    becomes ``FAILED`` with the reason. A storage that cannot be listed proves nothing: that
    recording waits for the next run. At most ``limit`` recordings a run, oldest stop first; every
    move is a conditional update, so a run beside the webhooks or another run changes nothing twice.
    """
    now = _now(now)
    grace = now - timedelta(minutes=settings.RECORDING_UPLOAD_GRACE_MINUTES)
    give_up_hours = int(getattr(settings, "RECORDING_UPLOAD_GIVE_UP_HOURS", 24))
    give_up = now - timedelta(hours=give_up_hours)
    due = (
        Recording.objects.filter(status=Status.PROCESSING)
        .filter(Q(stopped_at__lte=grace) | Q(stopped_at__isnull=True, created_at__lte=grace))
        .order_by("stopped_at", "pk")
    )
    result = UploadSweepResult()
    for recording in due[:limit]:
        result.checked += 1
        names = _stored_mp4s(recording)
        if names:
            with transaction.atomic():
                _register_files(recording=recording, file_list=[{"fileName": n} for n in names])
                Recording.objects.filter(pk=recording.pk, status=Status.PROCESSING).update(upload_completed=True)
            if _finish_if_ready(recording_id=recording.pk):
                result.available += 1
            continue
        if names is not None and (recording.stopped_at or recording.created_at) <= give_up:
            reason = (
                f"Agora delivered no MP4 within {give_up_hours} hours of the stop: no uploaded event came "
                "and the recordings storage has no MP4 under the recording's prefix."
            )
            if _fail(recording_id=recording.pk, reason=reason, allowed=(Status.PROCESSING,), at=now):
                result.failed += 1
            continue
        result.waiting += 1
    return result


# --- streaming -----------------------------------------------------------------------------------


@dataclass
class StreamLink:
    url: str
    expires_at: datetime
    content_type: str = MP4_CONTENT_TYPE


def recording_stream_link(*, recording: Recording, now: datetime | None = None) -> StreamLink:
    """A URL to the recording's MP4 valid ``RECORDING_URL_TTL_SECONDS``: presigned on S3, a signed
    project URL on the local file system. Relative URLs are made absolute by the API."""
    now = _now(now)
    if recording.status == Status.EXPIRED:
        raise RecordingExpired()
    available_until = recording.available_until
    if available_until is not None and now >= available_until:
        raise RecordingExpired("The retention period of this recording is over.")
    if recording.status == Status.FAILED:
        raise RecordingNotReady(f"The recording failed: {recording.failure_reason or 'unknown reason'}.")
    if recording.status != Status.AVAILABLE:
        raise RecordingNotReady(f"The recording is {recording.status}; it can be streamed once it is AVAILABLE.")
    # The largest MP4 whose size is known (a file still missing from the bucket has none; PostgreSQL
    # would sort it first).
    file = recording.files.filter(deleted_at__isnull=True).order_by(F("size_bytes").desc(nulls_last=True), "id").first()
    if file is None:
        raise RecordingNotReady("The recording has no MP4 file yet.")
    ttl = int(settings.RECORDING_URL_TTL_SECONDS)
    expires_at = (now + timedelta(seconds=ttl)).replace(microsecond=0)
    storage = recordings_storage()
    if _is_s3(storage):
        url = storage.url(
            file.name,
            parameters={"ResponseContentType": MP4_CONTENT_TYPE, "ResponseContentDisposition": "inline"},
            expire=ttl,
        )
    else:
        token = signing.dumps({"f": file.pk}, salt=FILE_URL_SALT, compress=False)
        url = reverse("recording-file", kwargs={"token": token})
    return StreamLink(url=url, expires_at=expires_at)


def recording_file_for_token(*, token: str) -> RecordingFile:
    """The file behind a signed local URL; refused once the URL or the recording expired."""
    try:
        data = signing.loads(token, salt=FILE_URL_SALT, max_age=int(settings.RECORDING_URL_TTL_SECONDS))
    except signing.SignatureExpired:
        raise PermissionDeniedError("This link has expired; ask for a new one.")
    except signing.BadSignature:
        raise PermissionDeniedError("This link is not valid.")
    file = RecordingFile.objects.select_related("recording", "recording__session").filter(pk=data.get("f")).first()
    if file is None or file.deleted_at is not None or file.recording.status == Status.EXPIRED:
        raise RecordingExpired()
    return file


# --- webhooks ------------------------------------------------------------------------------------


def _event_key(payload: dict, raw: bytes) -> str:
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    product = payload.get("productId")
    event_type = payload.get("eventType")
    sid = inner.get("sid") or payload.get("sid") or ""
    sequence = inner.get("sequence")
    if product == PRODUCT_CLOUD_RECORDING and sid and sequence is not None:
        # Agora's redundant delivery may resend one event under another noticeId.
        return f"{product}:{sid}:{event_type}:{sequence}"[:255]
    if notice_id := payload.get("noticeId"):
        return f"{product}:{notice_id}:{event_type}"[:255]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def webhook_event_store(*, payload: dict, raw: bytes) -> tuple[WebhookEvent, bool]:
    """Store an event once; ``created`` is False for a duplicate."""
    key = _event_key(payload, raw)
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                key=key,
                notice_id=str(payload.get("noticeId") or "")[:255],
                product_id=_as_int(payload.get("productId")),
                event_type=_as_int(payload.get("eventType")),
                sid=str(inner.get("sid") or payload.get("sid") or "")[:128],
                payload=payload,
            )
    except IntegrityError:
        return WebhookEvent.objects.get(key=key), False
    return event, True


def webhook_event_process(*, event_id: int) -> str:
    """Apply one stored event. Claimed with a conditional update: processed at most once."""
    now = timezone.now()
    if not WebhookEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(processed_at=now):
        return "already processed"
    event = WebhookEvent.objects.get(pk=event_id)
    try:
        if event.product_id == PRODUCT_CLOUD_RECORDING:
            result = _apply_recording_event(event)
        elif event.product_id == PRODUCT_RTC:
            result = _apply_channel_event(event)
        else:
            result = "ignored: unknown product"
    except Exception:
        WebhookEvent.objects.filter(pk=event_id).update(processed_at=None)
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
        except Exception:  # noqa: BLE001 - one bad event must not stop the sweep; it stays pending
            logger.exception("Agora event %s could not be applied; it stays pending", event_id)
    return done


def _event_time(payload: dict, inner: dict) -> datetime:
    for value, scale in ((inner.get("sendts"), 1000), (inner.get("ts"), 1), (payload.get("notifyMs"), 1000)):
        number = _as_int(value, INT64_MAX)
        if number:
            try:
                return datetime.fromtimestamp(number / scale, tz=UTC)
            except (OverflowError, OSError, ValueError):
                continue
    return timezone.now()


def _recording_for_event(inner: dict) -> Recording | None:
    sid = str(inner.get("sid") or "")
    qs = Recording.objects.select_related("session").exclude(status=Status.EXPIRED)
    if sid and (recording := qs.filter(sid=sid).first()):
        return recording
    # An event can overtake Agora's answer to start (no sid stored yet): the channel and the
    # recorder's uid identify the recording too.
    uid = _as_int(inner.get("uid"), INT64_MAX)
    cname = inner.get("cname")
    if uid and cname:
        recording = qs.filter(session__channel_name=cname, recorder_uid=uid).order_by("-created_at").first()
        if recording and sid and not recording.sid:
            Recording.objects.filter(pk=recording.pk, sid="").update(sid=sid)
        return recording
    return None


def _apply_recording_event(event: WebhookEvent) -> str:
    payload = event.payload
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    details = inner.get("details") if isinstance(inner.get("details"), dict) else {}
    recording = _recording_for_event(inner)
    if recording is None:
        return "ignored: unknown recording"
    at = _event_time(payload, inner)
    event_type = event.event_type
    file_list = details.get("fileList") or []
    if isinstance(file_list, str):
        file_list = [{"fileName": file_list}]
    file_list = [f for f in file_list if isinstance(f, dict)]

    if event_type in (EVENT_UPLOADED, EVENT_BACKED_UP, EVENT_FILE_INFOS):
        if recording.status in (Status.FAILED, Status.EXPIRED):
            return f"ignored: recording is {recording.status}"
        with transaction.atomic():
            _register_files(recording=recording, file_list=file_list)
            if event_type != EVENT_FILE_INFOS:
                # May come before Agora's answer to stop: noted now, applied when it stops.
                Recording.objects.filter(pk=recording.pk).update(upload_completed=True)
        return "available" if _finish_if_ready(recording_id=recording.pk) else "files noted"

    if event_type in (EVENT_SESSION_EXIT, EVENT_RECORDER_LEAVE):
        code = _as_int(details.get("exitStatus") if event_type == EVENT_SESSION_EXIT else details.get("leaveCode"))
        if event_type == EVENT_SESSION_EXIT and code not in (None, 0):
            reason = f"The Agora recorder exited with status {code}."
            return (
                "failed"
                if _fail(recording_id=recording.pk, reason=reason, allowed=Recording.ACTIVE_STATUSES, at=at)
                else "ignored"
            )
        with transaction.atomic():
            moved = Recording.objects.filter(pk=recording.pk, status=Status.RECORDING).update(
                status=Status.PROCESSING,
                stopped_at=at,
                duration_seconds=_duration(recording.started_at, at),
                updated_at=timezone.now(),
            )
            if moved:
                _log(
                    session_id=recording.session_id,
                    action=Action.RECORDING_STOPPED,
                    text="The Agora recorder left the channel.",
                    at=at,
                )
        _finish_if_ready(recording_id=recording.pk)
        return "stopped" if moved else "ignored: not recording"

    if event_type == EVENT_ERROR:
        code = details.get("errorCode")
        message = details.get("errorMsg") or details.get("msgName") or "cloud recording error"
        reason = f"Agora error {code}: {message}" if code is not None else f"Agora error: {message}"
        level = details.get("errorLevel")
        if isinstance(level, int) and not isinstance(level, bool) and level < SERIOUS_ERROR_LEVEL:
            return f"noted: minor error (level {level}): {reason}"
        if recording.status == Status.PROCESSING:
            # Stopped, files on their way: Agora retries the upload and backs the files up; the
            # uploaded/backed-up events or the upload sweep decide, not this error.
            return f"noted: error while uploading: {reason}"
        failed = _fail(recording_id=recording.pk, reason=reason, allowed=Recording.ACTIVE_STATUSES, at=at)
        return "failed" if failed else f"ignored: recording is {recording.status}"

    if event_type == EVENT_RECORDER_STARTED:
        return "noted"
    return f"ignored: event type {event_type}"


def _apply_channel_event(event: WebhookEvent) -> str:
    payload = event.payload
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    if event.event_type in RTC_JOIN_EVENTS:
        action = Action.ENTERED
    elif event.event_type in RTC_LEAVE_EVENTS:
        action = Action.LEFT
    else:
        return f"ignored: event type {event.event_type}"
    session = Session.objects.select_related("coach", "customer").filter(channel_name=inner.get("channelName")).first()
    if session is None:
        return "ignored: unknown channel"
    uid = _as_int(inner.get("uid"), INT64_MAX)
    if uid == session.coach_uid:
        actor = session.coach
    elif uid == session.customer_uid:
        actor = session.customer
    else:
        return "ignored: not a participant (the recorder or a stranger)"
    with transaction.atomic():
        # Locked like session_log_add: no log slips in after a concurrent completion.
        status = Session.objects.select_for_update().filter(pk=session.pk).values_list("status", flat=True).get()
        if status != Session.Status.IN_PROGRESS and status != Session.Status.END_REQUEST_PENDING:
            return f"ignored: session is {status}"
        text = "From Agora channel events."
        if action == Action.LEFT and inner.get("reason") is not None:
            text = f"From Agora channel events (reason {inner.get('reason')})."
        _log(session_id=session.pk, action=action, actor=actor, text=text, at=_event_time(payload, inner))
    return f"logged {action}"


def webhook_signature_valid(*, raw: bytes, signature: str | None) -> bool:
    import hmac

    secret = settings.AGORA_WEBHOOK_SECRET
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    # Bytes, not str: compare_digest refuses non-ASCII strings, and the header is anyone's input.
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8", "replace"))


# --- retention -----------------------------------------------------------------------------------


@dataclass
class ExpiryResult:
    due: int = 0
    expired: int = 0
    failed: int = 0
    skipped: int = 0
    failed_ids: list[str] = field(default_factory=list)


def recordings_due_for_expiry(*, now: datetime | None = None) -> QuerySet[Recording]:
    now = _now(now)
    cutoff = now - timedelta(days=settings.RECORDING_RETENTION_DAYS)
    return Recording.objects.filter(
        status__in=Recording.EXPIRABLE_STATUSES,
        session__ended_at__isnull=False,
        session__ended_at__lte=cutoff,
    ).filter(Q(retention_extended_until__isnull=True) | Q(retention_extended_until__lte=now))


def _delete_files(*, storage: Storage, names: list[str], prefix: str) -> None:
    for name in names:
        storage.delete(name)
    if prefix:
        # Agora also wrote the HLS playlist and segments there: nothing of it may outlive the window.
        try:
            _, leftovers = storage.listdir(prefix)
        except (FileNotFoundError, NotADirectoryError):
            return
        for leftover in leftovers:
            storage.delete(f"{prefix}/{leftover}")


def _expire_claimed(*, token: str, now: datetime) -> tuple[int, list]:
    """Delete the files of the rows this run claimed and mark them EXPIRED; a row whose files
    could not all be deleted is released for the next run."""
    storage = recordings_storage()
    rows = list(Recording.objects.filter(expiry_claim=token).values_list("pk", "file_prefix"))
    files: dict = {}
    for recording_id, name in RecordingFile.objects.filter(
        recording_id__in=[pk for pk, _ in rows], deleted_at__isnull=True
    ).values_list("recording_id", "name"):
        files.setdefault(recording_id, []).append(name)
    done, failed = [], []
    for recording_id, prefix in rows:
        try:
            _delete_files(storage=storage, names=files.get(recording_id, []), prefix=prefix)
        except Exception:
            logger.warning("could not delete the files of recording %s; retried next run", recording_id, exc_info=True)
            failed.append(recording_id)
        else:
            done.append(recording_id)
    with transaction.atomic():
        RecordingFile.objects.filter(recording_id__in=done, deleted_at__isnull=True).update(deleted_at=now)
        expired = Recording.objects.filter(pk__in=done, expiry_claim=token).update(
            status=Status.EXPIRED, expired_at=now, expiry_claim="", expiry_claimed_at=None, updated_at=now
        )
        recordings_expired_emit(ids=done, now=now)
        Recording.objects.filter(pk__in=failed, expiry_claim=token).update(expiry_claim="", expiry_claimed_at=None)
    return expired, failed


def _claim(qs: QuerySet[Recording], *, token: str, now: datetime) -> int:
    lapsed = now - Recording.EXPIRY_LEASE
    return qs.filter(Q(expiry_claim="") | Q(expiry_claimed_at__lt=lapsed)).update(
        expiry_claim=token, expiry_claimed_at=now
    )


def recordings_expire_due(*, now: datetime | None = None, dry_run: bool = False, batch_size: int = 500) -> ExpiryResult:
    """Delete the files of recordings past ``available_until`` and mark them ``EXPIRED``.

    Walks the due rows in primary-key ranges of ``batch_size`` (flat memory whatever the
    backlog), claims each batch with one conditional update (two workers never process the same
    row), and goes on past a recording whose files fail to delete: it stays due for the next run.
    """
    now = _now(now)
    due = recordings_due_for_expiry(now=now)
    result = ExpiryResult()
    if dry_run:
        result.due = due.count()
        return result
    last_pk = None
    while True:
        batch = due.order_by("pk")
        if last_pk is not None:
            batch = batch.filter(pk__gt=last_pk)
        ids = list(batch.values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        last_pk = ids[-1]
        result.due += len(ids)
        token = uuid.uuid4().hex
        claimed = _claim(due.filter(pk__in=ids), token=token, now=now)
        result.skipped += len(ids) - claimed
        if not claimed:
            continue
        expired, failed = _expire_claimed(token=token, now=now)
        result.expired += expired
        result.failed += len(failed)
        result.failed_ids += [str(pk) for pk in failed]
    return result


def recording_expire(*, recording: Recording, now: datetime | None = None) -> Recording:
    """Expire one recording now, whatever its window (the admin's "expire now")."""
    now = _now(now)
    if recording.status == Status.EXPIRED:
        return recording
    if recording.status in Recording.ACTIVE_STATUSES:
        raise InvalidRecordingState("Stop the recording before expiring it.")
    token = uuid.uuid4().hex
    if not _claim(
        Recording.objects.filter(pk=recording.pk, status__in=Recording.EXPIRABLE_STATUSES), token=token, now=now
    ):
        raise InvalidRecordingState("Another run is expiring this recording right now.")
    _, failed = _expire_claimed(token=token, now=now)
    if failed:
        raise RecordingUnavailable("The recording's files could not be deleted; try again later.")
    recording.refresh_from_db()
    return recording


def recording_extend_retention(*, recording: Recording, days: int = 30, now: datetime | None = None) -> Recording:
    now = _now(now)
    if days <= 0:
        raise ValidationFailed(fields={"days": ["Extend by at least one day."]})
    if recording.status == Status.EXPIRED:
        raise InvalidRecordingState("This recording has expired; its files are gone.")
    base = max(recording.available_until or now, now)
    until = base + timedelta(days=days)
    Recording.objects.filter(pk=recording.pk).exclude(status=Status.EXPIRED).update(
        retention_extended_until=until, updated_at=now
    )
    recording.refresh_from_db()
    return recording


# --- imports -------------------------------------------------------------------------------------


def mp4_probe(fileobj: IO[bytes]) -> int | None:
    """Check ``fileobj`` is an MP4 video: well-formed boxes (``config/mp4.py``), an MP4 video brand
    (not a still-image, audio-only or QuickTime one) and a ``moov`` with an ``mvhd`` and a video
    track. Returns the duration in seconds (None when the file does not say). Raises
    ValidationFailed for anything else, damaged files included: never a parse error."""
    try:
        info = mp4.inspect(fileobj)
    except mp4.Mp4Error as exc:
        raise ValidationFailed(fields={"file": [f"Not a usable MP4 video. {exc}"]}) from None
    # QuickTime stays refused: recordings are served as video/mp4.
    if info.major_brand in (*mp4.NOT_VIDEO_BRANDS, mp4.QUICKTIME_BRAND) or not info.brands & mp4.VIDEO_BRANDS:
        brand = mp4.kind_name(info.major_brand)
        raise ValidationFailed(
            fields={
                "file": [f"This is not an MP4 video: its brand is '{brand}' (a still image, audio or other format)."]
            }
        )
    if not info.has_moov:
        raise ValidationFailed(fields={"file": ["This MP4 file has no 'moov' box (incomplete, or not a video)."]})
    if not info.has_video:
        raise ValidationFailed(fields={"file": ["This MP4 has no video track (audio only, or not a video)."]})
    return info.duration_seconds


def recording_import(*, session: Session, fileobj: IO[bytes], by: User | None = None) -> Recording:
    """Attach an MP4 by hand (``import_recording``): stored in the recordings storage, AVAILABLE."""
    if session.status == Session.Status.CANCELLED:
        raise InvalidState("A cancelled session has nothing to record.")
    duration = mp4_probe(fileobj)
    recording_id = uuid.uuid4()
    prefix = f"recordings/{session.pk.hex}/{recording_id.hex}"
    name = recordings_storage().save(f"{prefix}/imported.mp4", File(fileobj, name="imported.mp4"))
    size = recordings_storage().size(name)
    now = timezone.now()
    with transaction.atomic():
        recording = Recording.objects.create(
            id=recording_id,
            session=session,
            status=Status.AVAILABLE,
            source=Recording.Source.IMPORT,
            file_prefix=prefix,
            upload_completed=True,
            started_by=by,
            started_at=session.started_at or now,
            stopped_at=session.ended_at or now,
            duration_seconds=duration,
            size_bytes=size,
        )
        RecordingFile.objects.create(recording=recording, name=name, size_bytes=size, duration_seconds=duration)
        recording_event_emit(type="recording.available", recording_id=recording.pk)
    return recording
