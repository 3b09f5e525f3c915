"""Demo data for a first run: a few coaches with slots, customers, and sessions in several states
(a completed one with chat lines, both parts of the report and a rating each way, one of which waits
for a moderator).

Idempotent: users and slots are matched by e-mail and start time, and the demo sessions are
created only once (a second run prints the same logins and adds nothing). Everything is made
through the services, with their ``now`` set where the demo needs the past, so the demo data
obeys the rules the API enforces.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import CoachProfile, User
from chat.services import message_send
from config.api.errors import ApplicationError
from ratings.services import rating_submit
from sessions_app import services
from sessions_app.models import Appointment, Session

PASSWORD = "demo-pass-2468"

COACHES = [
    # email, first, last, rate, currency, categories, languages, online, verified
    ("anna.coach@example.com", "Anna", "Berg", "60.00", "EUR", ["fitness", "nutrition"], ["en", "de"], True, True),
    ("ben.coach@example.com", "Ben", "Okafor", "90.00", "USD", ["career", "leadership"], ["en"], False, True),
    ("cara.coach@example.com", "Cara", "Lind", "45.00", "EUR", ["mindfulness"], ["en", "sv"], False, False),
]
CUSTOMERS = [
    ("dan.customer@example.com", "Dan", "Reyes"),
    ("eve.customer@example.com", "Eve", "Moreau"),
]
STAFF = ("admin@example.com", "Ada", "Admin")


def _user(email: str, first: str, last: str, role: str) -> tuple[User, bool]:
    """The demo account, and whether this run created it."""
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    if role == User.Role.STAFF:
        # No API registers staff: the user manager is the way in (as `createsuperuser` does).
        user = User.objects.create_superuser(email=email, password=PASSWORD, first_name=first, last_name=last)
    else:
        user = accounts.user_register(email=email, password=PASSWORD, first_name=first, last_name=last, role=role)
    return user, True


class Command(BaseCommand):
    help = "Load demo coaches, customers, slots and sessions (idempotent) and print the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        now = timezone.now()
        staff, _ = _user(*STAFF, role=User.Role.STAFF)

        coaches = []
        for email, first, last, rate, currency, categories, languages, online, verified in COACHES:
            coach, created = _user(email, first, last, User.Role.COACH)
            coaches.append(coach)
            if not created:
                continue  # a second run leaves what staff or the coach changed since as it is
            accounts.coach_profile_update(
                coach=coach,
                bio=f"{first} coaches {', '.join(categories)}.",
                hourly_rate=Decimal(rate),
                currency=currency,
                categories=categories,
                languages=languages,
            )
            if verified:
                accounts.coach_verify(coach=coach, actor=staff, now=now)
                coach.refresh_from_db()  # the cached profile predates the verification
            availability = CoachProfile.Availability.ONLINE if online else CoachProfile.Availability.OFFLINE
            accounts.coach_set_availability(coach=coach, availability=availability)
        customers = [_user(email, first, last, User.Role.CUSTOMER)[0] for email, first, last in CUSTOMERS]
        anna, ben, _cara = coaches
        dan, eve = customers

        # Published slots: the next three days at 09:00, 11:00, 14:00 and 16:00 UTC (Anna's from
        # tomorrow on, so she stays free for instant sessions today).
        day0 = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for coach, first_day in ((anna, 1), (ben, 0)):
            for day in range(first_day, first_day + 3):
                for hour, minutes in ((9, 60), (11, 60), (14, 30), (16, 60)):
                    start = day0 + timedelta(days=day, hours=hour)
                    if start < now + timedelta(hours=2):
                        continue
                    if not Appointment.objects.filter(coach=coach, start=start).exists():
                        services.appointment_create(coach=coach, start=start, duration_minutes=minutes, now=now)

        created_sessions = 0
        if not Session.objects.filter(customer__in=customers).exists():
            created_sessions = self._sessions(now=now, anna=anna, ben=ben, dan=dan, eve=eve)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created_sessions} new sessions). Every demo account's password: {PASSWORD}"
            )
        )
        self.stdout.write(f"  staff (admin at /admin/): {STAFF[0]}")
        for email, *_rest, online, verified in COACHES:
            state = ("verified" if verified else "unverified") + (", online" if online else "")
            self.stdout.write(f"  coach ({state}): {email}")
        for email, *_ in CUSTOMERS:
            self.stdout.write(f"  customer: {email}")

    def _past_session(self, *, coach: User, customer: User, start: datetime, minutes: int, topic: str) -> Session:
        booked_at = start - timedelta(days=2)
        appointment = services.appointment_create(coach=coach, start=start, duration_minutes=minutes, now=booked_at)
        return services.session_book_scheduled(
            customer=customer, appointment_id=appointment.pk, topic=topic, now=booked_at
        )

    def _sessions(self, *, now: datetime, anna: User, ben: User, dan: User, eve: User) -> int:
        # Completed yesterday, with both parts of the report written.
        start = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        done = self._past_session(coach=anna, customer=eve, start=start, minutes=60, topic="Training plan")
        services.session_start_call(session=done, actor=eve, now=start + timedelta(minutes=1))
        services.session_start_call(session=done, actor=anna, now=start + timedelta(minutes=2))
        # A few lines of chat during the call, dated as they would have been.
        for minute, sender, text in (
            (3, eve, "Hi Anna! I brought my running log."),
            (4, anna, "Great, let's start with the long runs."),
            (50, eve, "Thanks, that plan looks doable."),
        ):
            message_send(session=done, sender=sender, text=text, now=start + timedelta(minutes=minute))
        services.session_request_end(session=done, actor=anna, now=start + timedelta(minutes=55))
        services.session_request_end(session=done, actor=eve, now=start + timedelta(minutes=56))
        done.refresh_from_db()
        # Both rate each other: Eve's feedback holds a phone number, so automatic moderation flags it
        # and the staff review console has something to decide; Anna's is approved on its own.
        rating_submit(
            session=done,
            rater=eve,
            overall=5,
            scores={"communication": 5, "knowledge": 5, "punctuality": 4, "helpfulness": 5},
            feedback="Anna is excellent. Text me on 0176 1234 5678 if you want her tips!",
        )
        rating_submit(
            session=done,
            rater=anna,
            overall=5,
            scores={"punctuality": 5, "engagement": 5, "preparation": 4},
            feedback="Eve came well prepared with her training log.",
        )
        services.session_report_update(
            session=done,
            actor=anna,
            summary="Reviewed the last four weeks and set a new weekly plan.",
            recommendations=["Three runs a week", "Sleep before 23:00"],
        )
        services.session_report_update(session=done, actor=eve, notes="Ask about knee pain next time.")

        # Cancelled two days ago.
        start = (now - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        cancelled = self._past_session(coach=ben, customer=dan, start=start, minutes=60, topic="CV review")
        services.session_cancel(session=cancelled, actor=dan, reason="Travelling.", now=start - timedelta(days=1))

        # Pending: Dan's next session with Ben, Eve's with Anna, in the published slots.
        count = 2
        for coach, customer in ((ben, dan), (anna, eve)):
            slot = (
                Appointment.objects.filter(coach=coach, is_instant=False, start__gt=now + timedelta(hours=2))
                .with_booking()
                .filter(is_booked=False)
                .order_by("start")
                .first()
            )
            if slot is None:
                continue
            try:
                services.session_book_scheduled(customer=customer, appointment_id=slot.pk, topic="Next steps", now=now)
                count += 1
            except ApplicationError:  # the slot went meanwhile: the demo goes on without it
                pass
        return count
