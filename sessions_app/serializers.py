from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from accounts.serializers import PersonSerializer
from config.api.contract import request_rules
from config.api.fields import StrictDateTimeField
from sessions_app import registry, schema_rules
from sessions_app.models import Appointment, PostponeRequest, ProblemReport, Session, SessionLog
from sessions_app.renderings import attendance, can_start, session_timing
from sessions_app.selectors import SessionReportView

if TYPE_CHECKING:  # for the annotation only: importing it loads the services package, which imports this module
    from sessions_app.credentials import CallCredentials


class AppointmentSerializer(serializers.ModelSerializer):
    coach_id = serializers.UUIDField(read_only=True)
    is_booked = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Appointment
        # source: "one_off" (POST coach/appointments) or "schedule" (published from the weekly rules).
        fields = ["id", "coach_id", "start", "end", "duration_minutes", "is_booked", "source"]
        read_only_fields = fields


@request_rules(schema_rules.appointment_create)
class AppointmentCreateSerializer(serializers.Serializer):
    start = StrictDateTimeField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)


class RangeFilterSerializer(serializers.Serializer):
    # "from" is a keyword: declared through the fields dict below.
    pass


RangeFilterSerializer._declared_fields.update(  # DRF's documented way for reserved names
    {"from": StrictDateTimeField(required=False), "to": StrictDateTimeField(required=False)}
)


@request_rules(schema_rules.SESSION_FILTER)
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


SessionFilterSerializer._declared_fields.update(RangeFilterSerializer._declared_fields)


class AttendanceSerializer(serializers.Serializer):
    coach = serializers.ChoiceField(choices=Session.Attendance.choices)
    customer = serializers.ChoiceField(choices=Session.Attendance.choices)


class SessionSerializer(serializers.ModelSerializer):
    # The definition of a session's answer. The session list renders plain rows the same way
    # (sessions_app/renderings.py); a field added here goes there too (tests/sessions_app/test_renderings.py).

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
    attendance = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()

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
            "free_cancel_until",
            "late_cancellation",
            "attendance",
            "outcome",
            "confirmed_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AttendanceSerializer(allow_null=True))
    def get_attendance(self, session: Session) -> dict | None:
        return attendance(session)

    @extend_schema_field(serializers.ChoiceField(choices=Session.Outcome.choices, allow_null=True))
    def get_outcome(self, session: Session) -> str | None:
        return session.outcome or None

    def _now(self):
        if "now" not in self.context:
            self.context["now"] = timezone.now()
        return self.context["now"]

    def get_can_cancel(self, session: Session) -> bool:
        return session.status == Session.Status.PENDING

    def get_can_start(self, session: Session) -> bool:
        return can_start(session, self._now())

    def get_can_chat(self, session: Session) -> bool:
        return session.is_active


@request_rules(schema_rules.booking)
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


@request_rules(schema_rules.SESSION_UPDATE)
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


class ActorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    role = serializers.CharField()


class SessionLogSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = SessionLog
        fields = ["id", "action", "text", "actor", "created_at"]
        read_only_fields = fields

    @extend_schema_field(ActorSerializer(allow_null=True))
    def get_actor(self, log: SessionLog) -> dict | None:
        if log.actor_id is None:
            return None
        return {"id": str(log.actor_id), "role": log.actor.role}


@request_rules(schema_rules.LOG_CREATE)
class SessionLogCreateSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=32)
    text = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")

    def validate_action(self, value: str) -> str:
        # As the SPEC spells them (MIC_OFF), like every other enum of the API: "mic_off" is a 400.
        if value not in SessionLog.Action.values:
            raise serializers.ValidationError(f"Unknown action '{value}'. Actions are upper case, e.g. MIC_OFF.")
        return value


@request_rules(schema_rules.REPORT_UPDATE)
class ReportUpdateSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    recommendations = serializers.ListField(child=serializers.CharField(max_length=2000), required=False, max_length=50)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class MediaEncryptionSerializer(serializers.Serializer):
    mode = serializers.CharField(help_text="AES_128_GCM2")
    key = serializers.CharField(help_text="64 hex characters; pass to Agora's enableEncryption")
    salt = serializers.CharField(help_text="base64 of 32 bytes; decode it to the 32-byte KDF salt")


class TokenRenewSerializer(serializers.Serializer):
    token = serializers.CharField()
    uid = serializers.IntegerField()
    channel_name = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PostponeRequestSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(read_only=True)
    proposed_appointment_id = serializers.UUIDField(read_only=True, allow_null=True)
    requested_by = serializers.SerializerMethodField()

    class Meta:
        model = PostponeRequest
        fields = [
            "id",
            "session_id",
            "status",
            "proposed_appointment_id",
            "proposed_start",
            "proposed_end",
            "requested_by",
            "reason",
            "expires_at",
            "created_at",
            "answered_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ActorSerializer)
    def get_requested_by(self, request: PostponeRequest) -> dict:
        return {"id": str(request.requested_by_id), "role": request.requested_by.role}


class PostponeRequestCreateSerializer(serializers.Serializer):
    appointment_id = serializers.UUIDField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ProblemReportSerializer(serializers.ModelSerializer):
    reported_by = serializers.SerializerMethodField()

    class Meta:
        model = ProblemReport
        fields = ["id", "kind", "text", "reported_by", "status", "response", "resolution", "created_at"]
        read_only_fields = fields

    @extend_schema_field(ActorSerializer)
    def get_reported_by(self, report: ProblemReport) -> dict:
        return {"id": str(report.reported_by_id), "role": report.reported_by.role}


class ProblemReportCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProblemReport.Kind.choices)
    text = serializers.CharField(min_length=1, max_length=4000)


class ProblemResponseSerializer(serializers.Serializer):
    text = serializers.CharField(min_length=1, max_length=4000)


def _core_call_fields() -> dict:
    return {
        "app_id": serializers.CharField(),
        "channel_name": serializers.CharField(),
        "uid": serializers.IntegerField(),
        "token": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
        "encryption": MediaEncryptionSerializer(allow_null=True),
        "elapsed_seconds": serializers.IntegerField(),
        "remaining_seconds": serializers.IntegerField(),
        "duration_seconds": serializers.IntegerField(),
        "session": SessionSerializer(),
    }


def start_call_schema():
    """The OpenAPI shape of ``start-call``, satellites' parts included (built once the apps are ready)."""
    return inline_serializer(
        name="StartCall", fields={**_core_call_fields(), **registry.schema_fields(registry.START_CALL)}
    )


def start_call_data(creds: CallCredentials, *, parts: list, now, request) -> dict:
    session = creds.session
    return {
        "app_id": creds.app_id,
        "channel_name": creds.channel_name,
        "uid": creds.uid,
        "token": creds.token,
        "expires_at": serializers.DateTimeField().to_representation(creds.expires_at),
        # Only here: the key is for the participants' clients (enableEncryption) alone.
        "encryption": creds.encryption.as_dict() if creds.encryption else None,
        **session_timing(session, now),
        "session": SessionSerializer(session, context={"now": now}).data,
        **registry.render_parts(parts, request=request),
    }


def report_schema():
    """The OpenAPI shape of the report, satellites' parts included (built once the apps are ready)."""
    return inline_serializer(
        name="SessionReport",
        fields={
            "session": SessionSerializer(),
            "scheduled_start": serializers.DateTimeField(),
            "scheduled_end": serializers.DateTimeField(),
            "started_at": serializers.DateTimeField(allow_null=True),
            "ended_at": serializers.DateTimeField(allow_null=True),
            "actual_duration_seconds": serializers.IntegerField(),
            "participants": serializers.ListField(child=serializers.DictField()),
            "attendance": AttendanceSerializer(allow_null=True),
            "outcome": serializers.ChoiceField(choices=Session.Outcome.choices, allow_null=True),
            "timeline": SessionLogSerializer(many=True),
            **registry.schema_fields(registry.REPORT),
            "coach_summary": serializers.CharField(),
            "coach_recommendations": serializers.ListField(child=serializers.CharField()),
            "customer_notes": serializers.CharField(),
        },
    )


def _datetime(value) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


def session_report_data(report: SessionReportView, *, request) -> dict:
    session = report.session
    rendered = SessionSerializer(session).data
    return {
        "session": rendered,
        "scheduled_start": _datetime(session.scheduled_start),
        "scheduled_end": _datetime(session.scheduled_end),
        "started_at": _datetime(session.started_at),
        "ended_at": _datetime(session.ended_at),
        "actual_duration_seconds": report.actual_duration_seconds,
        "participants": [
            {
                "user_id": person.user_id,
                "role": person.role,
                "first_joined_at": _datetime(person.first_joined_at),
                "last_left_at": _datetime(person.last_left_at),
                "reconnects": person.reconnects,
            }
            for person in report.participants
        ],
        "attendance": rendered["attendance"],
        "outcome": rendered["outcome"],
        "timeline": SessionLogSerializer(report.timeline, many=True).data,
        **registry.render_parts(report.parts, request=request),
        "coach_summary": report.written.coach_summary,
        "coach_recommendations": report.written.coach_recommendations,
        "customer_notes": report.written.customer_notes,
    }
