"""Reads of the personal-data domain."""

from __future__ import annotations

from accounts.models import User
from privacy.models import DataExport


def data_export_latest(*, user: User) -> DataExport | None:
    return DataExport.objects.filter(user=user).order_by("-created_at").first()
