"""Writes for accounts and coach profiles."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken

from accounts.errors import InvalidCredentials, LoginThrottled
from accounts.lockout import failure_keys
from accounts.models import CoachProfile, User
from accounts.tokens import email_verification_issue
from accounts.validators import password_policy_check
from config.api.errors import PermissionDeniedError, ValidationFailed
from config.dependencies import cache_required
from config.ratelimit import window_count, window_hit, window_reset
from events.services import event_emit


def user_register(*, email: str, password: str, first_name: str, last_name: str, role: str) -> User:
    email = email.strip().lower()
    if role not in (User.Role.CUSTOMER, User.Role.COACH):
        raise ValidationFailed(fields={"role": ["Choose customer or coach."]})
    candidate = User(email=email, first_name=first_name, last_name=last_name, role=role)
    password_policy_check(password, user=candidate, field="password")
    if User.objects.filter(email=email).exists():
        raise ValidationFailed(fields={"email": ["An account with this e-mail already exists."]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, first_name=first_name, last_name=last_name, role=role
            )
            # Notifications: the verification link is e-mailed once this commits.
            email_verification_issue(user=user)
            # The coach's profile comes from the post_save receiver (accounts/receivers.py).
    except IntegrityError as exc:  # two registrations of one address at once
        raise ValidationFailed(fields={"email": ["An account with this e-mail already exists."]}) from exc
    return user


def is_valid_timezone(name: str) -> bool:
    """An IANA zone name this machine's zoneinfo knows (``UTC`` included)."""
    return name in _zones()


def timezone_names() -> list[str]:
    """The IANA names ``is_valid_timezone`` accepts, sorted (the schema lists them)."""
    return sorted(_zones())


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


_ZONES: frozenset[str] | None = None


def user_update(
    *,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    timezone: str | None = None,
    language: str | None = None,
) -> User:
    """``PATCH me``: names, time zone and language. An unknown zone or language is a 400."""
    fields: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    if first_name is not None:
        fields["first_name"] = first_name.strip()
    if last_name is not None:
        fields["last_name"] = last_name.strip()
    if timezone is not None:
        if is_valid_timezone(timezone):
            fields["timezone"] = timezone
        else:
            errors["timezone"] = ["Use an IANA time zone name, such as Asia/Riyadh or Europe/Berlin."]
    if language is not None:
        if language in User.Language.values:
            fields["language"] = language
        else:
            errors["language"] = [f"Choose one of: {', '.join(User.Language.values)}."]
    if errors:
        raise ValidationFailed(fields=errors)
    if fields:
        User.objects.filter(pk=user.pk).update(**fields)
        for name, value in fields.items():
            setattr(user, name, value)
    return user


def user_login(*, email: str, password: str, address: str, request=None) -> tuple[AuthToken, str]:
    """Check the credentials and issue a Bearer token.

    Failed attempts are counted per account and per client address in the cache; past either
    limit every attempt (even a right password) is refused with 429 until the window passes.
    """
    email = email.strip().lower()
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    account_key, address_key = failure_keys(email, address)
    # The lockout lives in the cache: without it a password could be guessed without limit, so a
    # cache that is down refuses logins (503 dependency_unavailable) rather than skipping the count.
    with cache_required("login lockout"):
        if (
            window_count(account_key) >= settings.LOGIN_FAILURES_PER_ACCOUNT
            or window_count(address_key) >= settings.LOGIN_FAILURES_PER_ADDRESS
        ):
            raise LoginThrottled(retry_after=window)

        # The request goes along for django-axes, which guards the admin's login (and leaves this one alone).
        user = authenticate(request, username=email, password=password)
        if user is None:
            window_hit(account_key, window_seconds=window)
            window_hit(address_key, window_seconds=window)
            raise InvalidCredentials()
        window_reset(account_key)
    # The request authentication no longer sweeps a user's expired tokens on every request
    # (config/api/authentication.py): they go here, once per login.
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return instance, token


def user_logout(*, token: AuthToken) -> None:
    token.delete()


def coach_profile_of(coach: User) -> CoachProfile:
    """The coach's profile, created if a coach account lacks one (made or re-roled in the admin,
    or its profile deleted there): an API call must never fail on a missing row."""
    try:
        return coach.coach_profile
    except CoachProfile.DoesNotExist:
        profile, _ = CoachProfile.objects.get_or_create(user=coach)
        coach.coach_profile = profile
        return profile


def coach_profile_update(
    *,
    coach: User,
    bio: str | None = None,
    hourly_rate: Decimal | None = None,
    currency: str | None = None,
    categories: list[str] | None = None,
    languages: list[str] | None = None,
) -> CoachProfile:
    if not coach.is_coach:
        raise PermissionDeniedError("Only coaches have a coach profile.")
    profile = coach_profile_of(coach)
    changed = []
    for name, value in (
        ("bio", bio),
        ("hourly_rate", hourly_rate),
        ("currency", currency.upper() if currency else currency),
        ("categories", categories),
        ("languages", languages),
    ):
        if value is not None:
            setattr(profile, name, value)
            changed.append(name)
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
    return profile


def coach_set_availability(*, coach: User, availability: str) -> CoachProfile:
    if not coach.is_coach:
        raise PermissionDeniedError("Only coaches have an availability.")
    profile = coach_profile_of(coach)
    if availability == CoachProfile.Availability.ONLINE and not profile.is_verified:
        raise PermissionDeniedError("Your coach account is not verified yet.")
    profile.availability = availability
    profile.save(update_fields=["availability", "updated_at"])
    return profile


def coach_verify(*, coach: User, actor: User | None = None, now: datetime | None = None) -> bool:
    """Mark a coach verified. Returns False when it already was (idempotent)."""
    if not coach.is_coach:
        raise ValidationFailed(f"{coach.email} is not a coach account.")
    coach_profile_of(coach)
    with transaction.atomic():
        updated = CoachProfile.objects.filter(user=coach, is_verified=False).update(
            is_verified=True, verified_at=now or timezone.now(), verified_by=actor
        )
        if updated:
            event_emit(type="coach.verified", data={"coach_id": str(coach.pk)})
    return bool(updated)


def coach_unverify(*, coach: User) -> bool:
    """Take a coach's verification back (staff found a problem): the coach goes offline and, like a
    new coach, disappears from the public lists until verified again. Existing bookings stay.
    Returns False when the coach was not verified (idempotent)."""
    if not coach.is_coach:
        raise ValidationFailed(f"{coach.email} is not a coach account.")
    coach_profile_of(coach)
    updated = CoachProfile.objects.filter(user=coach, is_verified=True).update(
        is_verified=False,
        verified_at=None,
        verified_by=None,
        availability=CoachProfile.Availability.OFFLINE,
        updated_at=timezone.now(),
    )
    return bool(updated)
