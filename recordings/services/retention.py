"""Retention: deleting the files of recordings past ``available_until``, one by one or in batches,
and staff extending a recording's window."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Q, QuerySet

from config.api.errors import ValidationFailed
from recordings.errors import RecordingUnavailable
from recordings.events import recordings_expired_emit
from recordings.models import Recording, RecordingFile
from recordings.services._common import Status, recordings_storage, resolve_now
from sessions_app.errors import InvalidState

logger = logging.getLogger(__name__)


@dataclass
class ExpiryResult:
    due: int = 0
    expired: int = 0
    failed: int = 0
    skipped: int = 0
    failed_ids: list[str] = field(default_factory=list)


def recordings_due_for_expiry(*, now: datetime | None = None) -> QuerySet[Recording]:
    now = resolve_now(now)
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
    now = resolve_now(now)
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
    now = resolve_now(now)
    if recording.status == Status.EXPIRED:
        return recording
    if recording.status in Recording.ACTIVE_STATUSES:
        raise InvalidState("Stop the recording before expiring it.")
    token = uuid.uuid4().hex
    if not _claim(
        Recording.objects.filter(pk=recording.pk, status__in=Recording.EXPIRABLE_STATUSES), token=token, now=now
    ):
        raise InvalidState("Another run is expiring this recording right now.")
    _, failed = _expire_claimed(token=token, now=now)
    if failed:
        raise RecordingUnavailable("The recording's files could not be deleted; try again later.")
    recording.refresh_from_db()
    return recording


def recording_extend_retention(*, recording: Recording, days: int = 30, now: datetime | None = None) -> Recording:
    now = resolve_now(now)
    if days <= 0:
        raise ValidationFailed(fields={"days": ["Extend by at least one day."]})
    if recording.status == Status.EXPIRED:
        raise InvalidState("This recording has expired; its files are gone.")
    base = max(recording.available_until or now, now)
    until = base + timedelta(days=days)
    Recording.objects.filter(pk=recording.pk).exclude(status=Status.EXPIRED).update(
        retention_extended_until=until, updated_at=now
    )
    recording.refresh_from_db()
    return recording
