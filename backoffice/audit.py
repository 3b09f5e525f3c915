"""The staff audit trail: Django admin's own ``LogEntry`` (each object's *History* page).

``LogEntry`` rows are appended, never updated, and no admin page edits or deletes them; a later
decision adds a row instead of overwriting the earlier one. Services write with conditional
``.update()`` calls, which save-signal history libraries (django-simple-history, django-auditlog)
never see, so the admin records what staff decided, in words, where the decision is made.
"""

from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from accounts.models import User


def staff_audit(request_or_actor: HttpRequest | User, obj: models.Model, message: str) -> LogEntry:
    """Append ``message`` (plain words: what was decided, why, the internal note) to ``obj``'s history."""
    actor = getattr(request_or_actor, "user", request_or_actor)
    return LogEntry.objects.create(
        user_id=actor.pk,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message=message,
    )


def with_note(message: str, *, reason: str = "", note: str = "", reason_label: str = "Reason") -> str:
    """``message`` with the reason given to people and the staff-only note, as History shows them."""
    parts = [message]
    if reason:
        parts.append(f"{reason_label}: {reason}")
    if note:
        parts.append(f"Internal note: {note}")
    return ". ".join(p.rstrip(".") for p in parts) + "."
