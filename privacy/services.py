"""Writes of the personal-data domain: exports (build, link, expiry) and erasure (SPEC 10).

The apps contribute the content through :mod:`privacy.registry`; this module runs the parts and
steps, keeps the audit, and owns the two periodic jobs (export expiry, deletion retries).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import zipfile
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config.api.errors import ValidationFailed
from config.storage import is_s3, presigned_url, read_token, sign_token
from config.tasks import enqueue_on_commit
from privacy import registry
from privacy.errors import BadExportToken, ExportThrottled
from privacy.models import DataExport, ErasureRecord, PendingDeletion

logger = logging.getLogger(__name__)

Status = DataExport.Status
EXPORT_STORAGE = "default"
EXPORT_URL_SALT = "privacy.export.download"
# A PENDING export whose task was lost is built by the sweep after this long.
STUCK_AFTER = timedelta(minutes=5)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _storage(alias: str) -> Storage:
    return storages[alias]


# --- exports -------------------------------------------------------------------------------------


def data_export_request(*, user: User, now: datetime | None = None) -> DataExport:
    """Ask for an export: one per ``EXPORT_INTERVAL_HOURS`` (a failed one does not count).

    Decided under the user's row lock, so two requests at once make one export and one 429."""
    now = _now(now)
    interval = timedelta(hours=settings.EXPORT_INTERVAL_HOURS)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
        last = (
            DataExport.objects.filter(user=user, created_at__gt=now - interval)
            .exclude(status=Status.FAILED)
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            retry_after = int((last.created_at + interval - now).total_seconds()) + 1
            raise ExportThrottled(retry_after=retry_after)
        export = DataExport.objects.create(user=user, created_at=now)
        enqueue_on_commit("privacy.tasks.build_export", str(export.pk))
    return export


def _claim_build(*, export_id, now: datetime) -> bool:
    lapsed = now - DataExport.BUILD_LEASE
    return bool(
        DataExport.objects.filter(pk=export_id, status=Status.PENDING)
        .filter(Q(build_claimed_at__isnull=True) | Q(build_claimed_at__lt=lapsed))
        .update(build_claimed_at=now)
    )


def _write_zip(*, user: User, now: datetime, fileobj) -> None:
    ctx = registry.ExportContext(user=user, now=now)
    parts = registry.export_parts()
    names = list(registry.EXPORT_FILES) + sorted(set(parts) - set(registry.EXPORT_FILES))
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            build = parts.get(name)
            data = build(ctx) if build else []
            archive.writestr(name, json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for alias, stored_name, arcname in ctx.media:
            try:
                with _storage(alias).open(stored_name, "rb") as source, archive.open(arcname, "w") as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
            except FileNotFoundError:
                logger.warning("export %s: a media file is gone from the storage; left out", user.pk)


def data_export_build(*, export_id, now: datetime | None = None) -> DataExport | None:
    """Build the ZIP of a PENDING export into the default storage (safe to run twice: claimed)."""
    now = _now(now)
    if not _claim_build(export_id=export_id, now=now):
        return DataExport.objects.filter(pk=export_id).first()
    export = DataExport.objects.select_related("user").get(pk=export_id)
    name = f"exports/{export.user_id.hex}/{export.pk.hex}.zip"
    try:
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            _write_zip(user=export.user, now=now, fileobj=spool)
            size = spool.tell()
            spool.seek(0)
            content = File(spool, name="export.zip")
            content.content_type = "application/zip"  # django-storages sends it as the object's type
            stored = _storage(EXPORT_STORAGE).save(name, content)
    except Exception:
        logger.exception("data export %s failed", export.pk)
        DataExport.objects.filter(pk=export.pk, status=Status.PENDING).update(
            status=Status.FAILED, failure_reason="The export could not be built; ask for a new one."
        )
        export.refresh_from_db()
        return export
    ready_at = timezone.now()
    moved = DataExport.objects.filter(pk=export.pk, status=Status.PENDING).update(
        status=Status.READY,
        file_name=stored,
        size_bytes=size,
        ready_at=ready_at,
        expires_at=ready_at + timedelta(hours=settings.EXPORT_RETENTION_HOURS),
    )
    if not moved:  # erased (or expired by staff) while building: the file must not stay behind
        _storage(EXPORT_STORAGE).delete(stored)
    export.refresh_from_db()
    return export


def data_export_link(*, export: DataExport, now: datetime | None = None) -> tuple[str, datetime]:
    """A time-limited link to a READY export: presigned on S3, signed by this server otherwise."""
    ttl = settings.EXPORT_URL_TTL_SECONDS
    now = _now(now)
    expires = min(now + timedelta(seconds=ttl), export.expires_at or now)
    seconds = max(1, int((expires - now).total_seconds()))
    storage = _storage(EXPORT_STORAGE)
    if is_s3(storage):
        parameters = {
            "ResponseContentType": "application/zip",
            "ResponseContentDisposition": 'attachment; filename="export.zip"',
        }
        return presigned_url(storage, export.file_name, ttl=seconds, parameters=parameters), expires
    token = sign_token({"x": str(export.pk), "exp": int(time.time()) + seconds}, salt=EXPORT_URL_SALT)
    return reverse("privacy-export-download", kwargs={"token": token}), expires


def data_export_for_token(*, token: str) -> DataExport:
    try:
        payload = read_token(token, salt=EXPORT_URL_SALT)
    except signing.BadSignature:
        raise BadExportToken("This link is not valid.") from None
    if not isinstance(payload, dict) or int(payload.get("exp", 0)) < time.time():
        raise BadExportToken("This link has expired.")
    export = DataExport.objects.filter(pk=payload.get("x"), status=Status.READY).first()
    if export is None or (export.expires_at and export.expires_at <= timezone.now()):
        raise BadExportToken("This export is no longer available.")
    return export


def data_export_open(*, export: DataExport):
    return _storage(EXPORT_STORAGE).open(export.file_name, "rb")


def _delete_export_file(export: DataExport, *, now: datetime) -> bool:
    if export.file_name:
        try:
            _storage(EXPORT_STORAGE).delete(export.file_name)
        except Exception:
            logger.warning("could not delete export %s; retried next run", export.pk, exc_info=True)
            return False
    DataExport.objects.filter(pk=export.pk).update(status=Status.EXPIRED, deleted_at=now)
    return True


def data_exports_sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The periodic job: delete exports past ``expires_at`` (-> EXPIRED) and build the PENDING
    ones whose task never ran. A storage that fails leaves the export for the next run."""
    now = _now(now)
    expired = 0
    due = DataExport.objects.filter(status=Status.READY, expires_at__lte=now).order_by("expires_at")[:limit]
    for export in due:
        expired += _delete_export_file(export, now=now)
    built = 0
    stuck = DataExport.objects.filter(status=Status.PENDING, created_at__lte=now - STUCK_AFTER).order_by("created_at")
    for export_id in stuck.values_list("pk", flat=True)[:limit]:
        result = data_export_build(export_id=export_id)
        built += bool(result and result.status == Status.READY)
    return {"expired": expired, "built": built}


# --- deletions that may have to wait ---------------------------------------------------------------


def pending_deletions_retry(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Retry what erasures could not delete, with a growing pause between tries (at most a day)."""
    now = _now(now)
    done = failed = 0
    due = PendingDeletion.objects.filter(done_at__isnull=True, next_attempt_at__lte=now).order_by("id")[:limit]
    for item in due:
        try:
            if item.kind == PendingDeletion.KIND_FILE:
                _storage(item.storage_alias).delete(item.name)
            else:
                handler = registry.retry_handler(item.kind)
                if handler is None:
                    raise LookupError(f"no retry handler for {item.kind!r}")
                handler(item.name)
        except Exception as exc:
            failed += 1
            pause = min(timedelta(hours=24), timedelta(minutes=10) * 2**item.attempts)
            PendingDeletion.objects.filter(pk=item.pk).update(
                attempts=item.attempts + 1, next_attempt_at=now + pause, last_error=f"{type(exc).__name__}: {exc}"[:500]
            )
            continue
        done += 1
        PendingDeletion.objects.filter(pk=item.pk).update(done_at=now, attempts=item.attempts + 1)
    return {"done": done, "failed": failed}


# --- erasure -------------------------------------------------------------------------------------


def user_erase(
    *, user: User, actor: User | None, source: str = ErasureRecord.Source.SELF, now: datetime | None = None
) -> ErasureRecord:
    """Erase a person (SPEC 10): every registered step runs in order, each one idempotent, so a
    second erasure (or one resumed after a crash) only does what is left. The record keeps who
    asked, when, and each step's counts; storage deletions that failed wait in PendingDeletion.

    A step that fails does not stop the others (the person is locked out first, whatever
    happens next): the record then stays without ``completed_at`` and the retry job runs the
    erasure again until every step went through."""
    now = _now(now)
    record = ErasureRecord.objects.create(
        user=user, user_ref=user.pk, requested_by=actor, source=source, started_at=now
    )
    return _run_steps(record=record, user=user, now=now)


def account_erase_self(*, user: User, password: str) -> ErasureRecord:
    """``DELETE me``: the person confirms with their password (400 when wrong, nothing erased)."""
    if not user.check_password(password):
        raise ValidationFailed(fields={"password": ["The password is wrong."]})
    return user_erase(user=user, actor=user, source=ErasureRecord.Source.SELF)


def _run_steps(*, record: ErasureRecord, user: User, now: datetime) -> ErasureRecord:
    ctx = registry.ErasureContext(user=user, actor=record.requested_by, now=now, record=record)
    summary: dict[str, dict] = dict(record.summary or {})
    failed = []
    for step in registry.erasure_steps():
        try:
            result = step.run(ctx) or {}
        except Exception as exc:
            logger.exception("erasure %s: step %s failed; the retry job runs it again", record.pk, step.name)
            failed.append(step.name)
            summary[step.name] = {"error": type(exc).__name__}
        else:
            previous = summary.get(step.name) or {}
            # Counts of a resumed run add to the first run's (an error entry is replaced).
            summary[step.name] = {
                key: value + (previous.get(key, 0) if "error" not in previous else 0) for key, value in result.items()
            }
        user.refresh_from_db()
    summary["pending_deletions"] = {"count": record.pending_deletions.count()}
    ErasureRecord.objects.filter(pk=record.pk).update(summary=summary, completed_at=None if failed else timezone.now())
    record.refresh_from_db()
    return record


def erasures_resume(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Run again the erasures a failed step left incomplete (part of the retry job)."""
    now = _now(now)
    resumed = 0
    stale = ErasureRecord.objects.filter(
        completed_at__isnull=True, started_at__lte=now - older_than, user__isnull=False
    ).select_related("user", "requested_by")
    for record in stale.order_by("started_at")[:100]:
        _run_steps(record=record, user=record.user, now=now)
        resumed += 1
    return resumed


def data_exports_erase(ctx: registry.ErasureContext) -> dict:
    exports = DataExport.objects.filter(user=ctx.user).exclude(status=Status.EXPIRED, deleted_at__isnull=False)
    count = 0
    for export in exports:
        ctx.delete_file(storage_alias=EXPORT_STORAGE, name=export.file_name)
        DataExport.objects.filter(pk=export.pk).update(status=Status.EXPIRED, deleted_at=ctx.now)
        count += 1
    return {"exports_deleted": count}
