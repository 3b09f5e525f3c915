"""Receivers: the accounts app asks for account e-mails through its signal (accounts/signals.py)."""

from __future__ import annotations

from django.dispatch import receiver

from accounts.signals import account_token_issued
from config.tasks import enqueue_on_commit


@receiver(account_token_issued, dispatch_uid="notifications.account_email")
def send_account_email(sender, user, purpose: str, token: str, **kwargs) -> None:
    enqueue_on_commit("notifications.tasks.send_account_email", str(user.pk), purpose, token)
