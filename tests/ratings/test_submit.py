from __future__ import annotations

import pytest

from ratings.models import Rating
from sessions_app.models import Session
from tests.helpers.ratings import COACH_SCORES
from tests.helpers.sessions import session_made

pytestmark = pytest.mark.django_db


def url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/rating"


def test_customer_rates_the_coach_of_a_completed_session(api, customer, coach, session, customer_payload):
    response = api(customer).post(url(session), customer_payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["session_id"] == str(session.pk)
    assert body["rater_role"] == "customer"
    assert body["overall"] == 5
    assert body["scores"] == customer_payload["scores"]
    assert body["status"] == "PENDING"  # moderation runs after commit
    assert body["rejection_reason"] is None
    assert body["created_at"].endswith("Z")
    rating = Rating.objects.get(pk=body["id"])
    assert (rating.rater, rating.ratee, rating.status) == (customer, coach, Rating.Status.PENDING)


def test_coach_rates_the_customer_on_the_coach_criteria(api, coach, customer, session):
    payload = {"overall": 4, "scores": COACH_SCORES, "feedback": "Came prepared with good questions."}
    response = api(coach).post(url(session), payload, format="json")

    assert response.status_code == 201, response.json()
    rating = Rating.objects.get(pk=response.json()["id"])
    assert (rating.rater_role, rating.ratee) == ("coach", customer)


def test_trailing_slash_is_accepted(api, customer, session, customer_payload):
    assert api(customer).post(url(session) + "/", customer_payload, format="json").status_code == 201


def test_rater_reads_own_rating_with_status_and_rejection_reason(api, customer, session, customer_payload):
    client = api(customer)
    assert client.get(url(session)).json()["error"]["code"] == "not_found"
    client.post(url(session), customer_payload, format="json")
    Rating.objects.update(status=Rating.Status.REJECTED, rejection_reason="Please keep it about the session.")

    response = client.get(url(session))

    assert response.status_code == 200
    assert response.json()["status"] == "REJECTED"
    assert response.json()["rejection_reason"] == "Please keep it about the session."


def test_the_other_participants_rating_is_not_shown_as_mine(api, coach, customer, session, customer_payload):
    api(customer).post(url(session), customer_payload, format="json")
    assert api(coach).get(url(session)).status_code == 404


@pytest.mark.parametrize("status", ["PENDING", "IN_PROGRESS", "END_REQUEST_PENDING", "CANCELLED"])
def test_session_not_completed_is_409_invalid_state(api, customer, coach, customer_payload, status):
    session = session_made(Session.Status.COMPLETED, coach=coach, customer=customer, minutes_ago=120)
    Session.objects.filter(pk=session.pk).update(status=status)

    response = api(customer).post(url(session), customer_payload, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    assert not Rating.objects.exists()


def test_non_participant_gets_404(api, outsider, session, customer_payload):
    client = api(outsider)
    assert client.post(url(session), customer_payload, format="json").status_code == 404
    assert client.get(url(session)).json()["error"]["code"] == "not_found"
    assert not Rating.objects.exists()


def test_second_rating_is_409_already_rated(api, customer, session, customer_payload):
    client = api(customer)
    assert client.post(url(session), customer_payload, format="json").status_code == 201

    response = client.post(url(session), {**customer_payload, "overall": 1}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_rated"
    assert Rating.objects.get().overall == 5


def test_without_token_is_401(anon_client, session, customer_payload):
    response = anon_client.post(url(session), customer_payload, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scores": {"communication": 5, "knowledge": 4, "punctuality": 5}}, "scores.helpfulness"),
        (
            {"scores": {**{"communication": 5, "knowledge": 4, "punctuality": 5, "helpfulness": 6}}},
            "scores.helpfulness",
        ),
        ({"scores": {"communication": 0, "knowledge": 4, "punctuality": 5, "helpfulness": 4}}, "scores.communication"),
        (
            {"scores": {"communication": 5, "knowledge": 4, "punctuality": 5, "helpfulness": 4, "engagement": 5}},
            "scores.engagement",
        ),
        (
            {"scores": {"communication": "x", "knowledge": 4, "punctuality": 5, "helpfulness": 4}},
            "scores.communication",
        ),
        ({"scores": "great"}, "scores"),
        ({"overall": 6}, "overall"),
        ({"overall": 0}, "overall"),
        ({"overall": 4.5}, "overall"),
        ({"overall": "5"}, "overall"),
        ({"overall": 5.0}, "overall"),
        ({"overall": True}, "overall"),
        (
            {"scores": {"communication": "4", "knowledge": 4, "punctuality": 5, "helpfulness": 4}},
            "scores.communication",
        ),
        ({"feedback": 12345678901}, "feedback"),
        ({"feedback": "Too short"}, "feedback"),
        ({"feedback": "        short       "}, "feedback"),
        ({"feedback": "x" * 2001}, "feedback"),
    ],
)
def test_invalid_rating_is_400_with_the_field(api, customer, session, customer_payload, change, field):
    response = api(customer).post(url(session), {**customer_payload, **change}, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert not Rating.objects.exists()


def test_missing_fields_are_400(api, customer, session):
    response = api(customer).post(url(session), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"overall", "scores", "feedback"}


def test_coach_criteria_are_required_from_the_coach(api, coach, session, customer_payload):
    response = api(coach).post(url(session), customer_payload, format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"scores.engagement", "scores.preparation", "scores.communication"} <= set(fields)
