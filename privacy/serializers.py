from __future__ import annotations

from rest_framework import serializers


class DataExportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    ready_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class DataExportCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, help_text="The account's password: a wrong one is 400.")
