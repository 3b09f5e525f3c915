from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import ApplicationError, ValidationFailed
from config.api.ranged import file_response
from config.api.schema import errors
from integrations.agora import notifications
from recordings import selectors, services
from recordings.errors import RecordingUnavailable, WebhookSignatureInvalid
from recordings.serializers import RecordingSerializer, StreamLinkSerializer

READ_ERRORS = ("not_authenticated", "not_found")


class RecordingListApi(GenericAPIView):
    serializer_class = RecordingSerializer
    filter_backends: list = []

    @extend_schema(responses={200: RecordingSerializer(many=True), **errors(*READ_ERRORS, "recording_unavailable")})
    def get(self, request, session_id):
        session = selectors.session_for_recordings(user=request.user, session_id=session_id)
        recordings = selectors.recording_list(session=session)
        if not services.recording_configured() and not recordings.exists():
            # Nothing stored and nothing can be recorded: say so (SPEC: 503 without Agora).
            # Recordings already stored (for example imported by hand) stay listed and streamable.
            raise RecordingUnavailable()
        page = self.paginate_queryset(recordings)
        return self.get_paginated_response(RecordingSerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses={
            201: RecordingSerializer,
            **errors(*READ_ERRORS, "invalid_state", "already_recording", "recording_unavailable"),
        },
    )
    def post(self, request, session_id):
        session = selectors.session_for_recordings(user=request.user, session_id=session_id, staff_allowed=False)
        recording = services.recording_start(session=session, actor=request.user)
        return Response(RecordingSerializer(recording).data, status=status.HTTP_201_CREATED)


class RecordingStopApi(APIView):
    @extend_schema(
        request=None,
        responses={200: RecordingSerializer, **errors(*READ_ERRORS, "invalid_state", "recording_unavailable")},
    )
    def post(self, request, session_id):
        session = selectors.session_for_recordings(user=request.user, session_id=session_id, staff_allowed=False)
        recording = services.recording_stop(session=session, actor=request.user)
        return Response(RecordingSerializer(recording).data)


class RecordingStreamApi(APIView):
    @extend_schema(
        responses={200: StreamLinkSerializer, **errors(*READ_ERRORS, "recording_not_ready", "recording_expired")}
    )
    def get(self, request, session_id, recording_id):
        session = selectors.session_for_recordings(user=request.user, session_id=session_id)
        recording = selectors.recording_get(session=session, recording_id=recording_id)
        link = services.recording_stream_link(recording=recording)
        url = link.url if "://" in link.url else request.build_absolute_uri(link.url)
        return Response(
            StreamLinkSerializer({"url": url, "expires_at": link.expires_at, "content_type": link.content_type}).data
        )


class RecordingFileApi(APIView):
    """The local file system's stand-in for a presigned URL: the signed token is the permission."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, "video/mp4"): OpenApiResponse(description="The MP4 file."),
            **errors("permission_denied", "not_found", "recording_expired"),
        }
    )
    def get(self, request, token):
        file = services.recording_file_for_token(token=token)
        try:
            handle = services.recordings_storage().open(file.name, "rb")
        except FileNotFoundError:
            raise ApplicationError("The recording's file is missing.", code="not_found", status_code=404)
        size = services.recordings_storage().size(file.name)
        response = file_response(request, handle, size=size, content_type="video/mp4")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=0, no-store"
        return response


class AgoraWebhookApi(APIView):
    """Agora Notification Center. Verified by ``Agora-Signature-V2``, stored once, processed in a task."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # Agora bursts; the signature is the gate

    @extend_schema(
        request=inline_serializer(
            "AgoraEvent", {"noticeId": serializers.CharField(), "eventType": serializers.IntegerField()}
        ),
        responses={
            200: inline_serializer("AgoraEventAccepted", {"status": serializers.CharField()}),
            **errors("validation_error", "not_authenticated", "recording_unavailable"),
        },
    )
    def post(self, request):
        raw = request.body  # the exact bytes Agora signed; read before DRF parses anything
        if not notifications.is_configured():
            raise RecordingUnavailable("The Agora webhook secret is not configured.")
        if not notifications.signature_valid(raw=raw, signature=request.headers.get(notifications.SIGNATURE_HEADER)):
            raise WebhookSignatureInvalid()
        try:
            event = notifications.parse(raw)
        except notifications.MalformedNotification as exc:
            raise ValidationFailed(str(exc))
        _, created = services.webhook_event_receive(event=event)
        return Response({"status": "accepted" if created else "duplicate"})
