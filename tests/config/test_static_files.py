"""The admin's static files come from the process itself (WhiteNoise), with or without DEBUG."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client


def _get(path: str):
    response = Client().get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_admin_css_is_served_in_development(settings):
    response, body = _get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"body" in body


def test_admin_css_is_served_from_static_root_after_collectstatic(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--noinput", verbosity=0)
    response, body = _get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert body == (tmp_path / "static" / "admin" / "css" / "base.css").read_bytes()
    assert _get("/static/admin/css/no-such-file.css")[0].status_code == 404
