"""Account e-mails: verification at registration, password reset (single use, time-limited, hashed,
revoking every token, lifting the lockout, no enumeration), and the password change."""

from __future__ import annotations

import hashlib
import re
import statistics
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import AccountToken, User
from tests.factories import PASSWORD, CustomerFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db(transaction=True)

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW = "a-brand-new-passphrase-31"


def _token_from(message, path: str) -> str:
    (token,) = re.findall(re.escape(path) + r"\?token=([\w-]+)", message.body)
    return token


def _request_reset(client, user) -> str:
    mail.outbox.clear()
    assert client.post(RESET, {"email": user.email}, format="json").status_code == 204
    (message,) = mail.outbox
    assert message.to == [user.email]
    return _token_from(message, "/reset-password")


def test_register_sends_a_link_and_verify_email_confirms_it(anon_client):
    body = {"email": "a@example.com", "password": "a-long-enough-passphrase-7", "first_name": "A", "last_name": "B"}
    assert anon_client.post("/api/v1/auth/register", {**body, "role": "coach"}, format="json").status_code == 201
    user = User.objects.get(email="a@example.com")
    assert user.email_verified is False
    token = _token_from(mail.outbox[0], "/verify-email")
    assert AccountToken.objects.get(user=user).digest == hashlib.sha256(token.encode()).hexdigest()
    assert not AccountToken.objects.filter(digest=token).exists()  # only the hash is stored
    res = anon_client.post("/api/v1/auth/verify-email", {"token": token}, format="json")
    assert res.status_code == 200
    assert res.json()["email_verified"] is True and res.json()["email"] == "a@example.com"
    user.refresh_from_db()
    assert user.email_verified
    again = anon_client.post("/api/v1/auth/verify-email", {"token": token}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "validation_error"
    assert client_for(user).get("/api/v1/me").json()["email_verified"] is True


def test_verify_with_a_wrong_or_expired_token_is_400(anon_client, customer):
    from accounts.tokens import email_verification_issue

    token = email_verification_issue(user=customer)
    AccountToken.objects.filter(user=customer).update(expires_at=timezone.now() - timedelta(seconds=1))
    for bad in (token, "nope", "x" * 43):
        res = anon_client.post("/api/v1/auth/verify-email", {"token": bad}, format="json")
        assert res.status_code == 400
    customer.refresh_from_db()
    assert customer.email_verified is False


def test_reset_revokes_every_token_and_lifts_the_lockout(anon_client, settings):
    user = CustomerFactory()
    client_for(user), client_for(user)
    assert AuthToken.objects.filter(user=user).count() == 2
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        anon_client.post("/api/v1/auth/login", {"email": user.email, "password": "wrong"}, format="json")
    locked = anon_client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert locked.status_code == 429

    token = _request_reset(anon_client, user)
    assert anon_client.post(CONFIRM, {"token": token, "password": NEW}, format="json").status_code == 204
    assert not AuthToken.objects.filter(user=user).exists()
    res = anon_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": NEW}, format="json", REMOTE_ADDR="10.9.9.9"
    )
    assert res.status_code == 200
    # Single use.
    again = anon_client.post(CONFIRM, {"token": token, "password": "another-passphrase-77"}, format="json")
    assert again.status_code == 400
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_reset_link_expires(anon_client, settings):
    user = CustomerFactory()
    token = _request_reset(anon_client, user)
    row = AccountToken.objects.get(user=user, purpose="password_reset")
    assert row.expires_at - row.created_at == timedelta(minutes=settings.PASSWORD_RESET_TTL_MINUTES)
    AccountToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert anon_client.post(CONFIRM, {"token": token, "password": NEW}, format="json").status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_policy_applies_and_does_not_spend_the_link(anon_client):
    user = CustomerFactory()
    token = _request_reset(anon_client, user)
    res = anon_client.post(CONFIRM, {"token": token, "password": "123"}, format="json")
    assert res.status_code == 400 and "password" in res.json()["error"]["fields"]
    assert anon_client.post(CONFIRM, {"token": token, "password": NEW}, format="json").status_code == 204


def test_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(anon_client):
    mail.outbox.clear()
    res = anon_client.post(RESET, {"email": "nobody@example.com"}, format="json")
    assert res.status_code == 204 and res.content == b""
    assert mail.outbox == []
    assert not AccountToken.objects.exists()


def test_reset_takes_about_the_same_time_for_unknown_addresses(anon_client, settings):
    """The request only enqueues; in tests the task runs inline, so this bounds the rest of it too."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    user = CustomerFactory()

    def timed(email: str) -> float:
        start = time.perf_counter()
        assert anon_client.post(RESET, {"email": email}, format="json").status_code == 204
        return time.perf_counter() - start

    timed(user.email), timed("warmup@example.com")
    known = statistics.median(timed(user.email) for _ in range(9))
    unknown = statistics.median(timed(f"nobody{i}@example.com") for i in range(9))
    assert abs(known - unknown) < 0.1, (known, unknown)  # generous: two shared cores


def test_password_change_keeps_this_token_and_revokes_the_others(customer):
    other = client_for(customer)
    client = client_for(customer)
    res = client.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": NEW}, format="json")
    assert res.status_code == 204
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    customer.refresh_from_db()
    assert customer.check_password(NEW)


def test_password_change_needs_the_current_password_and_the_policy(customer):
    client = client_for(customer)
    wrong = client.post("/api/v1/auth/password", {"current_password": "x", "new_password": NEW}, format="json")
    assert wrong.status_code == 400 and "current_password" in wrong.json()["error"]["fields"]
    weak = client.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "1"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["error"]["fields"]
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    assert client_for(customer).post("/api/v1/auth/password", {}, format="json").status_code == 400


def test_password_change_needs_a_login(anon_client):
    res = anon_client.post("/api/v1/auth/password", {"current_password": "a", "new_password": NEW}, format="json")
    assert res.status_code == 401
