"""Stream links: a time-limited URL to a recording's MP4, and the file behind a local signed URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.urls import reverse

from config import storage as shared_storage
from config.api.errors import PermissionDeniedError
from recordings.errors import RecordingExpired, RecordingNotReady
from recordings.models import Recording, RecordingFile
from recordings.services._common import Status, recordings_storage, resolve_now

FILE_URL_SALT = "recordings.file-url"
MP4_CONTENT_TYPE = "video/mp4"


@dataclass
class StreamLink:
    url: str
    expires_at: datetime
    content_type: str = MP4_CONTENT_TYPE


def recording_stream_link(*, recording: Recording, now: datetime | None = None) -> StreamLink:
    """A URL to the recording's MP4 valid ``RECORDING_URL_TTL_SECONDS``: presigned on S3, a signed
    project URL on the local file system. Relative URLs are made absolute by the API."""
    now = resolve_now(now)
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
    if shared_storage.is_s3(storage):
        url = shared_storage.presigned_url(
            storage,
            file.name,
            ttl=ttl,
            parameters={"ResponseContentType": MP4_CONTENT_TYPE, "ResponseContentDisposition": "inline"},
        )
    else:
        token = shared_storage.sign_token({"f": file.pk}, salt=FILE_URL_SALT)
        url = reverse("recording-file", kwargs={"token": token})
    return StreamLink(url=url, expires_at=expires_at)


def recording_file_for_token(*, token: str) -> RecordingFile:
    """The file behind a signed local URL; refused once the URL or the recording expired."""
    try:
        data = shared_storage.read_token(token, salt=FILE_URL_SALT, max_age=int(settings.RECORDING_URL_TTL_SECONDS))
    except signing.SignatureExpired:
        raise PermissionDeniedError("This link has expired; ask for a new one.")
    except signing.BadSignature:
        raise PermissionDeniedError("This link is not valid.")
    file = RecordingFile.objects.select_related("recording", "recording__session").filter(pk=data.get("f")).first()
    if file is None or file.deleted_at is not None or file.recording.status == Status.EXPIRED:
        raise RecordingExpired()
    return file
