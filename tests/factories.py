"""factory_boy factories for every app, in one place."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import CoachProfile, User
from integrations.agora import rtc as video
from sessions_app.models import Appointment, Session, SessionNumber

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(UserFactory):
    role = User.Role.CUSTOMER


class StaffFactory(UserFactory):
    role = User.Role.STAFF
    is_staff = True
    is_superuser = True


class CoachFactory(UserFactory):
    """A verified, online coach at 60.00 EUR an hour (pass ``coach_profile__...`` to change)."""

    role = User.Role.COACH
    coach_profile = factory.RelatedFactory("tests.factories.CoachProfileFactory", factory_related_name="user")


class CoachProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachProfile

    user = factory.SubFactory(UserFactory, role=User.Role.COACH)
    bio = "Coach of things."
    hourly_rate = Decimal("60.00")
    currency = "EUR"
    categories = factory.LazyFunction(lambda: ["fitness"])
    languages = factory.LazyFunction(lambda: ["en"])
    availability = CoachProfile.Availability.ONLINE
    is_verified = True
    verified_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Saving a coach account already made its (empty) profile: fill that one in.
        user = kwargs.pop("user")
        profile, _ = model_class.objects.update_or_create(user=user, defaults=kwargs)
        user.coach_profile = profile  # the user's cached profile is this one, not the empty first one
        return profile


def _future_start():
    return (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    coach = factory.SubFactory(CoachFactory)
    start = factory.LazyFunction(_future_start)
    duration_minutes = 60
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=o.duration_minutes))


class SessionFactory(factory.django.DjangoModelFactory):
    """A PENDING scheduled session on its own appointment (no BOOKED log: use the services for flows)."""

    class Meta:
        model = Session

    appointment = factory.SubFactory(AppointmentFactory)
    coach = factory.SelfAttribute("appointment.coach")
    customer = factory.SubFactory(CustomerFactory)
    number = factory.LazyFunction(lambda: SessionNumber.objects.create().pk)
    type = Session.Type.SCHEDULED
    status = Session.Status.PENDING
    scheduled_start = factory.SelfAttribute("appointment.start")
    duration_minutes = factory.SelfAttribute("appointment.duration_minutes")
    scheduled_end = factory.LazyAttribute(lambda o: o.scheduled_start + timedelta(minutes=o.duration_minutes))
    price = Decimal("60.00")
    currency = "EUR"
    channel_name = factory.LazyFunction(video.new_channel_name)
    coach_uid = factory.Sequence(lambda n: 1000 + 2 * n)
    customer_uid = factory.Sequence(lambda n: 1001 + 2 * n)


class RatingFactory(factory.django.DjangoModelFactory):
    """A customer's PENDING rating of the coach of a COMPLETED session (pass ``status=...`` to change)."""

    class Meta:
        model = "ratings.Rating"

    session = factory.SubFactory(
        SessionFactory,
        status=Session.Status.COMPLETED,
        # Each rated session in its own past hour: a coach's sessions never overlap (PostgreSQL checks).
        appointment__start=factory.Sequence(
            lambda n: timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2 * (n + 1))
        ),
        started_at=factory.SelfAttribute("appointment.start"),
        ended_at=factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=o.duration_minutes)),
    )
    rater = factory.SelfAttribute("session.customer")
    ratee = factory.SelfAttribute("session.coach")
    rater_role = "customer"
    overall = 4
    scores = factory.LazyFunction(lambda: {"communication": 4, "knowledge": 5, "punctuality": 3, "helpfulness": 4})
    feedback = "Clear explanations and good exercises."


class RecordingFactory(factory.django.DjangoModelFactory):
    """An AVAILABLE recording of a completed session (no files: add RecordingFile rows as needed)."""

    class Meta:
        model = "recordings.Recording"

    session = factory.SubFactory(
        SessionFactory, status=Session.Status.COMPLETED, ended_at=factory.LazyFunction(timezone.now)
    )
    status = "AVAILABLE"
    recorder_uid = factory.Sequence(lambda n: 900000 + n)
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=30))
    stopped_at = factory.LazyFunction(timezone.now)
    duration_seconds = 1800


class MessageFactory(factory.django.DjangoModelFactory):
    """A text message from the session's customer (pass ``sender=...``, ``text=...`` to change)."""

    class Meta:
        model = "chat.Message"

    session = factory.SubFactory(SessionFactory, status=Session.Status.IN_PROGRESS)
    sender = factory.SelfAttribute("session.customer")
    text = factory.Sequence(lambda n: f"Message {n}")
