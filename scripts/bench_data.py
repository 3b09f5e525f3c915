"""The benchmark's own data, built in whatever database the settings point at (``bench_load``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load .venv/bin/python scripts/bench_data.py

Idempotent: the rows are made once (recognised by their e-mail domain); every call makes fresh
tokens and a fresh contested slot, and prints one JSON document that ``bench_load.py`` reads:
- one customer with ``BENCH_SESSIONS`` (2,000) future sessions across 50 coaches (``GET sessions``);
- 100 live sessions (``IN_PROGRESS``), each with its own coach and customer, the first with 50 chat
  messages (``GET sessions/{id}/status``, ``GET sessions/{id}/messages``, the WebSocket fan-out);
- 50 customers who all try to book one new free slot.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402

DOMAIN = "bench.invalid"
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "2000"))
LIVE = 100
BOOKERS = 50


def _build() -> None:
    from chat.models import Message
    from sessions_app.models import Session
    from tests.factories import AppointmentFactory, CoachFactory, CustomerFactory, SessionFactory

    now = timezone.now().replace(second=0, microsecond=0)
    coaches = [CoachFactory(email=f"coach{i}@{DOMAIN}") for i in range(LIVE)]
    customer = CustomerFactory(email=f"customer@{DOMAIN}")
    base = now + timedelta(days=2)
    for i in range(SESSIONS):
        # One customer: their sessions never overlap; each coach has one every 50 hours.
        start = base + timedelta(hours=i)
        SessionFactory(appointment=AppointmentFactory(coach=coaches[i % 50], start=start), customer=customer)
    for i in range(LIVE):
        SessionFactory(
            # A live session of a whole day, so the data stays usable run after run.
            appointment=AppointmentFactory(
                coach=coaches[i], start=now - timedelta(minutes=5), duration_minutes=24 * 60
            ),
            customer=CustomerFactory(email=f"live{i}@{DOMAIN}"),
            status=Session.Status.IN_PROGRESS,
            started_at=now - timedelta(minutes=4),
        )
    first = Session.objects.filter(customer__email=f"live0@{DOMAIN}").get()
    Message.objects.bulk_create(
        Message(session=first, sender_id=first.customer_id if i % 2 else first.coach_id, text=f"message {i}")
        for i in range(50)
    )
    for i in range(BOOKERS):
        CustomerFactory(email=f"booker{i}@{DOMAIN}")


def main() -> None:
    from accounts.models import CoachProfile, User
    from availability.services.schedule import MAX_HORIZON_DAYS
    from sessions_app.models import Appointment, Session

    call_command("migrate", verbosity=0)
    if not User.objects.filter(email=f"customer@{DOMAIN}").exists():
        with transaction.atomic():
            _build()
    AuthToken.objects.filter(user__email__endswith=f"@{DOMAIN}").delete()

    def token(email: str) -> str:
        return AuthToken.objects.create(user=User.objects.get(email=email))[1]

    live = list(
        Session.objects.filter(customer__email__startswith="live", customer__email__endswith=f"@{DOMAIN}")
        .select_related("coach", "customer")
        .order_by("customer__email")
    )
    # The contested slot: a new one each run, after every slot the coach already has. As runs add up,
    # those slots reach past the default 28-day booking horizon, so this coach takes the longest one.
    contested_coach = User.objects.get(email=f"coach99@{DOMAIN}")
    CoachProfile.objects.filter(user=contested_coach).update(booking_horizon_days=MAX_HORIZON_DAYS)
    last = Appointment.objects.filter(coach=contested_coach).order_by("-end").values_list("end", flat=True).first()
    start = max(last or timezone.now(), timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    slot = Appointment.objects.create(
        coach=contested_coach, start=start + timedelta(hours=1), duration_minutes=60, end=start + timedelta(hours=2)
    )
    coach0 = User.objects.get(email=f"coach0@{DOMAIN}")
    print(
        json.dumps(
            {
                "customer_token": token(f"customer@{DOMAIN}"),
                "coach_token": token(coach0.email),
                "live": [
                    {
                        "id": str(s.id),
                        "customer_token": token(s.customer.email),
                        "coach_token": token(s.coach.email),
                    }
                    for s in live
                ],
                "slot_id": str(slot.id),
                "booker_tokens": [token(f"booker{i}@{DOMAIN}") for i in range(BOOKERS)],
            }
        )
    )


if __name__ == "__main__":
    main()
