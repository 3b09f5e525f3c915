"""Signals the accounts app sends."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit with ``user``, ``purpose`` ("verify_email" | "password_reset") and the raw
# ``token``: the notifications app e-mails the link (accounts knows nothing of e-mail).
account_token_issued = Signal()
