"""Account tokens: e-mail verification and password reset (SPEC 8), and the password change.

Tokens are 256 random bits handed out once (in the e-mail, through ``account_token_issued``) and
stored as their SHA-256. Using one is a conditional ``UPDATE ... WHERE used_at IS NULL AND
expires_at > now``: of two requests with the same token one wins, the other gets a 400.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from accounts.lockout import lockout_lift
from accounts.models import AccountToken, User
from accounts.signals import account_token_issued
from accounts.validators import password_policy_check
from config.api.errors import ValidationFailed

Purpose = AccountToken.Purpose


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _invalid_token() -> ValidationFailed:
    return ValidationFailed(fields={"token": [_("This link is invalid or has expired.")]})


def account_token_issue(*, user: User, purpose: str, ttl: timedelta, now: datetime | None = None) -> str:
    """Make a token, keep its digest, and have it e-mailed once the caller's transaction commits."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    AccountToken.objects.create(user=user, purpose=purpose, digest=_digest(token), created_at=now, expires_at=now + ttl)
    transaction.on_commit(
        lambda: account_token_issued.send(sender=AccountToken, user=user, purpose=purpose, token=token)
    )
    return token


def email_verification_issue(*, user: User) -> str:
    return account_token_issue(
        user=user, purpose=Purpose.VERIFY_EMAIL, ttl=timedelta(hours=settings.EMAIL_VERIFICATION_TTL_HOURS)
    )


def _consume(*, token: str, purpose: str, now: datetime) -> AccountToken:
    row = AccountToken.objects.select_related("user").filter(digest=_digest(token), purpose=purpose).first()
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.is_active:
        raise _invalid_token()
    used = AccountToken.objects.filter(pk=row.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if used != 1:
        raise _invalid_token()
    return row


def email_verify(*, token: str, now: datetime | None = None) -> User:
    now = now or timezone.now()
    with transaction.atomic():
        row = _consume(token=token, purpose=Purpose.VERIFY_EMAIL, now=now)
        User.objects.filter(pk=row.user_id).update(email_verified=True)
    row.user.email_verified = True
    return row.user


def password_reset_request(*, email: str, now: datetime | None = None) -> None:
    """E-mail a reset link if an active account has this address; say nothing either way."""
    user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
    if user is None:
        return
    with transaction.atomic():
        account_token_issue(
            user=user,
            purpose=Purpose.PASSWORD_RESET,
            ttl=timedelta(minutes=settings.PASSWORD_RESET_TTL_MINUTES),
            now=now,
        )


def password_reset_confirm(*, token: str, password: str, now: datetime | None = None) -> User:
    """Set a new password with a reset token: every API token of the user is revoked, every other
    reset link dies with this one, and the failed-login lockout of the account is lifted."""
    now = now or timezone.now()
    row = (
        AccountToken.objects.select_related("user")
        .filter(digest=_digest(token), purpose=Purpose.PASSWORD_RESET)
        .first()
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _invalid_token()
    # The policy first: a refused password does not spend the link.
    password_policy_check(password, user=row.user, field="password")
    with transaction.atomic():
        row = _consume(token=token, purpose=Purpose.PASSWORD_RESET, now=now)
        user = row.user
        user.set_password(password)
        user.save(update_fields=["password"])
        AccountToken.objects.filter(user=user, purpose=Purpose.PASSWORD_RESET, used_at__isnull=True).update(used_at=now)
        AuthToken.objects.filter(user=user).delete()
    lockout_lift(user.email)
    return user


def password_change(*, user: User, current_password: str, new_password: str, keep_token: AuthToken | None) -> None:
    """``POST auth/password``: the other sessions (API tokens) of the user are revoked."""
    if not user.check_password(current_password):
        raise ValidationFailed(fields={"current_password": [_("The current password is wrong.")]})
    password_policy_check(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        others = AuthToken.objects.filter(user=user)
        if keep_token is not None:
            others = others.exclude(pk=keep_token.pk)
        others.delete()
        AccountToken.objects.filter(user=user, purpose=Purpose.PASSWORD_RESET, used_at__isnull=True).update(
            used_at=timezone.now()
        )
