from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from rest_framework import serializers


class StrictDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset; a naive datetime is refused, answers are UTC with ``Z``."""

    default_error_messages = {
        "naive": "Datetimes need a UTC offset or 'Z' (for example 2026-01-31T09:00:00Z).",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
            except ValueError:
                self.fail("invalid", format="ISO 8601 with an offset")
            if timezone.is_naive(parsed):
                self.fail("naive")
            return parsed.astimezone(UTC)
        if isinstance(value, datetime) and timezone.is_naive(value):
            self.fail("naive")
        return super().to_internal_value(value)
