from __future__ import annotations

from rest_framework import serializers

from recordings.models import Recording


class RecordingSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(read_only=True)
    available_until = serializers.DateTimeField(read_only=True, allow_null=True)
    source = serializers.CharField(read_only=True)

    class Meta:
        model = Recording
        fields = [
            "id",
            "session_id",
            "status",
            "source",
            "started_at",
            "stopped_at",
            "duration_seconds",
            "size_bytes",
            "available_until",
            "failure_reason",
            "expired_at",
            "created_at",
        ]
        read_only_fields = fields


class StreamLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    content_type = serializers.CharField()
