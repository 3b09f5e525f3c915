"""A throwaway database with one live session, for a server started in another process (the run
topology test, scripts/bench_upload.py): migrate, then book and start a session through the services."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from datetime import timedelta
from django.utils import timezone
from knox.models import AuthToken
from accounts.models import CoachProfile, User
from accounts.services import coach_verify
from sessions_app import services
coach = User.objects.create_user(email="c@example.com", password="x-long-pass-1", role="coach")
customer = User.objects.create_user(email="u@example.com", password="x-long-pass-1", role="customer")
coach_verify(coach=coach)
CoachProfile.objects.filter(user=coach).update(hourly_rate=60)
coach = User.objects.get(pk=coach.pk)
start = (timezone.now() - timedelta(minutes=1)).replace(second=0, microsecond=0)
slot = services.appointment_create(coach=coach, start=start, duration_minutes=60, now=start - timedelta(hours=2))
session = services.session_book_scheduled(customer=customer, appointment_id=slot.pk, now=start - timedelta(hours=2))
services.session_start_call(session=session, actor=customer)
print(session.pk, AuthToken.objects.create(user=customer)[1])
"""


def live_session_database(env: dict) -> tuple[str, str]:
    """Migrate the database of ``env`` (its ``DATABASE_URL``) and make a live session in it; returns
    the session's id and its customer's API token."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"setting up the live session failed:\n{done.stderr}")
    session_id, token = done.stdout.split()[-2:]
    return session_id, token
