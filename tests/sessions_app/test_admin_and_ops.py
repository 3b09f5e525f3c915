"""The back-office and the ops commands: staff moves go through the services; commands are idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import CoachProfile
from sessions_app.models import Session, SessionLog
from tests.factories import CoachFactory, SessionFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_cancel_action_goes_through_the_service_and_logs(admin_client, staff):
    pending = SessionFactory()
    started = SessionFactory(status=Session.Status.IN_PROGRESS, started_at=timezone.now())
    res = admin_client.post(
        "/admin/sessions_app/session/",
        {
            "action": "cancel_sessions",
            "_selected_action": [str(pending.pk), str(started.pk)],
            "apply": "Cancel",
            "reason": "Cancelled by staff.",
        },
        follow=True,
    )
    assert res.status_code == 200
    pending.refresh_from_db()
    started.refresh_from_db()
    assert pending.status == Session.Status.CANCELLED and pending.cancelled_by == staff
    assert started.status == Session.Status.IN_PROGRESS  # refused: it has started
    assert SessionLog.objects.filter(session=pending, action="CANCELLED", actor=staff).count() == 1
    assert b"has started" in res.content or b"IN_PROGRESS" in res.content


def test_staff_complete_action_completes_only_running_sessions(admin_client, staff):
    running = SessionFactory(status=Session.Status.IN_PROGRESS, started_at=timezone.now())
    pending = SessionFactory()
    admin_client.post(
        "/admin/sessions_app/session/",
        {
            "action": "complete_sessions",
            "_selected_action": [str(running.pk), str(pending.pk)],
            "apply": "Complete",
            "reason": "Completed by staff.",
        },
    )
    assert Session.objects.get(pk=running.pk).status == Session.Status.COMPLETED
    assert Session.objects.get(pk=pending.pk).status == Session.Status.PENDING


def test_session_admin_finds_a_session_by_its_number_and_shows_its_logs(admin_client):
    session = SessionFactory()
    SessionLog.objects.create(session=session, action="BOOKED", actor=session.customer)
    SessionFactory()
    res = admin_client.get("/admin/sessions_app/session/", {"q": session.display_number})
    assert res.status_code == 200
    assert res.context["cl"].result_count == 1
    page = admin_client.get(f"/admin/sessions_app/session/{session.pk}/change/")
    assert page.status_code == 200
    assert b"BOOKED" in page.content


def test_admin_verify_action_verifies_coaches(admin_client, staff):
    coach = CoachFactory(coach_profile__is_verified=False)
    admin_client.post("/admin/accounts/coachprofile/", {"action": "verify", "_selected_action": [str(coach.pk)]})
    profile = CoachProfile.objects.get(pk=coach.pk)
    assert profile.is_verified and profile.verified_by == staff


def test_verify_coach_command_is_idempotent():
    coach = CoachFactory(coach_profile__is_verified=False)
    out = StringIO()
    call_command("verify_coach", coach.email.upper(), stdout=out)
    call_command("verify_coach", coach.email, stdout=out)
    assert "verified." in out.getvalue() and "already verified" in out.getvalue()
    assert CoachProfile.objects.get(pk=coach.pk).is_verified


def test_close_stale_sessions_command_reports_what_it_did():
    start = timezone.now() - timedelta(hours=3)
    SessionFactory(status=Session.Status.IN_PROGRESS, appointment__start=start, started_at=start)
    out = StringIO()
    call_command("close_stale_sessions", stdout=out)
    call_command("close_stale_sessions", stdout=out)
    assert out.getvalue().splitlines() == ["completed: 1, cancelled: 0", "completed: 0, cancelled: 0"]


def _load_settings(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AGORA_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secrets():
    result = _load_settings(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and "AGORA_APP_ID" in result.stderr


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "AGORA_APP_ID": "a" * 32,
    "AGORA_APP_CERTIFICATE": "b" * 32,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/coaching",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_production_settings_start_with_what_they_need():
    result = _load_settings(**PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("DJANGO_ALLOWED_HOSTS", "*,api.example.com", "DJANGO_ALLOWED_HOSTS"),
        ("DJANGO_ALLOWED_HOSTS", " ", "DJANGO_ALLOWED_HOSTS"),
        ("DATABASE_URL", "", "DATABASE_URL"),
        ("REDIS_URL", "", "REDIS_URL"),
    ],
)
def test_production_settings_refuse_wildcards_and_the_zero_setup_defaults(name, value, complaint):
    result = _load_settings(**{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert complaint in result.stderr


@pytest.mark.parametrize(("name", "value"), [("CHAT_IMAGE_MAX_BYTES", "-5"), ("RECORDING_URL_TTL_SECONDS", "0")])
def test_limits_and_lifetimes_must_be_positive(name, value):
    result = _load_settings(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_an_empty_database_url_means_the_zero_setup_database():
    result = _load_settings(DATABASE_URL="")
    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_setting_fails_at_start_up():
    result = _load_settings(FREE_SESSIONS_ENABLED="maybe")
    assert result.returncode != 0
