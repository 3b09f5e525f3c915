"""Uploads, the chat's URLs and what it stored."""

from __future__ import annotations

import os

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files() -> list[str]:
    """Every file in the local media storage, relative to its root."""
    root = default_storage.location
    found = []
    for dirpath, _dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(dirpath, f), root) for f in files]
    return sorted(found)


def messages_url(session) -> str:
    return f"/api/v1/sessions/{session.id}/messages"
