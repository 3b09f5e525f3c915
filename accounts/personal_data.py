"""What accounts gives an export (profile.json) and does in an erasure (lock out, anonymise)."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from knox.models import AuthToken

from accounts.models import AccountToken, CoachProfile, User
from privacy import registry

DELETED_NAME = "Deleted user"
PLACEHOLDER_DOMAIN = "deleted.invalid"  # .invalid never resolves (RFC 2606): no mail can reach anyone


def placeholder_email(user: User) -> str:
    return f"deleted-{user.pk.hex}@{PLACEHOLDER_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email == placeholder_email(user)


def export_profile(ctx: registry.ExportContext) -> dict:
    user = ctx.user
    profile = {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "timezone": user.timezone,
        "language": user.language,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "coach_profile": None,
    }
    coach = CoachProfile.objects.filter(user=user).first()
    if coach is not None:
        profile["coach_profile"] = {
            "bio": coach.bio,
            "hourly_rate": coach.hourly_rate,
            "currency": coach.currency,
            "categories": coach.categories,
            "languages": coach.languages,
            "availability": coach.availability,
            "is_verified": coach.is_verified,
            "verified_at": coach.verified_at,
            "rating_average": coach.rating_average,
            "rating_count": coach.rating_count,
        }
    return profile


def erase_lock_out(ctx: registry.ErasureContext) -> dict:
    """First of all: nobody can act as the person any more (no login, no token)."""
    user = ctx.user
    with transaction.atomic():
        if user.has_usable_password():  # once: a second erasure leaves the row as it is
            user.set_unusable_password()
        User.objects.filter(pk=user.pk).update(
            is_active=False, is_staff=False, is_superuser=False, password=user.password
        )
        user.groups.clear()
        user.user_permissions.clear()
        tokens, _ = AuthToken.objects.filter(user=user).delete()
    return {"tokens_revoked": tokens}


def erase_identity(ctx: registry.ErasureContext) -> dict:
    """Last: names and e-mail go, a coach profile is unlisted and its text erased. The row stays,
    so sessions, prices and the other participant's history keep their facts."""
    user = ctx.user
    changed = int(not is_erased(user))
    User.objects.filter(pk=user.pk).update(
        first_name=DELETED_NAME, last_name="", email=placeholder_email(user), last_login=None
    )
    # The admin's history names objects by str(), which for accounts and profiles is the e-mail.
    LogEntry.objects.filter(
        content_type__in=[ContentType.objects.get_for_model(m) for m in (User, CoachProfile)],
        object_id=str(user.pk),
    ).update(object_repr=DELETED_NAME)
    profiles = CoachProfile.objects.filter(user=user).update(
        bio="",
        categories=[],
        languages=[],
        is_verified=False,
        availability=CoachProfile.Availability.OFFLINE,
    )
    return {"account_anonymised": changed, "coach_profile_unlisted": profiles}


def erase_account_tokens(ctx: registry.ErasureContext) -> dict:
    """E-mailed verification and reset links stop working: a reset must not bring the account back;
    and the admin's login records (django-axes) of the address go too."""
    deleted, _ = AccountToken.objects.filter(user=ctx.user).delete()
    email = ctx.user.email
    attempts = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        attempts += model.objects.filter(username__iexact=email).delete()[0]
    return {"account_tokens": deleted, "admin_login_records": attempts}


def register() -> None:
    registry.register_export_part("profile.json", export_profile)
    registry.register_erasure_step("accounts.lock_out", erase_lock_out, order=10)
    registry.register_erasure_step("accounts.account_tokens", erase_account_tokens, order=11)
    registry.register_erasure_step("accounts.identity", erase_identity, order=90)
