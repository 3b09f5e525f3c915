from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Far enough from datetime's own limits that adding a duration or converting zones never overflows.
MIN_YEAR, MAX_YEAR = 1970, 2999

# RFC 3339 (what "format: date-time" means) without the leap second Python refuses, and the year range: on
# the local date, with the day on each side that an offset can bring inside the range in UTC.
_DATE = r"(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])|1969-12-31|3000-01-01"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
DATE_TIME_PATTERN = rf"^(?:{_DATE})[Tt]{_TIME}(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": DATE_TIME_PATTERN,
        "description": (
            f"RFC 3339 with `Z` or an offset (without one: 400), between the years {MIN_YEAR} and {MAX_YEAR} in "
            f"UTC: {MIN_YEAR - 1}-12-31 and {MAX_YEAR + 1}-01-01 only where the offset brings them inside."
        ),
    }
)
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
