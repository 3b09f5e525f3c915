from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import SessionFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every test creates users; PBKDF2's real cost would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_session(coach, customer, status: str = Session.Status.IN_PROGRESS) -> Session:
    now = timezone.now()
    started = status not in (Session.Status.PENDING, Session.Status.CANCELLED)
    return SessionFactory(
        appointment__coach=coach,
        appointment__start=now - timedelta(minutes=5),
        customer=customer,
        status=status,
        started_at=now - timedelta(minutes=4) if started else None,
        ended_at=now if status == Session.Status.COMPLETED else None,
        cancelled_at=now if status == Session.Status.CANCELLED else None,
    )


@pytest.fixture
def live_session(coach, customer) -> Session:
    """An IN_PROGRESS session between ``coach`` and ``customer``."""
    return make_session(coach, customer)


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
