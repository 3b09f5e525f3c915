from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from rest_framework import serializers

# Far enough from datetime's own limits that adding a duration or converting zones never overflows.
MIN_YEAR, MAX_YEAR = 1970, 2999


class StrictDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset; a naive datetime is refused, answers are UTC with ``Z``."""

    default_error_messages = {
        "naive": "Datetimes need a UTC offset or 'Z' (for example 2026-01-31T09:00:00Z).",
        "range": f"Use a datetime between the years {MIN_YEAR} and {MAX_YEAR}.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
            except ValueError:
                self.fail("invalid", format="ISO 8601 with an offset")
            if timezone.is_naive(parsed):
                self.fail("naive")
            try:
                parsed = parsed.astimezone(UTC)
            except OverflowError:
                self.fail("range")
            if not (MIN_YEAR <= parsed.year <= MAX_YEAR):
                self.fail("range")
            return parsed
        if isinstance(value, datetime) and timezone.is_naive(value):
            self.fail("naive")
        return super().to_internal_value(value)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: "5", 5.0 and true are refused rather than coerced."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string only: numbers and booleans are refused rather than turned into text."""

    default_error_messages = {"not_a_string": "Send text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
