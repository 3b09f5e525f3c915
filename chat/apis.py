from __future__ import annotations

from datetime import UTC, timedelta

from django.http import HttpResponseRedirect
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.media import limit_upload
from chat.models import Message
from chat.serializers import MessageSendSerializer, MessageSerializer, MessageTextSerializer
from chat.storage import BadMediaToken, media_disposition, media_token_message_id, media_url
from config.api.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from config.api.pagination import CursorPagination
from config.api.parsers import JSONParser
from config.api.ranged import file_response
from config.api.schema import errors
from sessions_app.selectors import session_get_for_user


class MessageCursorPagination(CursorPagination):
    """Oldest first by default (``?order=newest`` for newest first), ``page_size`` up to 100.

    A cursor is a position in (created_at, id), not an offset: messages arriving while a client
    pages never shift or repeat what it sees.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("created_at", "id")

    def position_is_valid(self, position: str) -> bool:
        # Only what the API writes: an aware time between 1970 and 2999 whose offset the databases
        # accept (PostgreSQL refuses offsets beyond 15:59; year 1 would overflow converting to UTC).
        try:
            moment = parse_datetime(position)
            if moment is None or moment.tzinfo is None or abs(moment.utcoffset()) >= timedelta(hours=16):
                return False
            return 1970 <= moment.astimezone(UTC).year <= 2999
        except (ValueError, OverflowError):
            return False

    def get_ordering(self, request, queryset, view):
        if request.query_params.get("order") == "newest":
            return ("-created_at", "-id")
        return self.ordering


class MessageListApi(ListAPIView):
    serializer_class = MessageSerializer
    pagination_class = MessageCursorPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []

    def get_queryset(self):
        session = session_get_for_user(user=self.request.user, session_id=self.kwargs["session_id"])
        return selectors.message_list(session=session)

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, required=False, description="From the `next`/`previous` URLs."),
            OpenApiParameter("page_size", int, required=False, description="1-100, default 50."),
            OpenApiParameter(
                "order", str, required=False, description="`newest`: newest first; anything else or none: oldest first."
            ),
        ],
        responses={200: MessageSerializer(many=True), **errors("not_authenticated", "not_found")},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": MessageTextSerializer, "multipart/form-data": MessageSendSerializer},
        responses={
            201: MessageSerializer,
            **errors(
                "validation_error",
                "not_authenticated",
                "not_found",
                "chat_closed",
                "file_too_large",
                "unsupported_media_type",
                "throttled",
            ),
        },
    )
    def post(self, request, session_id):
        session = session_get_for_user(user=request.user, session_id=session_id)
        services.message_send_ensure_open(session=session)
        services.message_send_throttle(actor=request.user)
        limit_upload(request._request)

        if len(request.FILES.getlist("file")) > 1:
            raise ValidationFailed(fields={"file": ["Send one file per message."]})
        serializer = MessageSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_send(
            session=session,
            sender=request.user,
            text=serializer.validated_data.get("text", ""),
            file=serializer.validated_data.get("file"),
        )
        data = MessageSerializer(message, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class MessageMediaApi(APIView):
    @extend_schema(
        responses={
            302: OpenApiResponse(
                description="Redirect (Location) to a URL of the file valid for CHAT_MEDIA_URL_TTL_SECONDS."
            ),
            **errors("not_authenticated", "not_found"),
        }
    )
    def get(self, request, session_id, message_id):
        message = selectors.message_get_for_user(user=request.user, session_id=session_id, message_id=message_id)
        if not message.has_media:
            raise NotFoundError("This message has no media.")
        response = HttpResponseRedirect(request.build_absolute_uri(media_url(message=message)))
        response["Cache-Control"] = "private, no-store"
        return response


class MediaDownloadApi(APIView):
    """Serves a file behind a signed, time-limited link (local storage; S3 links go to S3 itself).

    No login: the signature is the permission, as with an S3 presigned URL, so the link works in
    an ``<img>``/``<video>`` tag. Not throttled per client for the same reason (a chat full of images).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        auth=[],
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, with its content type."),
            **errors("permission_denied", "not_found"),
        },
    )
    def get(self, request, token: str):
        try:
            message_id = media_token_message_id(token)
        except BadMediaToken as exc:
            raise PermissionDeniedError(str(exc))
        message = Message.objects.filter(pk=message_id).exclude(media="").first()
        if message is None:
            raise NotFoundError("Not found.")
        try:
            handle = message.media.open("rb")
        except FileNotFoundError:
            raise NotFoundError("Not found.")
        extension = message.media.name.rsplit(".", 1)[-1]
        response = file_response(
            request,
            handle,
            size=message.media.size,
            content_type=message.media_content_type,
            as_attachment=media_disposition(message.media_content_type) == "attachment",
            filename=f"{message.pk}.{extension}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, max-age=60"
        return response
