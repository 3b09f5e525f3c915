from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.contract import request_rules
from config.api.fields import StrictCharField, StrictIntegerField
from ratings.models import (
    CRITERIA_BY_RATER_ROLE,
    FEEDBACK_MAX_LENGTH,
    FEEDBACK_MIN_LENGTH,
    SCORE_MAX,
    SCORE_MIN,
    Rating,
)

_SCORE = {"type": "integer", "minimum": SCORE_MIN, "maximum": SCORE_MAX}


def _scores_of(role: str) -> dict:
    criteria = CRITERIA_BY_RATER_ROLE[role]
    return {
        "title": f"Scores of a {role}",
        "type": "object",
        "properties": {criterion: _SCORE for criterion in criteria},
        "required": list(criteria),
        "additionalProperties": False,  # the service refuses a criterion of the other set
    }


# Which of the two sets is the rater's follows from their role in the session, which the schema
# cannot know: it offers both, and the other role's set is 400 validation_error on "scores.<criterion>".
@request_rules(
    {"properties": {"scores": {"additionalProperties": None, "oneOf": [_scores_of(r) for r in CRITERIA_BY_RATER_ROLE]}}}
)
class RatingSubmitSerializer(serializers.Serializer):
    """Which criteria a rater must score is the service's rule (it depends on the role); the schema
    offers both sets."""

    overall = StrictIntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX, help_text="A JSON integer: 4, not 4.0.")
    scores = serializers.DictField(
        child=StrictIntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX),
        help_text=(
            "A score 1-5 for every criterion of the rater's role. Customer rating a coach: communication, "
            "knowledge, punctuality, helpfulness. Coach rating a customer: punctuality, engagement, preparation. "
            "JSON integers: 4, not 4.0."
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
