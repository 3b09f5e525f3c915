from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCoach, IsCustomer
from accounts.selectors import coach_get
from config.api.contract import NOT_BLANK
from config.api.errors import NotFoundError, PermissionDeniedError
from config.api.idempotency import IdempotentMixin
from config.api.pagination import ValuesPage
from config.api.schema import errors
from sessions_app import registry, renderings, selectors, services
from sessions_app.models import Session
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
    TokenRenewSerializer,
    report_schema,
    session_report_data,
    start_call_data,
    start_call_schema,
)

SESSION_ERRORS = ("not_authenticated", "not_found")
# Built from the parts the satellites registered: this module is imported with the URLconf,
# after every AppConfig.ready has run.
StartCallSchema = start_call_schema()
ReportSchema = report_schema()


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
        appointment = selectors.appointment_get_for_coach(coach=request.user, appointment_id=appointment_id)
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
        if coach_get(coach_id=kwargs["coach_id"]) is None:
            raise NotFoundError("No such coach.")
        return super().get(request, *args, **kwargs)


# --- sessions --------------------------------------------------------------------------------------------


class SessionListApi(IdempotentMixin, ListAPIView):
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
        # SessionSerializer's answer, written from values() rows of the columns it shows
        # (sessions_app/renderings.py): no model instances, no per-field serializer calls.
        page = self.paginate_queryset(ValuesPage(self.get_queryset(), *renderings.LIST_COLUMNS))
        return self.get_paginated_response(renderings.session_list_rows(page, now=timezone.now()))

    @extend_schema(
        request=SessionBookSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NOT_BLANK},
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "Repeat a booking safely: the same key replays the first answer. 1 to 255 characters, "
                    "not only whitespace (else 400)."
                ),
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
            raise PermissionDeniedError("Only customers book sessions.")
        serializer = SessionBookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def perform() -> Response:
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
            return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)

        return self.idempotent(request, payload=dict(data), perform=perform)


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
                session=session, actor=request.user, appointment_id=data["appointment_id"]
            )
        if "topic" in data:
            session = services.session_update_topic(session=session, actor=request.user, topic=data["topic"])
        return Response(SessionSerializer(session).data)


class SessionStatusApi(APIView):
    @extend_schema(responses={200: SessionStatusSerializer, **errors(*SESSION_ERRORS)})
    def get(self, request, session_id):
        # SessionStatusSerializer's answer, from one values() row (sessions_app/renderings.py).
        row = selectors.session_status_values(user=request.user, session_id=session_id)
        return Response(renderings.session_status_row(row, now=timezone.now()))


class SessionCancelApi(APIView):
    @extend_schema(
        request=CancelSerializer,
        responses={200: SessionSerializer, **errors("validation_error", *SESSION_ERRORS, "invalid_state")},
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_cancel(
            session=session, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(SessionSerializer(session).data)


class SessionStartCallApi(APIView):
    @extend_schema(
        request=None,
        responses={200: StartCallSchema, **errors(*SESSION_ERRORS, "invalid_state", "outside_join_window")},
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        now = timezone.now()
        creds = services.session_start_call(session=session, actor=request.user, now=now)
        parts = registry.select_parts(registry.START_CALL, session=creds.session)
        return Response(start_call_data(creds, parts=parts, now=now, request=request))


class SessionTokenApi(APIView):
    @extend_schema(
        request=None,
        responses={200: TokenRenewSerializer, **errors(*SESSION_ERRORS, "invalid_state", "outside_join_window")},
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        creds = services.session_renew_token(session=session, actor=request.user)
        return Response(
            TokenRenewSerializer(
                {
                    "token": creds.token,
                    "uid": creds.uid,
                    "channel_name": creds.channel_name,
                    "expires_at": creds.expires_at,
                }
            ).data
        )


# A lifecycle step with no body: ``step(session=, actor=)``, answered with the session. (A comment,
# not a docstring: drf-spectacular would print a docstring as each operation's description.)
class _SessionStepApi(APIView):
    step = None

    @extend_schema(request=None, responses={200: SessionSerializer, **errors(*SESSION_ERRORS, "invalid_state")})
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        session = type(self).step(session=session, actor=request.user)
        return Response(SessionSerializer(session).data)


class SessionEndApi(_SessionStepApi):
    step = staticmethod(services.session_request_end)


class SessionEndDeclineApi(_SessionStepApi):
    step = staticmethod(services.session_decline_end)


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
        log = services.session_log_add(session=session, actor=request.user, **serializer.validated_data)
        return Response(SessionLogSerializer(log).data, status=status.HTTP_201_CREATED)


class SessionReportApi(APIView):
    @extend_schema(responses={200: ReportSchema, **errors(*SESSION_ERRORS, "report_not_available")})
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        report = selectors.session_report_get(session=session)
        return Response(session_report_data(report, request=request))

    @extend_schema(
        request=ReportUpdateSerializer,
        responses={200: ReportSchema, **errors("validation_error", *SESSION_ERRORS, "report_not_available")},
    )
    def put(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = ReportUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_report_update(session=session, actor=request.user, **serializer.validated_data)
        report = selectors.session_report_get(session=session)
        return Response(session_report_data(report, request=request))
