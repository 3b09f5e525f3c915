from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import CoachProfile
from ratings import services
from ratings.models import Rating
from tests.factories import CoachFactory, RatingFactory

pytestmark = pytest.mark.django_db


def test_coach_ratings_lists_approved_customer_ratings_only_with_first_name(api, outsider, coach):
    approved = RatingFactory(session__appointment__coach=coach, status=Rating.Status.APPROVED)
    RatingFactory(session__appointment__coach=coach, status=Rating.Status.PENDING)
    RatingFactory(session__appointment__coach=coach, status=Rating.Status.FLAGGED)
    RatingFactory(session__appointment__coach=coach, status=Rating.Status.REJECTED)

    response = api(outsider).get(f"/api/v1/coaches/{coach.pk}/ratings")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item["id"] == str(approved.pk)
    assert item["rater"] == {"first_name": approved.rater.first_name}
    assert approved.rater.last_name not in str(item) and approved.rater.email not in str(item)
    assert set(item) >= {"id", "session_id", "rater_role", "overall", "scores", "feedback", "status", "created_at"}
    assert "rejection_reason" not in item


def test_coach_ratings_of_unknown_or_unverified_coach_is_404(api, outsider):
    unverified = CoachFactory(coach_profile__is_verified=False)
    RatingFactory(session__appointment__coach=unverified, status=Rating.Status.APPROVED)
    client = api(outsider)

    assert client.get(f"/api/v1/coaches/{unverified.pk}/ratings").status_code == 404
    assert client.get(f"/api/v1/coaches/{outsider.pk}/ratings").status_code == 404
    assert client.get("/api/v1/coaches/00000000-0000-0000-0000-000000000000/ratings").status_code == 404


def test_coach_ratings_query_count_does_not_grow_with_page_size(api, outsider, coach, django_assert_max_num_queries):
    RatingFactory.create_batch(12, session__appointment__coach=coach, status=Rating.Status.APPROVED)
    client = api(outsider)

    with django_assert_max_num_queries(6):
        small = client.get(f"/api/v1/coaches/{coach.pk}/ratings?page_size=2")
    with django_assert_max_num_queries(6):
        large = client.get(f"/api/v1/coaches/{coach.pk}/ratings?page_size=12")
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 12


def test_aggregates_follow_approvals_rejections_and_re_moderation(api, outsider, coach, staff):
    first = RatingFactory(
        session__appointment__coach=coach,
        overall=5,
        scores={"communication": 5, "knowledge": 5, "punctuality": 4, "helpfulness": 5},
    )
    second = RatingFactory(
        session__appointment__coach=coach,
        overall=2,
        scores={"communication": 2, "knowledge": 3, "punctuality": 1, "helpfulness": 2},
    )
    third = RatingFactory(
        session__appointment__coach=coach,
        overall=4,
        scores={"communication": 4, "knowledge": 4, "punctuality": 4, "helpfulness": 4},
    )
    # The coach's rating of the customer never counts for the coach.
    RatingFactory(
        session=first.session,
        rater=coach,
        ratee=first.rater,
        rater_role="coach",
        overall=1,
        scores={"punctuality": 1, "engagement": 1, "preparation": 1},
        status=Rating.Status.APPROVED,
    )

    for rating in (first, second, third):
        services.rating_approve(rating=rating, moderator=staff)
    profile = CoachProfile.objects.get(user=coach)
    assert (profile.rating_count, profile.rating_average) == (3, Decimal("3.67"))
    assert profile.rating_criteria == {"communication": 3.67, "knowledge": 4.0, "punctuality": 3.0, "helpfulness": 3.67}

    services.rating_reject(rating=second, moderator=staff, reason="Abusive language.")
    profile.refresh_from_db()
    assert (profile.rating_count, profile.rating_average) == (2, Decimal("4.50"))
    assert profile.rating_criteria["punctuality"] == 4.0

    # Re-moderation: the rejected one approved again after all.
    services.rating_approve(rating=second, moderator=staff, note="Appeal accepted.")
    profile.refresh_from_db()
    assert profile.rating_count == 3

    # What the coach list and detail show.
    detail = api(outsider).get(f"/api/v1/coaches/{coach.pk}").json()
    assert detail["rating"] == {
        "average": 3.67,
        "count": 3,
        "criteria": {"communication": 3.67, "knowledge": 4.0, "punctuality": 3.0, "helpfulness": 3.67},
    }


def test_rejecting_the_last_approved_rating_clears_the_average(coach, staff):
    rating = RatingFactory(session__appointment__coach=coach)
    services.rating_approve(rating=rating, moderator=staff)
    services.rating_reject(rating=rating, moderator=staff, reason="Spam.")

    profile = CoachProfile.objects.get(user=coach)
    assert (profile.rating_count, profile.rating_average, profile.rating_criteria) == (0, None, {})


def test_decisions_need_a_reason_to_reject_and_the_moderator_permission(coach, staff, customer):
    from config.api.errors import ApplicationError

    rating = RatingFactory(session__appointment__coach=coach)
    with pytest.raises(ApplicationError) as exc:
        services.rating_reject(rating=rating, moderator=staff, reason="  ")
    assert exc.value.code == "validation_error"
    with pytest.raises(ApplicationError) as exc:
        services.rating_approve(rating=rating, moderator=customer)
    assert exc.value.code == "permission_denied"
    services.rating_approve(rating=rating, moderator=staff)
    with pytest.raises(ApplicationError) as exc:
        services.rating_approve(rating=rating, moderator=staff)
    assert exc.value.code == "invalid_state"
    rating.refresh_from_db()
    assert (rating.moderated_by, rating.status) == (staff, Rating.Status.APPROVED)
