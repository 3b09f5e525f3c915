"""API clients and answers."""

from __future__ import annotations

from knox.models import AuthToken
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client with a real Bearer token of ``user``."""
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.user = user
    return client


def error_code(response) -> str:
    return response.json()["error"]["code"]
