"""The demo data of `make run`: made through the services, and a second run adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import CoachProfile, User
from sessions_app.models import Session, SessionLog

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_adds_nothing_the_second_time(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the ratings' moderation runs after commit
        call_command("seed_demo", stdout=StringIO())
    counts = (User.objects.count(), Session.objects.count(), SessionLog.objects.count())
    CoachProfile.objects.filter(user__email="ben.coach@example.com").update(bio="Changed by staff.")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert CoachProfile.objects.get(user__email="ben.coach@example.com").bio == "Changed by staff."
    assert (User.objects.count(), Session.objects.count(), SessionLog.objects.count()) == counts
    assert "anna.coach@example.com" in out.getvalue()
    statuses = set(Session.objects.values_list("status", flat=True))
    assert {"PENDING", "COMPLETED", "CANCELLED"} <= statuses
    from chat.models import Message
    from ratings.models import Rating

    assert Message.objects.count() == 3
    assert sorted(Rating.objects.values_list("status", flat=True)) == ["APPROVED", "FLAGGED"]
