"""What recordings give an export (recordings.json) and do in an erasure (delete them: EXPIRED)."""

from __future__ import annotations

from django.db.models import Q

from privacy import registry
from recordings import services
from recordings.models import Recording

RETRY_KIND = "recording"


def export_recordings(ctx: registry.ExportContext) -> list[dict]:
    """The recordings of the person's sessions: their facts, not the video (it streams from the API
    while it is kept; a ZIP of hours of video would help nobody)."""
    user = ctx.user
    recordings = (
        Recording.objects.filter(Q(session__coach=user) | Q(session__customer=user))
        .select_related("session")
        .order_by("created_at", "id")
    )
    return [
        {
            "id": r.pk,
            "session_id": r.session_id,
            "status": r.status,
            "source": r.source,
            "started_at": r.started_at,
            "stopped_at": r.stopped_at,
            "duration_seconds": r.duration_seconds,
            "size_bytes": r.size_bytes,
            "available_until": r.available_until,
            "expired_at": r.expired_at,
        }
        for r in recordings
    ]


def _expire(recording_id: str) -> None:
    """Stop (if still running) and expire one recording; raises if that cannot be done now."""
    recording = Recording.objects.select_related("session").get(pk=recording_id)
    if recording.status == Recording.Status.EXPIRED:
        return
    if recording.status in Recording.ACTIVE_STATUSES:
        services.recording_stop(session=recording.session, actor=None)
        recording.refresh_from_db()
    services.recording_expire(recording=recording)


def erase_recordings(ctx: registry.ErasureContext) -> dict:
    """Every recording of the person's sessions is deleted (files through the storage API) and
    becomes EXPIRED; one that cannot be deleted now is retried by the privacy job."""
    user = ctx.user
    expired = deferred = 0
    todo = Recording.objects.filter(Q(session__coach=user) | Q(session__customer=user)).exclude(
        status=Recording.Status.EXPIRED
    )
    for recording_id in list(todo.values_list("pk", flat=True)):
        try:
            _expire(str(recording_id))
        except Exception as exc:
            ctx.defer(kind=RETRY_KIND, name=str(recording_id), error=f"{type(exc).__name__}: {exc}")
            deferred += 1
        else:
            expired += 1
    return {"recordings_expired": expired, "recordings_deferred": deferred}


def register() -> None:
    registry.register_export_part("recordings.json", export_recordings)
    registry.register_erasure_step("recordings", erase_recordings, order=40)
    registry.register_deletion_retry(RETRY_KIND, _expire)
