from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.schema import errors
from notifications import selectors, services
from notifications.serializers import (
    DeviceCreateSerializer,
    DeviceSerializer,
    InboxFilterSerializer,
    NotificationSerializer,
    PreferencesSerializer,
)


class InboxApi(ListAPIView):
    serializer_class = NotificationSerializer
    filter_backends: list = []

    def get_queryset(self):
        filters = InboxFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.inbox_for(user=self.request.user, unread=filters.validated_data.get("unread"))

    @extend_schema(
        parameters=[InboxFilterSerializer],
        responses={200: NotificationSerializer(many=True), **errors("validation_error", "not_authenticated")},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer, **errors("not_authenticated", "not_found")})
    def post(self, request, notification_id):
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="All read."), **errors("not_authenticated")}
    )
    def post(self, request):
        services.notification_mark_all_read(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferencesApi(APIView):
    @extend_schema(responses={200: PreferencesSerializer, **errors("not_authenticated")})
    def get(self, request):
        return Response(services.preferences_get(user=request.user))

    @extend_schema(
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, **errors("validation_error", "not_authenticated")},
    )
    def put(self, request):
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.preferences_update(user=request.user, **serializer.validated_data))


class DeviceListApi(APIView):
    @extend_schema(
        request=DeviceCreateSerializer,
        responses={
            201: DeviceSerializer,
            200: OpenApiResponse(DeviceSerializer, description="A known token, now this user's."),
            **errors("validation_error", "not_authenticated"),
        },
    )
    def post(self, request):
        serializer = DeviceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = services.device_register(user=request.user, **serializer.validated_data)
        return Response(
            DeviceSerializer(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class DeviceDetailApi(APIView):
    @extend_schema(
        responses={204: OpenApiResponse(description="Forgotten."), **errors("not_authenticated", "not_found")}
    )
    def delete(self, request, device_id):
        services.device_delete(user=request.user, device_id=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
