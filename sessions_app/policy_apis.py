"""The session policies' endpoints (SPEC 11): postpone requests and problem reports."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import NotFoundError
from config.api.schema import errors
from sessions_app import selectors
from sessions_app.models import PostponeRequest, ProblemReport
from sessions_app.serializers import (
    PostponeRequestCreateSerializer,
    PostponeRequestSerializer,
    ProblemReportCreateSerializer,
    ProblemReportSerializer,
    ProblemResponseSerializer,
    SessionSerializer,
)
from sessions_app.services import postpone, problems

SESSION_ERRORS = ("not_authenticated", "not_found")


def _postpone_request(session, request_id) -> PostponeRequest:
    found = (
        PostponeRequest.objects.select_related("requested_by", "session", "proposed_appointment")
        .filter(session=session, pk=request_id)
        .first()
    )
    if found is None:
        raise NotFoundError("No such postpone request.")
    return found


def _problem(session, problem_id) -> ProblemReport:
    found = (
        ProblemReport.objects.select_related("reported_by", "session").filter(session=session, pk=problem_id).first()
    )
    if found is None:
        raise NotFoundError("No such problem report.")
    return found


class PostponeRequestListApi(APIView):
    @extend_schema(responses={200: PostponeRequestSerializer(many=True), **errors(*SESSION_ERRORS)})
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        rows = PostponeRequest.objects.filter(session=session).select_related("requested_by")
        return Response(PostponeRequestSerializer(rows, many=True).data)

    @extend_schema(
        request=PostponeRequestCreateSerializer,
        responses={
            201: PostponeRequestSerializer,
            **errors(
                "validation_error",
                "booking_too_late",
                "duration_exceeds_appointment",
                "permission_denied",
                *SESSION_ERRORS,
                "invalid_state",
                "slot_unavailable",
            ),
        },
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = PostponeRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = postpone.postpone_request_create(session=session, actor=request.user, **serializer.validated_data)
        created = PostponeRequest.objects.select_related("requested_by").get(pk=created.pk)
        return Response(PostponeRequestSerializer(created).data, status=status.HTTP_201_CREATED)


class PostponeRequestAnswerApi(APIView):
    """``accept`` answers the session; ``decline`` and ``withdraw`` answer the request."""

    answer: str = ""

    @extend_schema(
        request=None,
        responses={
            200: PostponeRequestSerializer,
            **errors("permission_denied", *SESSION_ERRORS, "invalid_state", "slot_unavailable", "booking_too_late"),
        },
        description="accept returns the moved session; decline and withdraw return the request.",
    )
    def post(self, request, session_id, request_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        found = _postpone_request(session, request_id)
        if self.answer == "accept":
            moved = postpone.postpone_request_accept(request=found, actor=request.user)
            return Response(
                SessionSerializer(selectors.session_get_for_user(user=request.user, session_id=moved.pk)).data
            )
        service = postpone.postpone_request_decline if self.answer == "decline" else postpone.postpone_request_withdraw
        answered = service(request=found, actor=request.user)
        return Response(PostponeRequestSerializer(answered).data)


class ProblemReportListApi(APIView):
    @extend_schema(responses={200: ProblemReportSerializer(many=True), **errors(*SESSION_ERRORS)})
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        rows = ProblemReport.objects.filter(session=session).select_related("reported_by")
        return Response(ProblemReportSerializer(rows, many=True).data)

    @extend_schema(
        request=ProblemReportCreateSerializer,
        responses={201: ProblemReportSerializer, **errors("validation_error", *SESSION_ERRORS, "invalid_state")},
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = ProblemReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = problems.problem_report_create(session=session, actor=request.user, **serializer.validated_data)
        return Response(ProblemReportSerializer(_problem(session, report.pk)).data, status=status.HTTP_201_CREATED)


class ProblemResponseApi(APIView):
    @extend_schema(
        request=ProblemResponseSerializer,
        responses={
            200: ProblemReportSerializer,
            **errors("validation_error", "permission_denied", *SESSION_ERRORS, "invalid_state"),
        },
    )
    def post(self, request, session_id, problem_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        report = _problem(session, problem_id)
        serializer = ProblemResponseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = problems.problem_report_respond(
            report=report, actor=request.user, text=serializer.validated_data["text"]
        )
        return Response(ProblemReportSerializer(_problem(session, report.pk)).data)
