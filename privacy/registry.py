"""The seam through which each app contributes to a data export and to an erasure (SPEC 10).

Apps register in their ``AppConfig.ready`` (see ``<app>/personal_data.py``)::

    register_export_part("messages.json", build_messages)
    register_erasure_step("chat.media", erase_chat_media, order=30)

An export part takes an :class:`ExportContext` and returns JSON-serialisable data (files it
wants in the ZIP go through ``ctx.add_media``). An erasure step takes an :class:`ErasureContext`
and returns counts of what it did, which the audit record keeps; it must be idempotent (a second
erasure of the same person changes nothing) and delete files only through ``ctx.delete_file``,
which records a failed deletion for the retry job instead of losing it.

This module imports nothing of the other apps, so every app may register without an import cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from privacy.deletions import deletion_defer, file_delete_or_defer

logger = logging.getLogger(__name__)

# Every export holds these files, even when no app registered a part for one (an empty list):
# devices and notifications come from the notifications app when it is installed.
EXPORT_FILES = (
    "profile.json",
    "sessions.json",
    "messages.json",
    "ratings.json",
    "recordings.json",
    "devices.json",
    "notifications.json",
)


@dataclass
class ExportContext:
    user: Any
    now: datetime
    # (storage alias, name in the storage, name in the ZIP)
    media: list[tuple[str, str, str]] = field(default_factory=list)

    def add_media(self, *, storage_alias: str, name: str, arcname: str) -> str:
        """Put the stored file ``name`` into the ZIP at ``media/<arcname>``; returns that path."""
        path = f"media/{arcname}"
        self.media.append((storage_alias, name, path))
        return path


@dataclass
class ErasureContext:
    user: Any
    actor: Any
    now: datetime
    record: Any = None

    def delete_file(self, *, storage_alias: str, name: str) -> bool:
        """Delete a stored file now; if the storage fails, remember it for the retry job.
        Returns whether it is gone already."""
        return file_delete_or_defer(storage_alias=storage_alias, name=name, erasure=self.record)

    def defer(self, *, kind: str, name: str, error: str = "") -> None:
        """Remember work of ``kind`` (a registered retry handler) that failed now."""
        deletion_defer(kind=kind, name=name, error=error, erasure=self.record)


ExportBuilder = Callable[[ExportContext], Any]
ErasureRunner = Callable[[ErasureContext], dict]
RetryHandler = Callable[[str], None]


@dataclass(frozen=True)
class ErasureStep:
    name: str
    run: ErasureRunner
    order: int


_export_parts: dict[str, ExportBuilder] = {}
_erasure_steps: dict[str, ErasureStep] = {}
_retry_handlers: dict[str, RetryHandler] = {}


def register_export_part(filename: str, build: ExportBuilder) -> None:
    _export_parts[filename] = build


def register_erasure_step(name: str, run: ErasureRunner, *, order: int = 50) -> None:
    """``order``: lower runs first. Lock-out (10) comes before everything, anonymising the names
    (90) after the steps that still need to find the person's rows."""
    _erasure_steps[name] = ErasureStep(name=name, run=run, order=order)


def register_deletion_retry(kind: str, handler: RetryHandler) -> None:
    """``handler(name)`` retries a deferred deletion of ``kind``; raising means "try again later"."""
    _retry_handlers[kind] = handler


def export_parts() -> dict[str, ExportBuilder]:
    return dict(_export_parts)


def erasure_steps() -> list[ErasureStep]:
    return sorted(_erasure_steps.values(), key=lambda step: (step.order, step.name))


def retry_handler(kind: str) -> RetryHandler | None:
    return _retry_handlers.get(kind)
