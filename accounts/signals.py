"""Receivers of the accounts app."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from accounts.models import CoachProfile, User


@receiver(post_save, sender=User, dispatch_uid="accounts.coach_profile_for_coaches")
def ensure_coach_profile(sender, instance: User, raw: bool = False, **kwargs) -> None:
    """Every coach account has a profile, however it became a coach (registration, the admin's
    add form, a role changed by staff). Fixtures (``raw``) bring their own rows."""
    if not raw and instance.role == User.Role.COACH:
        CoachProfile.objects.get_or_create(user=instance)


# --- Notifications issue ----------------------------------------------------------------------------
# Sent after commit with ``user``, ``purpose`` ("verify_email" | "password_reset") and the raw
# ``token``: the notifications app e-mails the link (accounts knows nothing of e-mail).
account_token_issued = Signal()
# --- end notifications ---
