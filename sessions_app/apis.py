from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCoach, IsCustomer
from chat import selectors as chat_selectors
from config.api.errors import NotFoundError
from config.api.schema import errors
from recordings import selectors as recording_selectors
from sessions_app import selectors, services
from sessions_app.errors import ReportNotAvailable
from sessions_app.models import Appointment, Session
from sessions_app.serializers import (
    AppointmentCreateSerializer,
    AppointmentSerializer,
    CancelSerializer,
    RangeFilterSerializer,
    ReportUpdateSerializer,
    SessionBookSerializer,
    SessionFilterSerializer,
    SessionLogCreateSerializer,
    SessionLogSerializer,
    SessionSerializer,
    SessionStatusSerializer,
    SessionUpdateSerializer,
    StartCallSerializer,
    session_timing,
)

SESSION_ERRORS = ("not_authenticated", "not_found")


# --- appointments ----------------------------------------------------------------------------------


class CoachAppointmentListApi(ListAPIView):
    permission_classes = [IsAuthenticated, IsCoach]
    serializer_class = AppointmentSerializer
    filter_backends: list = []

    def get_queryset(self):
        filters = RangeFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.appointment_list_for_coach(coach=self.request.user, filters=filters.validated_data)

    @extend_schema(
        parameters=[RangeFilterSerializer],
        responses={
            200: AppointmentSerializer(many=True),
            **errors("validation_error", "not_authenticated", "permission_denied"),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=AppointmentCreateSerializer,
        responses={
            201: AppointmentSerializer,
            **errors("validation_error", "not_authenticated", "permission_denied", "slot_unavailable"),
        },
    )
    def post(self, request):
        serializer = AppointmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = services.appointment_create(coach=request.user, **serializer.validated_data)
        appointment.is_booked = False
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)


class CoachAppointmentDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsCoach]

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted."),
            **errors("not_authenticated", "permission_denied", "not_found", "slot_unavailable"),
        }
    )
    def delete(self, request, appointment_id):
        appointment = Appointment.objects.filter(pk=appointment_id, coach=request.user, is_instant=False).first()
        if appointment is None:
            raise NotFoundError("No such appointment.")
        services.appointment_delete(coach=request.user, appointment=appointment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoachFreeAppointmentsApi(ListAPIView):
    serializer_class = AppointmentSerializer
    filter_backends: list = []

    def get_queryset(self):
        filters = RangeFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.appointment_free_for_coach(coach_id=self.kwargs["coach_id"], filters=filters.validated_data)

    @extend_schema(
        parameters=[RangeFilterSerializer],
        responses={
            200: AppointmentSerializer(many=True),
            **errors("validation_error", "not_authenticated", "not_found"),
        },
    )
    def get(self, request, *args, **kwargs):
        from accounts.selectors import coach_get

        if coach_get(coach_id=kwargs["coach_id"]) is None:
            raise NotFoundError("No such coach.")
        return super().get(request, *args, **kwargs)


# --- sessions --------------------------------------------------------------------------------------------


class SessionListApi(ListAPIView):
    serializer_class = SessionSerializer
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params.dict()
        # ?status=A&status=B means the same as ?status=A,B
        params["status"] = ",".join(self.request.query_params.getlist("status")) or None
        filters = SessionFilterSerializer(data={k: v for k, v in params.items() if v is not None})
        filters.is_valid(raise_exception=True)
        return selectors.session_list_for_user(user=self.request.user, filters=filters.validated_data)

    @extend_schema(
        parameters=[SessionFilterSerializer],
        responses={200: SessionSerializer(many=True), **errors("validation_error", "not_authenticated")},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SessionBookSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat a booking safely: the same key replays the first answer.",
            )
        ],
        responses={
            201: SessionSerializer,
            **errors(
                "validation_error",
                "free_sessions_disabled",
                "booking_too_late",
                "duration_exceeds_appointment",
                "not_authenticated",
                "permission_denied",
                "slot_unavailable",
                "coach_unavailable",
                "idempotency_conflict",
            ),
        },
    )
    def post(self, request):
        if not IsCustomer().has_permission(request, self):
            from config.api.errors import PermissionDeniedError

            raise PermissionDeniedError("Only customers book sessions.")
        serializer = SessionBookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def perform() -> tuple[int, dict]:
            if data["type"] == Session.Type.SCHEDULED:
                session = services.session_book_scheduled(
                    customer=request.user,
                    appointment_id=data["appointment_id"],
                    duration_minutes=data.get("duration_minutes"),
                    topic=data["topic"],
                )
            else:
                session = services.session_book_instant(
                    customer=request.user,
                    coach_id=data["coach_id"],
                    duration_minutes=data["duration_minutes"],
                    topic=data["topic"],
                )
            return status.HTTP_201_CREATED, SessionSerializer(session).data

        key = request.headers.get("Idempotency-Key")
        if key is None:
            code, body = perform()
            return Response(body, status=code)
        replay = services.idempotent(
            user=request.user, key=key, fingerprint=services.request_fingerprint(dict(data)), perform=perform
        )
        response = Response(replay.body, status=replay.status)
        response["Idempotency-Key"] = key
        return response


class SessionCurrentApi(APIView):
    @extend_schema(responses={200: SessionSerializer, **errors("not_authenticated", "not_found")})
    def get(self, request):
        session = selectors.session_current(user=request.user)
        if session is None:
            raise NotFoundError("No active or upcoming session to join.")
        return Response(SessionSerializer(session).data)


class SessionDetailApi(APIView):
    @extend_schema(responses={200: SessionSerializer, **errors(*SESSION_ERRORS)})
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        return Response(SessionSerializer(session).data)

    @extend_schema(
        request=SessionUpdateSerializer,
        responses={
            200: SessionSerializer,
            **errors(
                "validation_error",
                "booking_too_late",
                "duration_exceeds_appointment",
                *SESSION_ERRORS,
                "invalid_state",
                "slot_unavailable",
                "session_ended",
            ),
        },
    )
    def patch(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = SessionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "appointment_id" in data:
            session = services.session_reschedule(
                session=session, user=request.user, appointment_id=data["appointment_id"]
            )
        if "topic" in data:
            session = services.session_update_topic(session=session, user=request.user, topic=data["topic"])
        return Response(SessionSerializer(session).data)


class SessionStatusApi(APIView):
    @extend_schema(responses={200: SessionStatusSerializer, **errors(*SESSION_ERRORS)})
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        timing = session_timing(session, timezone.now())
        status = {
            "status": session.status,
            **timing,
            "end_requested_by": session.end_requested_by_id,
            "scheduled_end": session.scheduled_end,
        }
        return Response(SessionStatusSerializer(status).data)


class SessionCancelApi(APIView):
    @extend_schema(
        request=CancelSerializer,
        responses={200: SessionSerializer, **errors("validation_error", *SESSION_ERRORS, "invalid_state")},
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_cancel(session=session, by=request.user, reason=serializer.validated_data["reason"])
        return Response(SessionSerializer(session).data)


class SessionStartCallApi(APIView):
    @extend_schema(
        request=None,
        responses={200: StartCallSerializer, **errors(*SESSION_ERRORS, "invalid_state", "outside_join_window")},
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        now = timezone.now()
        creds = services.session_start_call(session=session, user=request.user, now=now)
        session = creds.session
        return Response(
            {
                "app_id": creds.app_id,
                "channel_name": creds.channel_name,
                "uid": creds.uid,
                "token": creds.token,
                "expires_at": serializers.DateTimeField().to_representation(creds.expires_at),
                **session_timing(session, now),
                "session": SessionSerializer(session, context={"now": now}).data,
                "messages": chat_selectors.messages_for_call(session=session, request=request),
            }
        )


class SessionEndApi(APIView):
    @extend_schema(request=None, responses={200: SessionSerializer, **errors(*SESSION_ERRORS, "invalid_state")})
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        session = services.session_request_end(session=session, user=request.user)
        return Response(SessionSerializer(session).data)


class SessionEndDeclineApi(APIView):
    @extend_schema(request=None, responses={200: SessionSerializer, **errors(*SESSION_ERRORS, "invalid_state")})
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        session = services.session_decline_end(session=session, user=request.user)
        return Response(SessionSerializer(session).data)


class SessionLogsApi(ListAPIView):
    serializer_class = SessionLogSerializer
    filter_backends: list = []

    def get_queryset(self):
        session = selectors.session_get_for_user(user=self.request.user, session_id=self.kwargs["session_id"])
        return selectors.session_logs(session=session)

    @extend_schema(responses={200: SessionLogSerializer(many=True), **errors(*SESSION_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SessionLogCreateSerializer,
        responses={201: SessionLogSerializer, **errors("validation_error", *SESSION_ERRORS, "session_ended")},
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = SessionLogCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        log = services.session_log_add(session=session, user=request.user, **serializer.validated_data)
        return Response(SessionLogSerializer(log).data, status=status.HTTP_201_CREATED)


ReportSerializer = inline_serializer(
    name="SessionReport",
    fields={
        "session": SessionSerializer(),
        "scheduled_start": serializers.DateTimeField(),
        "scheduled_end": serializers.DateTimeField(),
        "started_at": serializers.DateTimeField(allow_null=True),
        "ended_at": serializers.DateTimeField(allow_null=True),
        "actual_duration_seconds": serializers.IntegerField(),
        "participants": serializers.ListField(child=serializers.DictField()),
        "timeline": SessionLogSerializer(many=True),
        "messages_count": serializers.IntegerField(),
        "media_count": serializers.IntegerField(),
        "recordings": serializers.ListField(child=serializers.DictField()),
        "coach_summary": serializers.CharField(),
        "coach_recommendations": serializers.ListField(child=serializers.CharField()),
        "customer_notes": serializers.CharField(),
    },
)


def _participant_timeline(session: Session, logs: list) -> list[dict]:
    """Per participant: when they first joined and last left, and how often they reconnected."""
    out = []
    for role, user in (("coach", session.coach), ("customer", session.customer)):
        own = [log for log in logs if log.actor_id == user.pk]
        joins = [log.created_at for log in own if log.action in ("ENTERED", "RECONNECTED")]
        leaves = [log.created_at for log in own if log.action in ("LEFT", "TEMPORARILY_LEFT")]
        out.append(
            {
                "user_id": str(user.pk),
                "role": role,
                "first_joined_at": serializers.DateTimeField().to_representation(min(joins)) if joins else None,
                "last_left_at": serializers.DateTimeField().to_representation(max(leaves)) if leaves else None,
                "reconnects": sum(1 for log in own if log.action == "RECONNECTED"),
            }
        )
    return out


class SessionReportApi(APIView):
    def _report(self, request, session: Session) -> dict:
        if session.status != Session.Status.COMPLETED:
            raise ReportNotAvailable()
        report = selectors.session_report(session=session)
        logs = list(selectors.session_logs(session=session))
        actual = 0
        if session.started_at and session.ended_at:
            actual = int((session.ended_at - session.started_at).total_seconds())
        counts = chat_selectors.message_counts(session=session)
        field = serializers.DateTimeField()
        return {
            "session": SessionSerializer(session).data,
            "scheduled_start": field.to_representation(session.scheduled_start),
            "scheduled_end": field.to_representation(session.scheduled_end),
            "started_at": field.to_representation(session.started_at) if session.started_at else None,
            "ended_at": field.to_representation(session.ended_at) if session.ended_at else None,
            "actual_duration_seconds": actual,
            "participants": _participant_timeline(session, logs),
            "timeline": SessionLogSerializer(logs, many=True).data,
            "messages_count": counts["messages_count"],
            "media_count": counts["media_count"],
            "recordings": recording_selectors.recordings_for_report(session=session, request=request),
            "coach_summary": report.coach_summary,
            "coach_recommendations": report.coach_recommendations,
            "customer_notes": report.customer_notes,
        }

    @extend_schema(responses={200: ReportSerializer, **errors(*SESSION_ERRORS, "report_not_available")})
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        return Response(self._report(request, session))

    @extend_schema(
        request=ReportUpdateSerializer,
        responses={200: ReportSerializer, **errors("validation_error", *SESSION_ERRORS, "report_not_available")},
    )
    def put(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = ReportUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_report_update(session=session, user=request.user, **serializer.validated_data)
        return Response(self._report(request, session))
