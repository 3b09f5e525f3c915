"""Fixtures of the chat tests (their helpers are in ``tests/helpers/chat.py``)."""

from __future__ import annotations

import pytest

from sessions_app.models import Session
from tests.helpers.sessions import session_made


@pytest.fixture
def live_session(coach, customer) -> Session:
    """An IN_PROGRESS session between ``coach`` and ``customer``."""
    return session_made(coach=coach, customer=customer)
