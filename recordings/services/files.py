"""A recording's MP4 files: registered from Agora's file lists or found in the bucket, and the
upload sweep that settles ``PROCESSING`` recordings whose "uploaded" event was lost."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.agora.cloud_recording import RecordedFile
from recordings.events import recording_event_emit
from recordings.models import Recording, RecordingFile
from recordings.services._common import Status, recording_fail, recordings_storage, resolve_now

logger = logging.getLogger(__name__)


def recording_files_register(*, recording: Recording, files: Iterable[RecordedFile]) -> int:
    """Register the MP4 entries of an Agora file list (stop answer or webhook). Idempotent."""
    added = 0
    for entry in files:
        name = entry.name.strip().lstrip("/")
        if not name.lower().endswith(".mp4") or ".." in name:
            continue  # only MP4s are served; ".." could name a file outside the recording's prefix
        if "/" not in name and recording.file_prefix:
            name = f"{recording.file_prefix}/{name}"
        size, duration = entry.size_bytes, entry.duration_seconds
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


def _register_stored(recording: Recording, names: list[str]) -> None:
    recording_files_register(recording=recording, files=[RecordedFile(name=name) for name in names])


def recording_finish_if_ready(*, recording_id) -> bool:
    """PROCESSING -> AVAILABLE once Agora reported the upload and an MP4 is known."""
    recording = Recording.objects.filter(pk=recording_id).first()
    if recording is None or recording.status != Status.PROCESSING or not recording.upload_completed:
        return False
    files = list(recording.files.filter(deleted_at__isnull=True))
    if not files and (names := _stored_mp4s(recording)):
        # Agora's answers may carry no file list (a stop after an idle exit): look in the bucket.
        _register_stored(recording, names)
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
    now = resolve_now(now)
    grace = now - timedelta(minutes=settings.RECORDING_UPLOAD_GRACE_MINUTES)
    give_up_hours = int(getattr(settings, "RECORDING_UPLOAD_GIVE_UP_HOURS", 24))
    give_up = now - timedelta(hours=give_up_hours)
    due = (
        Recording.objects.select_related("session")
        .filter(status=Status.PROCESSING)
        .filter(Q(stopped_at__lte=grace) | Q(stopped_at__isnull=True, created_at__lte=grace))
        .order_by("stopped_at", "pk")
    )
    result = UploadSweepResult()
    for recording in due[:limit]:
        result.checked += 1
        names = _stored_mp4s(recording)
        if names:
            with transaction.atomic():
                _register_stored(recording, names)
                Recording.objects.filter(pk=recording.pk, status=Status.PROCESSING).update(upload_completed=True)
            if recording_finish_if_ready(recording_id=recording.pk):
                result.available += 1
            continue
        if names is not None and (recording.stopped_at or recording.created_at) <= give_up:
            reason = (
                f"Agora delivered no MP4 within {give_up_hours} hours of the stop: no uploaded event came "
                "and the recordings storage has no MP4 under the recording's prefix."
            )
            if recording_fail(recording=recording, reason=reason, allowed=(Status.PROCESSING,), now=now):
                result.failed += 1
            continue
        result.waiting += 1
    return result
