"""The admin's login form is protected like the API's login: django-axes with the same limits."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff_user(db):
    return UserFactory(role=User.Role.STAFF, is_staff=True, is_superuser=True)


def _admin_login(client: Client, email: str, password: str, address: str = "10.1.1.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def test_after_the_account_limit_even_the_right_password_is_refused(settings, staff_user):
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        assert _admin_login(client, staff_user.email, "wrong-password").status_code == 200  # the form again
    assert _admin_login(client, staff_user.email, "wrong-password").status_code == 429  # the last one allowed

    res = _admin_login(client, staff_user.email, PASSWORD)

    assert res.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_account_limit_holds_across_addresses(settings, staff_user):
    for index in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _admin_login(Client(), staff_user.email, "wrong-password", address=f"10.2.0.{index}")
    assert _admin_login(Client(), staff_user.email, PASSWORD, address="10.2.1.1").status_code == 429


def test_one_address_is_stopped_at_the_address_limit(settings, staff_user, db):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for index in range(3):
        _admin_login(Client(), f"nobody{index}@example.com", "wrong-password", address="10.3.3.3")
    assert _admin_login(Client(), staff_user.email, PASSWORD, address="10.3.3.3").status_code == 429
    # From another address the right password still works.
    assert _admin_login(Client(), staff_user.email, PASSWORD, address="10.3.3.4").status_code == 302


def test_below_the_limit_the_right_password_logs_in(settings, staff_user):
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        _admin_login(client, staff_user.email, "wrong-password")
    assert _admin_login(client, staff_user.email, PASSWORD).status_code == 302


def test_api_logins_are_not_counted_by_the_admin_guard(anon_client, staff_user):
    for _ in range(3):
        anon_client.post("/api/v1/auth/login", {"email": staff_user.email, "password": "nope"}, format="json")
    assert not AccessAttempt.objects.exists()
