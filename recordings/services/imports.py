"""Attaching an MP4 by hand (``manage.py import_recording``)."""

from __future__ import annotations

import uuid
from typing import IO

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config import mp4
from config.api.errors import ValidationFailed
from recordings.events import recording_event_emit
from recordings.models import Recording, RecordingFile
from recordings.services._common import Status, recordings_storage
from sessions_app.errors import InvalidState
from sessions_app.models import Session


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


def recording_import(*, session: Session, fileobj: IO[bytes], actor: User | None = None) -> Recording:
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
            started_by=actor,
            started_at=session.started_at or now,
            stopped_at=session.ended_at or now,
            duration_seconds=duration,
            size_bytes=size,
        )
        RecordingFile.objects.create(recording=recording, name=name, size_bytes=size, duration_seconds=duration)
        recording_event_emit(type="recording.available", recording_id=recording.pk)
    return recording
