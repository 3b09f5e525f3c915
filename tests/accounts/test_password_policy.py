"""One password policy wherever a password is set: Django's validators plus "not only spaces, not one
character repeated" (accounts/validators.py), for the API, the admin and createsuperuser."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from tests.factories import UserFactory

WEAK = ["            ", "\t\t\t\t\t\t\t\t\t\t", "zzzzzzzzzzzz", "............"]


@pytest.mark.parametrize("password", WEAK)
def test_register_refuses_blank_or_one_character_passwords(db, anon_client, password):
    res = anon_client.post(
        "/api/v1/auth/register",
        {"email": "new@example.com", "password": password, "first_name": "N", "last_name": "U", "role": "customer"},
        format="json",
    )
    assert res.status_code == 400
    assert "password" in res.json()["error"]["fields"]
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(role=User.Role.STAFF, is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("password", WEAK[:3])
def test_admin_add_user_form_refuses_weak_passwords(admin_client, password):
    res = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "weak@example.com",
            "first_name": "W",
            "last_name": "P",
            "role": "customer",
            "password1": password,
            "password2": password,
        },
    )
    assert res.status_code == 200  # the form again, with the error
    assert not User.objects.filter(email="weak@example.com").exists()


def test_admin_password_change_form_refuses_weak_passwords(admin_client):
    user = UserFactory()
    before = User.objects.get(pk=user.pk).password
    res = admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/", {"password1": "            ", "password2": "            "}
    )
    assert res.status_code == 200
    assert User.objects.get(pk=user.pk).password == before


def test_createsuperuser_noinput_applies_the_policy(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "            ")
    with pytest.raises(CommandError, match="only spaces"):
        call_command(
            "createsuperuser", "--noinput", "--email", "root@example.com", "--first_name", "R", "--last_name", "S"
        )
    assert not User.objects.filter(email="root@example.com").exists()


def test_createsuperuser_noinput_accepts_a_good_password(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-root-passphrase-42")
    call_command(
        "createsuperuser",
        "--noinput",
        "--email",
        "root@example.com",
        "--first_name",
        "R",
        "--last_name",
        "S",
        verbosity=0,
    )
    assert User.objects.get(email="root@example.com").check_password("a-long-root-passphrase-42")
