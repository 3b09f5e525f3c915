from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import CoachProfile
from ratings import services
from ratings.models import BlocklistWord, Rating
from ratings.tasks import moderate_backlog, moderate_rating
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def submit(api, user, session, payload, capture):
    with capture(execute=True):
        response = api(user).post(f"/api/v1/sessions/{session.pk}/rating", payload, format="json")
    assert response.status_code == 201, response.json()
    return Rating.objects.get(pk=response.json()["id"])


def test_clean_rating_is_approved_after_commit_and_counts_for_the_coach(
    api, customer, coach, session, customer_payload, django_capture_on_commit_callbacks
):
    rating = submit(api, customer, session, customer_payload, django_capture_on_commit_callbacks)

    assert rating.status == Rating.Status.APPROVED
    assert rating.flag_reasons == []
    assert rating.auto_moderated_at is not None
    profile = CoachProfile.objects.get(user=coach)
    assert profile.rating_count == 1
    assert profile.rating_average == Decimal("5.00")
    assert profile.rating_criteria == {"communication": 5.0, "knowledge": 4.0, "punctuality": 5.0, "helpfulness": 4.0}
    assert api(customer).get(f"/api/v1/sessions/{session.pk}/rating").json()["status"] == "APPROVED"


def test_rating_with_contact_details_is_flagged_with_reasons_and_not_counted(
    api, customer, coach, session, customer_payload, django_capture_on_commit_callbacks
):
    payload = {**customer_payload, "feedback": "Great! Book me cheaper: maria at gmail dot com or 0176 123 4567"}
    rating = submit(api, customer, session, payload, django_capture_on_commit_callbacks)

    assert rating.status == Rating.Status.FLAGGED
    assert rating.flag_reasons == ["email", "phone"]
    assert CoachProfile.objects.get(user=coach).rating_count == 0


def test_blocklisted_word_flags_the_rating(
    api, customer, session, customer_payload, django_capture_on_commit_callbacks
):
    BlocklistWord.objects.create(word="Scam")
    payload = {**customer_payload, "feedback": "Honestly a scam, nothing learned."}
    rating = submit(api, customer, session, payload, django_capture_on_commit_callbacks)

    assert (rating.status, rating.flag_reasons) == (Rating.Status.FLAGGED, ["blocklist:scam"])


def test_without_auto_approve_a_clean_rating_stays_pending_for_staff(
    api, customer, session, customer_payload, django_capture_on_commit_callbacks, settings
):
    settings.RATINGS_AUTO_APPROVE = False
    rating = submit(api, customer, session, customer_payload, django_capture_on_commit_callbacks)

    assert rating.status == Rating.Status.PENDING
    assert rating.auto_moderated_at is not None
    # Neither the task again nor the backlog job touch it: it waits for a human.
    assert moderate_rating(str(rating.pk)) is None
    assert moderate_backlog() == {"approved": 0, "flagged": 0, "pending": 0}


def test_task_twice_decides_once_and_never_overrides_staff(coach, staff):
    rating = RatingFactory(session__appointment__coach=coach)
    assert moderate_rating(str(rating.pk)) == "APPROVED"
    services.rating_reject(rating=rating, moderator=staff, reason="Off topic.")

    assert moderate_rating(str(rating.pk)) is None

    rating.refresh_from_db()
    assert rating.status == Rating.Status.REJECTED
    assert CoachProfile.objects.get(user=coach).rating_count == 0


def test_moderate_ratings_command_catches_the_backlog_and_twice_changes_nothing(coach):
    clean = RatingFactory(session__appointment__coach=coach, overall=2)
    flagged = RatingFactory(session__appointment__coach=coach, feedback="Call me on +1 (555) 123-4567 instead")
    decided = RatingFactory(session__appointment__coach=coach, status=Rating.Status.REJECTED)

    call_command("moderate_ratings", stdout=(out := StringIO()))
    assert "Moderated 2 rating(s): 1 approved, 1 flagged, 0 left for staff." in out.getvalue()

    snapshot = list(Rating.objects.order_by("pk").values())
    call_command("moderate_ratings", stdout=(out2 := StringIO()))
    assert "Moderated 0 rating(s)" in out2.getvalue()
    assert list(Rating.objects.order_by("pk").values()) == snapshot

    clean.refresh_from_db()
    flagged.refresh_from_db()
    decided.refresh_from_db()
    assert (clean.status, flagged.status, decided.status) == ("APPROVED", "FLAGGED", "REJECTED")
    assert flagged.flag_reasons == ["phone"]
    assert CoachProfile.objects.get(user=coach).rating_average == Decimal("2.00")


def test_backlog_beat_task_returns_counts(coach):
    RatingFactory(session__appointment__coach=coach)
    assert moderate_backlog() == {"approved": 1, "flagged": 0, "pending": 0}
    assert moderate_backlog() == {"approved": 0, "flagged": 0, "pending": 0}
