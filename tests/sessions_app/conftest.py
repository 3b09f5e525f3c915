"""Fixtures of the session tests (their helpers are in ``tests/helpers/sessions.py``)."""

from __future__ import annotations

import pytest

from tests.helpers.sessions import book_open_session


@pytest.fixture
def open_session(coach, customer):
    return book_open_session(coach=coach, customer=customer)
