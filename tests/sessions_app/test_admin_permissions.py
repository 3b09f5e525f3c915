"""Admin actions that change data need the matching model permission: view-only staff may look, not act."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.models import CoachProfile, User
from sessions_app.models import Appointment, Session
from tests.factories import AppointmentFactory, CoachFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _staff_with(*codenames: str) -> User:
    user = UserFactory(role=User.Role.STAFF, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)  # a fresh instance: no cached permissions


@pytest.mark.parametrize(
    ("url", "action", "view", "change", "make", "unchanged"),
    [
        (
            "/admin/sessions_app/session/",
            "cancel_sessions",
            "view_session",
            "change_session",
            lambda: SessionFactory(),
            lambda obj: Session.objects.get(pk=obj.pk).status == "PENDING",
        ),
        (
            "/admin/sessions_app/appointment/",
            "delete_free_slots",
            "view_appointment",
            "delete_appointment",
            lambda: AppointmentFactory(),
            lambda obj: Appointment.objects.filter(pk=obj.pk).exists(),
        ),
        (
            "/admin/accounts/coachprofile/",
            "verify",
            "view_coachprofile",
            "change_coachprofile",
            lambda: CoachFactory(coach_profile__is_verified=False).coach_profile,
            lambda obj: not CoachProfile.objects.get(pk=obj.pk).is_verified,
        ),
    ],
    ids=["cancel-session", "delete-slot", "verify-coach"],
)
def test_view_only_staff_cannot_run_actions_that_change_data(client, url, action, view, change, make, unchanged):
    obj = make()
    client.force_login(_staff_with(view))
    # "apply" and "reason" confirm the actions that ask first (staff cancel); the others ignore them.
    confirmed = {"action": action, "_selected_action": [str(obj.pk)], "apply": "yes", "reason": "Staff decision."}
    client.post(url, confirmed)
    assert unchanged(obj)

    client.force_login(_staff_with(view, change))
    client.post(url, confirmed)
    assert not unchanged(obj)
