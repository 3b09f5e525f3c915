from __future__ import annotations

import pytest

from tests.helpers.admin import in_group


@pytest.fixture
def moderator(db):
    return in_group("moderators")


@pytest.fixture
def support(db):
    return in_group("support")
