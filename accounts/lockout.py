"""The API login's lockout: failed attempts counted per account and per client address.

The counters are windows of ``LOGIN_FAILURE_WINDOW_SECONDS`` in the cache (``config.ratelimit``);
past ``LOGIN_FAILURES_PER_ACCOUNT`` or ``LOGIN_FAILURES_PER_ADDRESS`` every attempt is refused
until the window passes. A password reset lifts the account's count (``accounts.tokens``).
"""

from __future__ import annotations

from config.ratelimit import window_reset


def failure_keys(email: str, address: str) -> tuple[str, str]:
    """The cache keys counting the failures of an account (by e-mail) and of a client address."""
    return f"login-fail:acct:{email}", f"login-fail:addr:{address}"


def lockout_lift(email: str) -> None:
    """Forget the account's failed attempts (the address's count stays: it may be guessing others)."""
    account_key, _address_key = failure_keys(email, "")
    window_reset(account_key)
