from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", User.Role.CUSTOMER)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=User.Role.STAFF)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        COACH = "coach", "Coach"
        STAFF = "staff", "Staff"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        ARABIC = "ar", "العربية"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored lower-cased by the manager and the services, so the unique index is case-insensitive.
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # An IANA zone name (validated against zoneinfo by the services); the API itself speaks UTC,
    # this is for what people read: e-mails, notifications, a coach's weekly schedule.
    timezone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    # Notifications issue: set by POST auth/verify-email with the link e-mailed at registration.
    email_verified = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_coach(self) -> bool:
        return self.role == self.Role.COACH

    @property
    def is_customer(self) -> bool:
        return self.role == self.Role.CUSTOMER

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class CoachProfile(models.Model):
    class Availability(models.TextChoices):
        ONLINE = "ONLINE", "Online"
        OFFLINE = "OFFLINE", "Offline"

    # The coach's id in the API is the user's id.
    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="coach_profile")
    bio = models.TextField(blank=True, max_length=5000)
    hourly_rate = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    categories = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    availability = models.CharField(max_length=8, choices=Availability.choices, default=Availability.OFFLINE)
    is_verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # Aggregates over APPROVED ratings, maintained by ratings.services (never by hand).
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_criteria = models.JSONField(default=dict, blank=True, editable=False)
    # Booking policy, set with the weekly schedule (PUT coach/schedule) and read by booking under
    # this row's lock: kept here, not in the availability app, so booking needs no import of it.
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    max_sessions_per_day = models.PositiveSmallIntegerField(null=True, blank=True)
    booking_horizon_days = models.PositiveSmallIntegerField(default=28)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["is_verified", "availability"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(hourly_rate__gte=0), name="coach_hourly_rate_not_negative"),
            # Booking looks for buffered neighbours within this bound (sessions_app.services.policy).
            models.CheckConstraint(
                condition=models.Q(buffer_before_minutes__lte=240, buffer_after_minutes__lte=240),
                name="coach_buffers_at_most_240_minutes",
            ),
        ]

    def __str__(self) -> str:
        return f"Coach {self.user.email}"


# --- Notifications issue: single-use account tokens (e-mail verification, password reset) ---------
class AccountToken(models.Model):
    """A token e-mailed to the user, stored as its SHA-256 only: a leaked table opens nothing."""

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email", "Verify e-mail"
        PASSWORD_RESET = "password_reset", "Password reset"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]


# --- end notifications ---
