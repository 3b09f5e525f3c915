from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from chat.models import TEXT_MAX_LENGTH, Message
from config.api.contract import NOT_BLANK, request_rules

MediaSerializer = inline_serializer(
    name="MessageMedia",
    fields={
        "kind": serializers.ChoiceField(choices=Message.MediaKind.choices),
        "content_type": serializers.CharField(),
        "size": serializers.IntegerField(),
        "url": serializers.URLField(help_text="This API's media endpoint: answers 302 to a time-limited URL."),
    },
    allow_null=True,
)


def media_endpoint(message: Message, request=None) -> str:
    path = reverse("chat-message-media", kwargs={"session_id": message.session_id, "message_id": message.pk})
    return request.build_absolute_uri(path) if request is not None else path


class MessageSerializer(serializers.ModelSerializer):
    """``{id, sender: {id, role}, text, media, created_at}``.

    Without a request in the context (WebSocket pushes), ``media.url`` is a path; the consumer
    makes it absolute with the host the socket was opened on.
    """

    sender = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "sender", "text", "media", "created_at"]
        read_only_fields = fields

    @extend_schema_field(
        inline_serializer(name="MessageSender", fields={"id": serializers.UUIDField(), "role": serializers.CharField()})
    )
    def get_sender(self, message: Message) -> dict:
        return {"id": str(message.sender_id), "role": message.sender.role}

    @extend_schema_field(MediaSerializer)
    def get_media(self, message: Message) -> dict | None:
        if not message.has_media:
            return None
        return {
            "kind": message.media_kind,
            "content_type": message.media_content_type,
            "size": message.media_size,
            "url": media_endpoint(message, self.context.get("request")),
        }


# The JSON body of a message (JSON cannot carry a file): the text alone, required, holding a character
# other than whitespace. Schema only: the view validates both bodies with MessageSendSerializer.
MessageTextSerializer = inline_serializer(
    name="MessageText",
    fields={"text": serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text="Not only whitespace.")},
)


@request_rules(
    {
        "description": (
            "A text, a file, or both (SPEC 2): without a file the text must hold a character other than whitespace."
        ),
        "anyOf": [{"required": ["text"], "properties": {"text": {"pattern": NOT_BLANK}}}, {"required": ["file"]}],
    }
)
class MessageSendSerializer(serializers.Serializer):
    text = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH, trim_whitespace=False, default=""
    )
    file = serializers.FileField(
        required=False,
        allow_empty_file=False,
        use_url=False,
        help_text=(
            "An image (JPEG, PNG, WebP, GIF) or a video (MP4, QuickTime, WebM), known by its bytes, not its name "
            "or content type: another type is 415 unsupported_media_type, one over its size limit 413."
        ),
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("text", "").strip() and not attrs.get("file"):
            raise serializers.ValidationError({"text": ["Send a text, a file, or both."]})
        return attrs
