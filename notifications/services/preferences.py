"""Who wants what where: ``GET/PUT me/notification-preferences``."""

from __future__ import annotations

from collections.abc import Iterable

from config.api.errors import ValidationFailed
from notifications.kinds import EMAIL_DEFAULT_OFF, MANDATORY_EMAIL, email_kinds, push_kinds
from notifications.models import NotificationPreference


def _defaults() -> dict[str, dict[str, bool]]:
    return {
        "email": {kind: kind not in EMAIL_DEFAULT_OFF for kind in email_kinds()},
        "push": {kind: True for kind in push_kinds()},
    }


def _merge(row: NotificationPreference | None) -> dict[str, dict[str, bool]]:
    prefs = _defaults()
    if row is not None:
        for channel in ("email", "push"):
            stored = getattr(row, channel) or {}
            for kind in prefs[channel]:
                if isinstance(stored.get(kind), bool):
                    prefs[channel][kind] = stored[kind]
    for kind in MANDATORY_EMAIL:
        prefs["email"][kind] = True
    return prefs


def preferences_get(*, user) -> dict[str, dict[str, bool]]:
    return _merge(NotificationPreference.objects.filter(user=user).first())


def preferences_for_users(*, user_ids: Iterable) -> dict:
    """Every user's merged preferences in one query (the planner's fan-out)."""
    ids = list(user_ids)
    rows = {row.user_id: row for row in NotificationPreference.objects.filter(user_id__in=ids)}
    return {user_id: _merge(rows.get(user_id)) for user_id in ids}


def preferences_update(*, user, email: dict | None = None, push: dict | None = None) -> dict:
    """Change some switches; kinds not named keep their value. ``account_email`` stays on."""
    errors: dict[str, list[str]] = {}
    for channel, given, allowed in (("email", email, email_kinds()), ("push", push, push_kinds())):
        if given is None:
            continue
        if not isinstance(given, dict):
            errors[channel] = ["Send an object of kind: true|false."]
            continue
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            errors[channel] = [f"Unknown kind: {', '.join(unknown)}."]
        if any(not isinstance(v, bool) for v in given.values()):
            errors.setdefault(channel, []).append("Every value must be true or false.")
    if email and any(email.get(kind) is False for kind in MANDATORY_EMAIL):
        errors.setdefault("email", []).append("Account e-mails (verification, password reset) cannot be switched off.")
    if errors:
        raise ValidationFailed(fields=errors)
    row, _ = NotificationPreference.objects.get_or_create(user=user)
    if email:
        row.email = {**row.email, **email}
    if push:
        row.push = {**row.push, **push}
    row.save()
    return _merge(row)
