"""Real services: two ratings at once on PostgreSQL, and moderation by a real Celery worker on Redis."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from accounts.models import CoachProfile
from ratings.models import Rating
from sessions_app.models import Session
from tests.helpers.api import client_for
from tests.helpers.ratings import CUSTOMER_SCORES
from tests.helpers.sessions import session_made


@pytest.mark.django_db(transaction=True)
def test_two_ratings_submitted_at_once_give_one_201_and_one_409(postgres, coach, customer):
    session = session_made(Session.Status.COMPLETED, coach=coach, customer=customer, minutes_ago=120)
    clients = [client_for(customer), client_for(customer)]
    barrier = threading.Barrier(2)
    answers: list = []

    def submit(client, overall: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = client.post(
                f"/api/v1/sessions/{session.pk}/rating",
                {"overall": overall, "scores": CUSTOMER_SCORES, "feedback": "Both at once, which one wins?"},
                format="json",
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(client, n)) for n, client in enumerate(clients, start=1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(status for status, _ in answers) == [201, 409], answers
    conflict = next(body for status, body in answers if status == 409)
    assert conflict["error"]["code"] == "already_rated"
    assert Rating.objects.filter(session=session, rater=customer).count() == 1


@pytest.mark.django_db(transaction=True)
def test_submitted_rating_is_moderated_by_a_real_worker_on_redis(live_celery_worker, coach, customer):
    session = session_made(Session.Status.COMPLETED, coach=coach, customer=customer, minutes_ago=120)
    client = client_for(customer)
    url = f"/api/v1/sessions/{session.pk}/rating"

    response = client.post(
        url, {"overall": 4, "scores": CUSTOMER_SCORES, "feedback": "Patient, clear and well prepared."}, format="json"
    )
    assert response.status_code == 201

    rating = Rating.objects.get(pk=response.json()["id"])
    deadline = time.monotonic() + 20
    while rating.status == Rating.Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
        rating.refresh_from_db()

    assert rating.status == Rating.Status.APPROVED
    assert rating.auto_moderated_at is not None
    assert client.get(url).json()["status"] == "APPROVED"
    profile = CoachProfile.objects.get(user=coach)
    assert (profile.rating_count, str(profile.rating_average)) == (1, "4.00")
    assert client.get(f"/api/v1/coaches/{coach.pk}/ratings").json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_moderators_approving_at_once_keep_the_aggregates_right(postgres, coach):
    from django.contrib.auth.models import Group, Permission

    from ratings import services
    from tests.factories import RatingFactory, StaffFactory

    group, _ = Group.objects.get_or_create(name="moderators")  # a flushed transactional DB has no data rows
    group.permissions.add(Permission.objects.get(content_type__app_label="ratings", codename="moderate_rating"))
    moderators = [StaffFactory(is_superuser=False), StaffFactory(is_superuser=False)]
    for moderator in moderators:
        moderator.groups.add(group)
    ratings = [
        RatingFactory(session__appointment__coach=coach, overall=5),
        RatingFactory(session__appointment__coach=coach, overall=2),
    ]
    barrier = threading.Barrier(2)
    failures: list = []

    def approve(rating, moderator) -> None:
        try:
            barrier.wait(timeout=10)
            services.rating_approve(rating=rating, moderator=moderator)
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(ratings, moderators, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    profile = CoachProfile.objects.get(user=coach)
    assert (profile.rating_count, str(profile.rating_average)) == (2, "3.50")
