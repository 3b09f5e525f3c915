"""Deletions an erasure makes that may have to wait: a file the storage failed to delete, or work
of a registered retry kind, is remembered as a ``PendingDeletion`` for the retry job
(``privacy.services.pending_deletions_retry``) instead of being lost."""

from __future__ import annotations

import logging

from django.core.files.storage import storages

from privacy.models import ErasureRecord, PendingDeletion

logger = logging.getLogger(__name__)


def deletion_defer(*, kind: str, name: str, error: str = "", erasure: ErasureRecord | None = None) -> PendingDeletion:
    return PendingDeletion.objects.create(
        kind=kind, storage_alias="", name=name, erasure=erasure, last_error=error[:500]
    )


def file_delete_or_defer(*, storage_alias: str, name: str, erasure: ErasureRecord | None = None) -> bool:
    if not name:
        return True
    try:
        storages[storage_alias].delete(name)
    except Exception as exc:
        logger.warning("could not delete %s from %s; the retry job will", name, storage_alias, exc_info=True)
        PendingDeletion.objects.create(
            kind=PendingDeletion.KIND_FILE,
            storage_alias=storage_alias,
            name=name,
            erasure=erasure,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        return False
    return True
