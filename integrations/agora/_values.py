"""Reading Agora's untrusted values: the numbers and file lists its answers and notifications carry.

Shared by the Cloud Recording client (the stop answer's ``fileList``) and the notification parser
(the "uploaded" events' ``details.fileList``): both lists have one format, read here once.
"""

from __future__ import annotations

from dataclasses import dataclass

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def as_int(value: object, maximum: int = INT32_MAX) -> int | None:
    """A non-negative whole number that fits ``maximum`` (its column), or None.

    Agora's fields are untrusted input: a bool, an absurd string or a number past the column must
    not reach the database (PostgreSQL would refuse it with a 500)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > 24:
        return None
    try:
        number = int(value)
    except (ValueError, OverflowError):
        return None
    return number if 0 <= number <= maximum else None


def as_text(value: object) -> str:
    """A string field (a channel name, a sid): numbers are taken as their digits, anything else is ''."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)


@dataclass(frozen=True)
class RecordedFile:
    """One entry of a Cloud Recording file list. ``name`` is as Agora wrote it (maybe without our
    prefix); sizes and durations are None when absent or not believable."""

    name: str
    size_bytes: int | None = None
    duration_seconds: int | None = None


def recorded_file(entry: dict) -> RecordedFile:
    name = str(entry.get("fileName") or entry.get("filename") or "").strip()
    size = as_int(entry.get("size") or entry.get("fileSize") or entry.get("size_bytes"), INT64_MAX)
    duration = as_int(entry.get("duration_seconds") or entry.get("duration"))
    if duration is None and (ms := as_int(entry.get("durationMs"), INT64_MAX)) is not None:
        duration = ms // 1000 if ms // 1000 <= INT32_MAX else None
    return RecordedFile(name=name, size_bytes=size, duration_seconds=duration)


def recorded_files(value: object) -> tuple[RecordedFile, ...]:
    """A ``fileList``: a list of entries, or (``fileListMode`` "string") the one file's name."""
    if isinstance(value, str):
        return (recorded_file({"fileName": value}),) if value else ()
    if not isinstance(value, list):  # decoded JSON: anything else is not a list of files
        return ()
    return tuple(recorded_file(entry) for entry in value if isinstance(entry, dict))
