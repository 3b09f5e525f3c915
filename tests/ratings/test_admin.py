"""The staff review console, through Django's test client as a moderator (staff, not superuser)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CoachProfile
from ratings.models import Rating
from ratings.services import rating_recompute_for_coach
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/ratings/rating/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_moderators_group_has_the_custom_permission(moderator):
    assert moderator.has_perm("ratings.moderate_rating")
    assert moderator.has_perm("ratings.view_rating")
    assert not moderator.is_superuser


def test_queue_shows_waiting_ratings_first_oldest_first(moderator, coach):
    now = timezone.now()
    decided = RatingFactory(session__appointment__coach=coach, status="APPROVED", created_at=now - timedelta(days=9))
    new_flagged = RatingFactory(
        session__appointment__coach=coach, status="FLAGGED", flag_reasons=["phone"], created_at=now - timedelta(hours=1)
    )
    old_pending = RatingFactory(session__appointment__coach=coach, created_at=now - timedelta(days=2))

    client = client_for(moderator)
    # The list opens on the waiting ones; "all" still puts them first, oldest first.
    waiting = client.get(CHANGELIST)
    assert list(waiting.context["cl"].result_list) == [old_pending, new_flagged]
    response = client.get(CHANGELIST, {"queue": "all"})

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [old_pending, new_flagged, decided]
    content = response.content.decode()
    assert old_pending.session.display_number in content
    assert "contains a phone number" in content
    assert "approve_ratings" in content and "reject_ratings" in content


def test_moderator_bulk_approves_and_the_aggregates_follow(moderator, coach):
    ratings = [
        RatingFactory(session__appointment__coach=coach, overall=5, status="FLAGGED"),
        RatingFactory(session__appointment__coach=coach, overall=4),
    ]

    selected = {"action": "approve_ratings", "_selected_action": [str(r.pk) for r in ratings], "index": 0}
    client = client_for(moderator)
    preview = client.post(CHANGELIST, selected)
    assert preview.status_code == 200  # the confirmation page first: nothing approved yet
    assert Rating.objects.filter(status=Rating.Status.APPROVED).count() == 0
    response = client.post(CHANGELIST, {**selected, "apply": "Approve"}, follow=True)

    assert response.status_code == 200
    assert "2 rating(s) updated." in response.content.decode()
    for rating in ratings:
        rating.refresh_from_db()
        assert rating.status == Rating.Status.APPROVED
        assert rating.moderated_by == moderator
        assert rating.moderated_at is not None
    profile = CoachProfile.objects.get(user=coach)
    assert (profile.rating_count, profile.rating_average) == (2, Decimal("4.50"))


def test_moderator_rejects_with_a_reason_through_the_intermediate_form(moderator, coach):
    keep = RatingFactory(session__appointment__coach=coach, overall=5, status="APPROVED")
    bad = [
        RatingFactory(session__appointment__coach=coach, overall=1, status="APPROVED"),
        RatingFactory(session__appointment__coach=coach, overall=2, status="FLAGGED", flag_reasons=["email"]),
    ]
    # The factory skipped the services: bring the aggregates to what they were before the decision.
    rating_recompute_for_coach(coach_id=coach.pk)
    assert CoachProfile.objects.get(user=coach).rating_count == 2
    client = client_for(moderator)
    selected = [str(r.pk) for r in bad]

    form_page = client.post(CHANGELIST, {"action": "reject_ratings", "_selected_action": selected, "index": 0})
    assert form_page.status_code == 200
    assert "The raters see the reason" in form_page.content.decode()
    assert all(r.status != Rating.Status.REJECTED for r in Rating.objects.filter(pk__in=selected))

    without_reason = client.post(
        CHANGELIST, {"action": "reject_ratings", "_selected_action": selected, "apply": "Reject", "reason": ""}
    )
    assert without_reason.status_code == 200  # the form again, with its error
    assert Rating.objects.filter(status=Rating.Status.REJECTED).count() == 0

    done = client.post(
        CHANGELIST,
        {
            "action": "reject_ratings",
            "_selected_action": selected,
            "apply": "Reject",
            "reason": "Contact details are not allowed.",
            "note": "Repeat offender.",
        },
    )
    assert done.status_code == 302
    for rating in bad:
        rating.refresh_from_db()
        assert rating.status == Rating.Status.REJECTED
        assert rating.rejection_reason == "Contact details are not allowed."
        assert rating.moderation_note == "Repeat offender."
        assert rating.moderated_by == moderator
        assert rating.moderated_at is not None
    profile = CoachProfile.objects.get(user=coach)
    assert (profile.rating_count, profile.rating_average) == (1, Decimal("5.00"))
    # Every decision stays in the admin's history of the rating, also once a later one replaces it.
    from django.contrib.admin.models import LogEntry

    entries = LogEntry.objects.filter(object_id__in=selected, user=moderator)
    assert (
        sorted(e.get_change_message() for e in entries)
        == [
            "Rejected (bulk action). Reason given to the rater: Contact details are not allowed. "
            "Internal note: Repeat offender."
        ]
        * 2
    )
    keep.refresh_from_db()
    assert keep.status == Rating.Status.APPROVED


def test_moderator_decides_one_by_one_on_the_rating_page(moderator, coach, api):
    rating = RatingFactory(session__appointment__coach=coach, status="FLAGGED", flag_reasons=["link"])
    client = client_for(moderator)
    page = client.get(f"{CHANGELIST}{rating.pk}/change/")
    assert page.status_code == 200
    assert 'name="decision"' in page.content.decode()
    assert 'name="feedback"' not in page.content.decode()  # read-only

    refused = client.post(f"{CHANGELIST}{rating.pk}/change/", {"decision": "reject", "reason": ""})
    assert refused.status_code == 200
    rating.refresh_from_db()
    assert rating.status == Rating.Status.FLAGGED

    done = client.post(
        f"{CHANGELIST}{rating.pk}/change/", {"decision": "reject", "reason": "No links please.", "note": ""}
    )
    assert done.status_code == 302
    rating.refresh_from_db()
    assert (rating.status, rating.rejection_reason, rating.moderated_by) == ("REJECTED", "No links please.", moderator)
    # The rater sees why.
    own = api(rating.rater).get(f"/api/v1/sessions/{rating.session_id}/rating").json()
    assert (own["status"], own["rejection_reason"]) == ("REJECTED", "No links please.")


def test_staff_without_the_permission_cannot_moderate(staff_without_permission, coach):
    rating = RatingFactory(session__appointment__coach=coach, status="FLAGGED")
    client = client_for(staff_without_permission)

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200  # may look
    page = client.get(f"{CHANGELIST}{rating.pk}/change/")
    assert page.status_code == 200
    assert 'name="decision"' not in page.content.decode()
    assert "approve_ratings" not in listing.content.decode()
    assert "reject_ratings" not in listing.content.decode()

    client.post(CHANGELIST, {"action": "approve_ratings", "_selected_action": [str(rating.pk)], "index": 0})
    client.post(
        CHANGELIST,
        {"action": "reject_ratings", "_selected_action": [str(rating.pk)], "apply": "Reject", "reason": "x"},
    )
    change = client.post(f"{CHANGELIST}{rating.pk}/change/", {"decision": "approve"})
    assert change.status_code == 403

    rating.refresh_from_db()
    assert (rating.status, rating.moderated_by) == (Rating.Status.FLAGGED, None)


def test_dashboard_shows_queue_size_and_oldest_waiting_age(moderator, coach):
    now = timezone.now()
    RatingFactory(session__appointment__coach=coach, created_at=now - timedelta(hours=5, minutes=1))
    RatingFactory(session__appointment__coach=coach, status="FLAGGED", created_at=now - timedelta(hours=1))
    RatingFactory(session__appointment__coach=coach, status="APPROVED", created_at=now - timedelta(days=3))

    response = client_for(moderator).get(f"{CHANGELIST}dashboard/")

    assert response.status_code == 200
    assert response.templates[0].name == "ratings/dashboard.html"
    stats = response.context["stats"]
    assert (stats.size, stats.pending, stats.flagged) == (2, 1, 1)
    content = response.content.decode()
    assert '<strong id="queue-size">2</strong>' in content
    assert "5\xa0hours" in content
    assert "Moderation dashboard" in client_for(moderator).get(CHANGELIST).content.decode()


def test_dashboard_needs_admin_login(client):
    response = client.get(f"{CHANGELIST}dashboard/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_moderator_adds_a_blocklist_word_that_flags_new_ratings(moderator, coach):
    from ratings.models import BlocklistWord
    from ratings.tasks import moderate_rating

    response = client_for(moderator).post(
        "/admin/ratings/blocklistword/add/", {"word": "Rip-off", "note": "Seen in spam waves."}
    )
    assert response.status_code == 302
    assert BlocklistWord.objects.get().word == "Rip-off"
    duplicate = client_for(moderator).post("/admin/ratings/blocklistword/add/", {"word": "rip-off"})
    assert duplicate.status_code == 200  # case-insensitive duplicate refused by the form
    assert BlocklistWord.objects.count() == 1

    rating = RatingFactory(session__appointment__coach=coach, feedback="A total RIP-OFF, avoid.")
    assert moderate_rating(str(rating.pk)) == "FLAGGED"
