from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import StrictCharField, StrictIntegerField
from ratings.models import FEEDBACK_MAX_LENGTH, FEEDBACK_MIN_LENGTH, SCORE_MAX, SCORE_MIN, Rating


class RatingSubmitSerializer(serializers.Serializer):
    """Shape only; which criteria a rater must score is the service's rule (it depends on the role)."""

    overall = StrictIntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX)
    scores = serializers.DictField(
        child=StrictIntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX),
        help_text=(
            "A score 1-5 for every criterion of the rater's role. Customer rating a coach: communication, "
            "knowledge, punctuality, helpfulness. Coach rating a customer: punctuality, engagement, preparation."
        ),
    )
    feedback = StrictCharField(min_length=FEEDBACK_MIN_LENGTH, max_length=FEEDBACK_MAX_LENGTH)


class RatingSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Rating
        fields = ["id", "session_id", "rater_role", "overall", "scores", "feedback", "status", "created_at"]
        read_only_fields = fields


class OwnRatingSerializer(RatingSerializer):
    """The rater's own view: also why it was rejected."""

    rejection_reason = serializers.SerializerMethodField()

    class Meta(RatingSerializer.Meta):
        fields = [*RatingSerializer.Meta.fields, "rejection_reason"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rejection_reason(self, rating: Rating) -> str | None:
        return rating.rejection_reason if rating.status == Rating.Status.REJECTED else None


class RaterSerializer(serializers.Serializer):
    first_name = serializers.CharField()


class PublicRatingSerializer(RatingSerializer):
    """A coach's approved rating as everybody sees it: the rater by first name only."""

    rater = RaterSerializer(read_only=True)

    class Meta(RatingSerializer.Meta):
        fields = [*RatingSerializer.Meta.fields, "rater"]
        read_only_fields = fields
