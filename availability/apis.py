from __future__ import annotations

from dataclasses import asdict

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCoach
from availability import selectors, services
from availability.serializers import (
    CalendarUrlSerializer,
    ScheduleAnswerSerializer,
    ScheduleSerializer,
    TimeOffCreateSerializer,
    TimeOffSerializer,
)
from config.api.schema import errors


def _schedule_answer(schedule: services.Schedule, published: services.PublishResult | None = None) -> dict:
    answer = ScheduleAnswerSerializer(asdict(schedule)).data  # asdict turns the rules into dicts too
    if published is not None:
        answer["published"] = {"created": published.created, "withdrawn": published.withdrawn}
    return answer


class CoachScheduleApi(APIView):
    permission_classes = [IsAuthenticated, IsCoach]

    @extend_schema(responses={200: ScheduleAnswerSerializer, **errors("not_authenticated", "permission_denied")})
    def get(self, request):
        return Response(_schedule_answer(services.schedule_get(coach=request.user)))

    @extend_schema(
        request=ScheduleSerializer,
        responses={
            200: ScheduleAnswerSerializer,
            **errors("validation_error", "not_authenticated", "permission_denied"),
        },
    )
    def put(self, request):
        serializer = ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        schedule = services.Schedule(
            timezone=data.get("timezone") or request.user.timezone,
            rules=data["rules"],
            buffer_before_minutes=data["buffer_before_minutes"],
            buffer_after_minutes=data["buffer_after_minutes"],
            max_sessions_per_day=data["max_sessions_per_day"],
            booking_horizon_days=data["booking_horizon_days"],
        )
        published = services.schedule_replace(coach=request.user, schedule=schedule)
        return Response(_schedule_answer(services.schedule_get(coach=request.user), published))


class CoachTimeOffListApi(ListAPIView):
    permission_classes = [IsAuthenticated, IsCoach]
    serializer_class = TimeOffSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.time_off_list(coach=self.request.user)

    def get_serializer(self, *args, **kwargs):
        if args and not kwargs.get("data"):
            page = list(args[0])
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["conflicts"] = selectors.conflicts_by_time_off(coach=self.request.user, time_offs=page)
            args = (page, *args[1:])
        return super().get_serializer(*args, **kwargs)

    @extend_schema(responses={200: TimeOffSerializer(many=True), **errors("not_authenticated", "permission_denied")})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TimeOffCreateSerializer,
        responses={201: TimeOffSerializer, **errors("validation_error", "not_authenticated", "permission_denied")},
    )
    def post(self, request):
        serializer = TimeOffCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        time_off, conflicts = services.time_off_create(coach=request.user, **serializer.validated_data)
        context = {"request": request, "conflicts": {time_off.pk: conflicts}}
        return Response(TimeOffSerializer(time_off, context=context).data, status=status.HTTP_201_CREATED)


class CoachTimeOffDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsCoach]

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted; the schedule publishes into that time again."),
            **errors("not_authenticated", "permission_denied", "not_found"),
        }
    )
    def delete(self, request, time_off_id):
        time_off = selectors.time_off_get(coach=request.user, time_off_id=time_off_id)
        services.time_off_delete(coach=request.user, time_off=time_off)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _feed_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("calendar-feed", kwargs={"token": token}))


class MeCalendarApi(APIView):
    @extend_schema(responses={200: CalendarUrlSerializer, **errors("not_authenticated")})
    def get(self, request):
        return Response({"url": _feed_url(request, services.calendar_feed_token(user=request.user))})


class MeCalendarRotateApi(APIView):
    @extend_schema(request=None, responses={200: CalendarUrlSerializer, **errors("not_authenticated")})
    def post(self, request):
        return Response({"url": _feed_url(request, services.calendar_feed_rotate(user=request.user))})


class CalendarFeedApi(APIView):
    """The iCalendar feed. No login: calendar apps cannot send tokens; the URL is the secret."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            (200, "text/calendar"): OpenApiResponse(description="RFC 5545 iCalendar"),
            **errors("not_found"),
        }
    )
    def get(self, request, token: str):
        user = services.calendar_feed_user(token=token)
        if user is None:
            raise Http404("No such calendar.")
        body = services.calendar_ics(user=user, host=request.get_host().split(":")[0])
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = "private, max-age=300"
        return response
