from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.currencies import ISO_4217
from accounts.models import CoachProfile, User
from accounts.services import coach_profile_of, timezone_names
from accounts.validators import password_schema
from config.api.contract import request_rules

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """A participant as other people see them."""

    class Meta:
        model = User
        fields = ["id", "first_name", "last_name"]
        read_only_fields = fields


class RatingSummarySerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    criteria = serializers.DictField(child=serializers.FloatField())


class CoachSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="user_id", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    rating = serializers.SerializerMethodField()

    class Meta:
        model = CoachProfile
        fields = [
            "id",
            "first_name",
            "last_name",
            "bio",
            "hourly_rate",
            "currency",
            "categories",
            "languages",
            "availability",
            "is_verified",
            "rating",
        ]
        read_only_fields = fields

    @extend_schema_field(RatingSummarySerializer)
    def get_rating(self, profile: CoachProfile) -> dict:
        return {
            "average": float(profile.rating_average) if profile.rating_average is not None else None,
            "count": profile.rating_count,
            "criteria": profile.rating_criteria or {},
        }


class MeSerializer(UserSerializer):
    coach_profile = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "timezone", "language", "email_verified", "coach_profile"]
        read_only_fields = fields

    @extend_schema_field(CoachSerializer(allow_null=True))
    def get_coach_profile(self, user: User) -> dict | None:
        if not user.is_coach:
            return None
        return CoachSerializer(coach_profile_of(user)).data


def _timezone_rules() -> dict:
    return {"properties": {"timezone": {"enum": timezone_names(), "pattern": None}}}


@request_rules(_timezone_rules)
class MeUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    timezone = serializers.CharField(max_length=64, required=False, help_text="An IANA zone name, e.g. Asia/Riyadh.")
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)


@request_rules(lambda: {"properties": {"password": password_schema()}})
class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=[User.Role.CUSTOMER, User.Role.COACH])


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_type = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user = UserSerializer()


def _clean_tags(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        tag = value.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


@request_rules(
    {
        "properties": {
            # drf-spectacular's pattern for a DecimalField lets "-1" and "" through: min_value=0, a digit at
            # least, 8 before the point (leading zeros aside) and 2 after it.
            "hourly_rate": {"pattern": r"^0*(?:[0-9]{1,8}(?:\.[0-9]{0,2})?|\.[0-9]{1,2})$"},
            "currency": {
                "enum": sorted(ISO_4217),
                "pattern": None,
                "description": "ISO 4217, in any case (answered in upper case).",
            },
        }
    }
)
class CoachProfileUpdateSerializer(serializers.Serializer):
    bio = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    hourly_rate = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    categories = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=20), max_length=20, required=False)

    def validate_currency(self, value: str) -> str:
        if not _CURRENCY.match(value) or value.upper() not in ISO_4217:
            raise serializers.ValidationError("Use a three-letter ISO 4217 code, for example EUR.")
        return value.upper()

    def validate_categories(self, value: list[str]) -> list[str]:
        return _clean_tags(value)

    def validate_languages(self, value: list[str]) -> list[str]:
        return _clean_tags(value)


class AvailabilitySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CoachProfile.Availability.choices)


@request_rules(
    {"properties": {"min_rating": {"pattern": r"^0*(?:[0-4](?:\.[0-9]{0,2})?|\.[0-9]{1,2}|5(?:\.0{0,2})?)$"}}}
)
class CoachFilterSerializer(serializers.Serializer):
    category = serializers.CharField(required=False, max_length=50)
    language = serializers.CharField(required=False, max_length=20)
    availability = serializers.ChoiceField(choices=CoachProfile.Availability.choices, required=False)
    min_rating = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=5, required=False)


# --- Notifications issue: account e-mails ---------------------------------------------------------
class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


@request_rules(lambda: {"properties": {"password": password_schema()}})
class PasswordResetConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


@request_rules(lambda: {"properties": {"new_password": password_schema()}})
class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


# --- end notifications ---
