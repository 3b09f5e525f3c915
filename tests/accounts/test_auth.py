"""Register, login (Bearer tokens that expire), throttled failures, logout, me."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import CoachProfile, User
from tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def _code(res) -> str:
    return res.json()["error"]["code"]


def _payload(**overrides) -> dict:
    return {
        "email": "New.Person@Example.com",
        "password": "a-long-enough-passphrase-7",
        "first_name": "New",
        "last_name": "Person",
        "role": "customer",
        **overrides,
    }


def _login(client, email, password, address="10.0.0.1"):
    return client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=address)


@pytest.mark.parametrize("role", ["customer", "coach"])
def test_register_creates_the_account(anon_client, role):
    res = anon_client.post(REGISTER, _payload(role=role), format="json")
    assert res.status_code == 201, res.json()
    body = res.json()
    assert set(body) >= {"id", "email", "first_name", "last_name", "role"}
    assert "password" not in body
    assert (body["email"], body["role"]) == ("new.person@example.com", role)
    user = User.objects.get(pk=body["id"])
    assert user.check_password("a-long-enough-passphrase-7")
    assert user.email == "new.person@example.com"
    assert CoachProfile.objects.filter(user=user).exists() == (role == "coach")
    if role == "coach":
        assert CoachProfile.objects.get(user=user).is_verified is False


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "12345678901"}, "password"),
        ({"password": "password123"}, "password"),
        ({"first_name": ""}, "first_name"),
        ({"role": "staff"}, "role"),
        ({"role": "admin"}, "role"),
    ],
)
def test_register_validates_its_input(anon_client, overrides, field):
    res = anon_client.post(REGISTER, _payload(**overrides), format="json")
    assert res.status_code == 400
    assert _code(res) == "validation_error"
    assert field in res.json()["error"]["fields"]
    assert not User.objects.exists()


def test_register_refuses_a_duplicate_email_whatever_its_case(anon_client):
    assert anon_client.post(REGISTER, _payload(), format="json").status_code == 201
    res = anon_client.post(REGISTER, _payload(email="NEW.PERSON@example.COM"), format="json")
    assert res.status_code == 400
    assert "email" in res.json()["error"]["fields"]
    assert User.objects.count() == 1


def test_login_returns_a_bearer_token_that_works(anon_client, customer, settings):
    res = _login(anon_client, customer.email.upper(), PASSWORD)
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["token_type"] == "Bearer"
    assert body["user"]["id"] == str(customer.id)
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    expected = timezone.now() + timedelta(hours=settings.AUTH_TOKEN_TTL_HOURS)
    assert abs((expires_at - expected).total_seconds()) < 60
    assert AuthToken.objects.filter(user=customer).count() == 1

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == customer.email


@pytest.mark.parametrize(("email", "password"), [("user@example.com", "wrong"), ("nobody@example.com", PASSWORD)])
def test_wrong_credentials_are_401(anon_client, email, password):
    CustomerFactory(email="user@example.com")
    res = _login(anon_client, email, password)
    assert res.status_code == 401
    assert _code(res) == "invalid_credentials"
    assert not AuthToken.objects.exists()


def test_inactive_user_cannot_log_in(anon_client):
    user = CustomerFactory(is_active=False)
    res = _login(anon_client, user.email, PASSWORD)
    assert res.status_code == 401


def test_failed_logins_are_throttled_per_account(anon_client, customer, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 100
    for i in range(3):
        # From different addresses: the account's own counter trips.
        assert _login(anon_client, customer.email, "wrong", address=f"10.0.1.{i}").status_code == 401
    res = _login(anon_client, customer.email, PASSWORD, address="10.0.2.1")
    assert res.status_code == 429
    assert _code(res) == "throttled"
    assert int(res["Retry-After"]) > 0
    assert not AuthToken.objects.filter(user=customer).exists()
    other = CustomerFactory()
    assert _login(anon_client, other.email, PASSWORD, address="10.0.1.0").status_code == 200


def test_failed_logins_are_throttled_per_address(anon_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 100
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    victims = CustomerFactory.create_batch(5)
    for user in victims[:4]:
        assert _login(anon_client, user.email, "wrong", address="10.9.9.9").status_code == 401
    res = _login(anon_client, victims[4].email, PASSWORD, address="10.9.9.9")
    assert res.status_code == 429
    assert _code(res) == "throttled"
    assert _login(anon_client, victims[4].email, PASSWORD, address="10.9.9.8").status_code == 200


def test_successful_login_resets_the_account_counter(anon_client, customer, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(2):
        _login(anon_client, customer.email, "wrong")
    assert _login(anon_client, customer.email, PASSWORD).status_code == 200
    for _ in range(2):
        _login(anon_client, customer.email, "wrong")
    assert _login(anon_client, customer.email, PASSWORD).status_code == 200


def test_logout_revokes_the_token(anon_client, customer):
    token = _login(anon_client, customer.email, PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert not AuthToken.objects.filter(user=customer).exists()
    res = client.get("/api/v1/me")
    assert res.status_code == 401
    assert _code(res) == "not_authenticated"


def test_logout_revokes_only_that_token(api, customer):
    first, second = api(customer), api(customer)
    assert first.post("/api/v1/auth/logout").status_code == 204
    assert first.get("/api/v1/me").status_code == 401
    assert second.get("/api/v1/me").status_code == 200


def test_expired_token_is_401(api, customer):
    client = api(customer)
    AuthToken.objects.filter(user=customer).update(expiry=timezone.now() - timedelta(seconds=1))
    res = client.get("/api/v1/me")
    assert res.status_code == 401
    assert _code(res) == "not_authenticated"


def test_me_shows_the_coach_profile_for_coaches_only(api, coach, customer):
    body = api(coach).get("/api/v1/me").json()
    assert body["role"] == "coach"
    assert body["coach_profile"]["id"] == str(coach.id)
    assert body["coach_profile"]["hourly_rate"] == "60.00"
    body = api(customer).get("/api/v1/me").json()
    assert (body["role"], body.get("coach_profile")) == ("customer", None)
    assert set(body) >= {"id", "email", "first_name", "last_name", "role"}


def test_login_deletes_the_users_expired_tokens_and_keeps_live_ones(anon_client, customer):
    live = AuthToken.objects.create(user=customer)[0]
    expired = AuthToken.objects.create(user=customer)[0]
    AuthToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _login(anon_client, customer.email, PASSWORD).status_code == 200
    assert not AuthToken.objects.filter(pk=expired.pk).exists()
    assert AuthToken.objects.filter(pk=live.pk).exists()


def test_an_expired_token_is_deleted_when_it_is_used(api, customer):
    client = api(customer)
    AuthToken.objects.filter(user=customer).update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401
    assert not AuthToken.objects.filter(user=customer).exists()


def test_a_token_of_odd_length_is_401_not_500(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer abc")
    res = anon_client.get("/api/v1/me")
    assert res.status_code == 401


def test_token_answers_are_never_cached(anon_client, customer):
    res = _login(anon_client, customer.email, PASSWORD)
    assert res.status_code == 200
    assert "no-store" in res["Cache-Control"]
    assert "private" in res["Cache-Control"]


def test_the_compiled_token_lookup_builds_what_the_queryset_builds(customer, django_assert_num_queries):
    """One query, and the same token and user, field for field (datetimes converted the same way on
    SQLite and PostgreSQL), as ``select_related("user")`` would give."""
    from config.api.authentication import token_with_user

    _, raw = AuthToken.objects.create(user=customer)
    digest = hash_token(raw)
    expected = AuthToken.objects.select_related("user").get(digest=digest)
    with django_assert_num_queries(1):
        token = token_with_user(digest)
        assert token.user.email == customer.email  # loaded with the token: no second query
    assert token_with_user("0" * 128) is None

    def fields(obj) -> dict:
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    assert fields(token) == fields(expected) and fields(token.user) == fields(expected.user)
    assert token.expiry.tzinfo is not None and not token._state.adding and token._state.db == "default"
