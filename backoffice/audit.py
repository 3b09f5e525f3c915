"""The staff audit trail: Django admin's own ``LogEntry`` (each object's *History* page).

``LogEntry`` rows are appended, never updated, and no admin page edits or deletes them; a later
decision adds a row instead of overwriting the earlier one. Services write with conditional
``.update()`` calls, which save-signal history libraries (django-simple-history, django-auditlog)
never see, so the admin records what staff decided, in words, where the decision is made.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from accounts.models import User


def staff_audit(
    request_or_actor: HttpRequest | User, obj: models.Model, message: str, *, action_flag: int = CHANGE
) -> LogEntry:
    """Append ``message`` (plain words: what was decided, why, the internal note) to ``obj``'s history.
    Before a deletion, with ``action_flag=DELETION``: the row keeps the object's id and title."""
    actor = getattr(request_or_actor, "user", request_or_actor)
    return LogEntry.objects.create(
        user_id=actor.pk,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=action_flag,
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


def audit_entries(objects: Iterable[models.Model]) -> list[LogEntry]:
    """The History of all ``objects`` (of any models), oldest first: one query however many."""
    ids_by_type: dict[ContentType, list[str]] = {}
    for obj in objects:
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)  # cached
        ids_by_type.setdefault(content_type, []).append(str(obj.pk))
    if not ids_by_type:
        return []
    match = Q()
    for content_type, ids in ids_by_type.items():
        match |= Q(content_type=content_type, object_id__in=ids)
    return list(LogEntry.objects.filter(match).select_related("user").order_by("action_time", "id"))


def history_table(obj: models.Model) -> str:
    """``obj``'s staff history as a small table for its own page (the same rows as *History*)."""
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                date_format(entry.action_time, "DATETIME_FORMAT"),
                entry.user.get_full_name() or entry.user.email,
                entry.get_change_message(),
            )
            for entry in audit_entries([obj])
        ),
    )
    if not rows:
        return "No staff decision yet."
    return format_html(
        '<table class="staff-history"><thead><tr><th>When</th><th>Who</th><th>What</th></tr></thead>'
        "<tbody>{}</tbody></table>",
        rows,
    )
