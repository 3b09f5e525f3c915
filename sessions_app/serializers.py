from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from accounts.serializers import PersonSerializer
from config.api.fields import StrictDateTimeField
from sessions_app.models import Appointment, Session, SessionLog


class AppointmentSerializer(serializers.ModelSerializer):
    coach_id = serializers.UUIDField(read_only=True)
    is_booked = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Appointment
        fields = ["id", "coach_id", "start", "end", "duration_minutes", "is_booked"]
        read_only_fields = fields


class AppointmentCreateSerializer(serializers.Serializer):
    start = StrictDateTimeField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)


class RangeFilterSerializer(serializers.Serializer):
    # "from" is a keyword: declared through the fields dict below.
    pass


RangeFilterSerializer._declared_fields.update(  # noqa: SLF001 - DRF's documented way for reserved names
    {"from": StrictDateTimeField(required=False), "to": StrictDateTimeField(required=False)}
)


class SessionFilterSerializer(RangeFilterSerializer):
    status = serializers.CharField(required=False, help_text="One status, or several separated by commas.")
    type = serializers.ChoiceField(choices=["SCHEDULED", "INSTANT", "DIRECT"], required=False)

    def validate_status(self, value: str) -> list[str]:
        statuses = [v.strip().upper() for v in value.split(",") if v.strip()]
        bad = [v for v in statuses if v not in Session.Status.values]
        if bad:
            raise serializers.ValidationError(f"Unknown status: {', '.join(bad)}.")
        return statuses

    def validate_type(self, value: str) -> str:
        return "INSTANT" if value == "DIRECT" else value


SessionFilterSerializer._declared_fields.update(RangeFilterSerializer._declared_fields)  # noqa: SLF001


class SessionSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number", read_only=True)
    coach = PersonSerializer(read_only=True)
    customer = PersonSerializer(read_only=True)
    appointment_id = serializers.UUIDField(read_only=True, allow_null=True)  # null once a freed slot is deleted
    end_requested_by = serializers.UUIDField(source="end_requested_by_id", read_only=True, allow_null=True)
    cancelled_by = serializers.UUIDField(source="cancelled_by_id", read_only=True, allow_null=True)
    can_cancel = serializers.SerializerMethodField()
    can_start = serializers.SerializerMethodField()
    can_chat = serializers.SerializerMethodField()
    join_opens_at = serializers.DateTimeField(read_only=True)
    join_closes_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "number",
            "type",
            "status",
            "coach",
            "customer",
            "appointment_id",
            "scheduled_start",
            "scheduled_end",
            "duration_minutes",
            "price",
            "currency",
            "topic",
            "started_at",
            "ended_at",
            "end_requested_by",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "can_cancel",
            "can_start",
            "can_chat",
            "join_opens_at",
            "join_closes_at",
            "created_at",
        ]
        read_only_fields = fields

    def _now(self):
        if "now" not in self.context:
            self.context["now"] = timezone.now()
        return self.context["now"]

    def get_can_cancel(self, session: Session) -> bool:
        return session.status == Session.Status.PENDING

    def get_can_start(self, session: Session) -> bool:
        now = self._now()
        if session.status == Session.Status.PENDING:
            return session.join_opens_at <= now < session.join_closes_at
        return session.is_active and now < session.hard_end

    def get_can_chat(self, session: Session) -> bool:
        return session.is_active


class SessionBookSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["SCHEDULED", "INSTANT", "DIRECT"])
    appointment_id = serializers.UUIDField(required=False)
    coach_id = serializers.UUIDField(required=False)
    duration_minutes = serializers.IntegerField(required=False, min_value=1, max_value=24 * 60)
    topic = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def validate(self, attrs: dict) -> dict:
        if attrs["type"] == "DIRECT":
            attrs["type"] = Session.Type.INSTANT
        if attrs["type"] == Session.Type.SCHEDULED and not attrs.get("appointment_id"):
            raise serializers.ValidationError({"appointment_id": ["Required for a scheduled session."]})
        if attrs["type"] == Session.Type.INSTANT:
            errors = {}
            if not attrs.get("coach_id"):
                errors["coach_id"] = ["Required for an instant session."]
            if not attrs.get("duration_minutes"):
                errors["duration_minutes"] = ["Required for an instant session."]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class SessionUpdateSerializer(serializers.Serializer):
    topic = serializers.CharField(required=False, allow_blank=True, max_length=500)
    appointment_id = serializers.UUIDField(required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Send topic or appointment_id.")
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class SessionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Session.Status.choices)
    elapsed_seconds = serializers.IntegerField()
    remaining_seconds = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()
    end_requested_by = serializers.UUIDField(allow_null=True)
    scheduled_end = serializers.DateTimeField()


def session_timing(session: Session, now) -> dict:
    """Seconds since the call started and until the session's scheduled end (never negative)."""
    elapsed = int((now - session.started_at).total_seconds()) if session.started_at else 0
    if session.ended_at and session.started_at:
        elapsed = int((session.ended_at - session.started_at).total_seconds())
    if session.is_final:
        remaining = 0
    elif session.status == Session.Status.PENDING:
        # Not started: the whole duration is ahead (less if it starts late, near its end).
        remaining = max(0, min(session.duration_minutes * 60, int((session.scheduled_end - now).total_seconds())))
    else:
        remaining = max(0, int((session.scheduled_end - now).total_seconds()))
    return {
        "elapsed_seconds": max(0, elapsed),
        "remaining_seconds": remaining,
        "duration_seconds": session.duration_minutes * 60,
    }


class ActorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    role = serializers.CharField()


class SessionLogSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = SessionLog
        fields = ["id", "action", "text", "actor", "created_at"]
        read_only_fields = fields

    def get_actor(self, log: SessionLog) -> dict | None:
        if log.actor_id is None:
            return None
        return {"id": str(log.actor_id), "role": log.actor.role}


class SessionLogCreateSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=32)
    text = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")

    def validate_action(self, value: str) -> str:
        # As the SPEC spells them (MIC_OFF), like every other enum of the API: "mic_off" is a 400.
        if value not in SessionLog.Action.values:
            raise serializers.ValidationError(f"Unknown action '{value}'. Actions are upper case, e.g. MIC_OFF.")
        return value


class ReportUpdateSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    recommendations = serializers.ListField(child=serializers.CharField(max_length=2000), required=False, max_length=50)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class StartCallSerializer(serializers.Serializer):
    app_id = serializers.CharField()
    channel_name = serializers.CharField()
    uid = serializers.IntegerField()
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    elapsed_seconds = serializers.IntegerField()
    remaining_seconds = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()
    session = SessionSerializer()
    messages = serializers.ListField(child=serializers.DictField())


_ = settings
