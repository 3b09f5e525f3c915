"""How the console shows people, sizes and durations."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html


def person(viewer, user) -> str:
    """ "Ines Lopez <ines@example.com>", linked to the user's page only for those who may open it."""
    label = f"{user.get_full_name()} <{user.email}>"
    if viewer.has_perm("accounts.view_user"):
        return format_html('<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[user.pk]), label)
    return label


def duration(seconds: float | int | None) -> str:
    """``1 h 05 min``, ``45 min``, ``50 s``."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def when(value) -> str:
    """``2026-03-15 14:05 UTC``, the console's one date format, or ``-``. For display methods: Django
    formats a model field's datetime on a read-only page, not a datetime a method returns."""
    return date_format(value, "DATETIME_FORMAT") if value else "-"
