from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from sessions_app.models import Session
from tests.factories import SessionFactory, StaffFactory

CUSTOMER_SCORES = {"communication": 5, "knowledge": 4, "punctuality": 5, "helpfulness": 4}
COACH_SCORES = {"punctuality": 4, "engagement": 5, "preparation": 3}


def completed_session(**kwargs) -> Session:
    start = timezone.now() - timedelta(hours=2)
    return SessionFactory(
        status=Session.Status.COMPLETED,
        appointment__start=start,
        started_at=start,
        ended_at=start + timedelta(minutes=60),
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The factories hash a password per user; PBKDF2 made this suite several times slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def session(coach, customer):
    return completed_session(appointment__coach=coach, customer=customer)


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
