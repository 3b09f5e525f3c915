"""Staff in the admin: a user of a shipped group, and a browser logged in as someone."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from tests.factories import StaffFactory


def in_group(name: str) -> User:
    user = StaffFactory(is_superuser=False)
    user.groups.add(Group.objects.get(name=name))
    return User.objects.get(pk=user.pk)  # no cached permissions


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
