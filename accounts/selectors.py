"""Reads for accounts and coaches."""

from __future__ import annotations

import json
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from accounts.models import CoachProfile, User


def user_me(*, user: User) -> User:
    """The caller as ``GET me`` shows them: a coach with their profile (one query, not two)."""
    if user.is_coach:
        return User.objects.select_related("coach_profile").get(pk=user.pk)
    return user


def coach_list(*, filters: dict | None = None) -> QuerySet[CoachProfile]:
    """Verified, active coaches only: an unverified coach does not exist for anybody else."""
    filters = filters or {}
    qs = CoachProfile.objects.select_related("user").filter(
        is_verified=True, user__is_active=True, user__role=User.Role.COACH
    )
    if category := filters.get("category"):
        qs = _json_list_contains(qs, "categories", category)
    if language := filters.get("language"):
        qs = _json_list_contains(qs, "languages", language)
    if availability := filters.get("availability"):
        qs = qs.filter(availability=availability)
    # min_rating=0 means "any": coaches with no approved rating yet stay in the list.
    if (min_rating := filters.get("min_rating")) is not None and min_rating > 0:
        qs = qs.filter(rating_average__gte=Decimal(str(min_rating)))
    return qs.order_by("user__first_name", "user__last_name", "user_id")


def _json_list_contains(qs: QuerySet, field: str, value: str) -> QuerySet:
    if connection.vendor == "postgresql":
        # jsonb @> uses the GIN-able containment operator; case-insensitivity comes from
        # storing categories and languages lower-cased.
        return qs.filter(**{f"{field}__contains": [value.lower()]})
    # SQLite has no JSON containment: match the element's JSON text, quotes included.
    return qs.filter(**{f"{field}__icontains": json.dumps(value.lower())})


def coach_get(*, coach_id) -> CoachProfile | None:
    return coach_list().filter(user_id=coach_id).first()


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email=email.strip().lower()).first()
