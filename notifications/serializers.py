from __future__ import annotations

from rest_framework import serializers

from notifications.models import Device, Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "created_at", "read_at"]
        read_only_fields = fields


class InboxFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class DeviceCreateSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    token = serializers.CharField(max_length=512, trim_whitespace=True)


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "platform", "created_at"]
        read_only_fields = fields


class PreferencesSerializer(serializers.Serializer):
    email = serializers.DictField(child=serializers.BooleanField(), required=False)
    push = serializers.DictField(child=serializers.BooleanField(), required=False)
