from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from sessions_app.models import Session
from tests.factories import StaffFactory
from tests.helpers.ratings import CUSTOMER_SCORES
from tests.helpers.sessions import session_made


@pytest.fixture
def session(coach, customer):
    return session_made(Session.Status.COMPLETED, coach=coach, customer=customer, minutes_ago=120)


@pytest.fixture
def customer_payload() -> dict:
    return {"overall": 5, "scores": dict(CUSTOMER_SCORES), "feedback": "Very clear and patient, I learned a lot."}


@pytest.fixture
def moderator(db):
    """Staff, not a superuser, in the "moderators" group the data migration created."""
    user = StaffFactory(is_superuser=False)
    user.groups.add(Group.objects.get(name="moderators"))
    return user


@pytest.fixture
def staff_without_permission(db):
    """Staff who may look at ratings (view permission) but is not a moderator."""
    from django.contrib.auth.models import Permission

    user = StaffFactory(is_superuser=False)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="ratings", codename="view_rating"),
        Permission.objects.get(content_type__app_label="ratings", codename="change_rating"),
    )
    return user
