from __future__ import annotations

import re

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.services import timezone_names
from availability.models import TimeOff
from availability.services import DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS, Rule
from availability.services.schedule import MAX_RULES
from config.api.contract import request_rules
from config.api.fields import StrictDateTimeField
from sessions_app.serializers import SessionSerializer
from sessions_app.services.policy import MAX_BUFFER_MINUTES

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", "example": "09:00"})
class WallClockField(serializers.Field):
    """``"HH:MM"`` as minutes of the day; ``"24:00"`` only where ``allow_midnight_end``."""

    default_error_messages = {"invalid": 'Use "HH:MM" (24-hour clock), for example "09:30".'}

    def __init__(self, *, allow_midnight_end: bool = False, **kwargs) -> None:
        self.allow_midnight_end = allow_midnight_end
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int:
        if self.allow_midnight_end and data == "24:00":
            return 1440
        match = _HHMM.match(data) if isinstance(data, str) else None
        if not match:
            self.fail("invalid")
        return int(match.group(1)) * 60 + int(match.group(2))

    def to_representation(self, value: int) -> str:
        return f"{value // 60:02d}:{value % 60:02d}"


@request_rules(
    lambda: {
        "properties": {
            "start": {"pattern": r"^([01]\d|2[0-3]):[0-5]\d$"},  # "24:00" ends a day, it does not start one
            "duration_minutes": {"enum": list(settings.APPOINTMENT_DURATIONS), "minimum": None, "maximum": None},
        },
        "description": (
            "After `start`, `end` comes on the same day, at least one slot of `duration_minutes` later; rules "
            "of one weekday do not overlap (both 400 `validation_error`, on `rules.<n>.end` and `rules`)."
        ),
    }
)
class RuleSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 is Monday.")
    start = WallClockField(source="start_minute")
    end = WallClockField(source="end_minute", allow_midnight_end=True)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)

    def validate(self, attrs):
        if attrs["end_minute"] <= attrs["start_minute"]:
            raise serializers.ValidationError({"end": ["The end must be after the start (same day)."]})
        return attrs


@request_rules(
    lambda: {
        "properties": {
            "timezone": {"enum": timezone_names(), "pattern": None, "description": "An IANA zone name."},
            "rules": {"maxItems": MAX_RULES},
        }
    }
)
class ScheduleSerializer(serializers.Serializer):
    timezone = serializers.CharField(max_length=64, required=False)
    rules = RuleSerializer(many=True)
    buffer_before_minutes = serializers.IntegerField(min_value=0, max_value=MAX_BUFFER_MINUTES, default=0)
    buffer_after_minutes = serializers.IntegerField(min_value=0, max_value=MAX_BUFFER_MINUTES, default=0)
    max_sessions_per_day = serializers.IntegerField(min_value=1, max_value=1000, allow_null=True, default=None)
    booking_horizon_days = serializers.IntegerField(
        min_value=1, max_value=MAX_HORIZON_DAYS, default=DEFAULT_HORIZON_DAYS
    )

    def validate_rules(self, value: list[dict]) -> list[Rule]:
        return [Rule(r["weekday"], r["start_minute"], r["end_minute"], r["duration_minutes"]) for r in value]


class PublishedSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    withdrawn = serializers.IntegerField()


class ScheduleAnswerSerializer(ScheduleSerializer):
    timezone = serializers.CharField()
    published = PublishedSerializer(required=False, help_text="Only in the answer to PUT.")


@request_rules(
    {
        "description": (
            "`end` comes after `start`, at most 366 days later, and is not past: 400 `validation_error` on `end`."
        )
    }
)
class TimeOffCreateSerializer(serializers.Serializer):
    start = StrictDateTimeField()
    end = StrictDateTimeField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TimeOffSerializer(serializers.ModelSerializer):
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = TimeOff
        fields = ["id", "start", "end", "reason", "conflicts"]
        read_only_fields = fields

    @extend_schema_field(SessionSerializer(many=True))
    def get_conflicts(self, time_off: TimeOff) -> list[dict]:
        """The coach's live sessions inside this time off (computed for a whole page at once)."""
        sessions = self.context.get("conflicts", {}).get(time_off.pk, [])
        return SessionSerializer(sessions, many=True, context=self.context).data


class CalendarUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
