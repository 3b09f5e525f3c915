"""The events as OpenAPI 3.1 webhooks (``SPECTACULAR_SETTINGS["WEBHOOKS"]``): what each POST to a
receiving endpoint carries. docs/webhooks.md has the examples, headers and the signature check."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema, inline_serializer
from rest_framework import serializers

from ratings.serializers import PublicRatingSerializer
from recordings.serializers import RecordingSerializer
from sessions_app.serializers import SessionSerializer

HEADERS = (
    "Headers: `webhook-id` (the event id, the same on every retry: dedupe on it), `webhook-timestamp` "
    "(unix seconds of this attempt), `webhook-signature` (`v1,` + base64 HMAC-SHA256 of "
    '"{id}.{timestamp}.{body}" keyed with the base64-decoded part of the endpoint secret after `whsec_`). '
    "Answer 2xx within 10 s; anything else is retried (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)."
)

Actor = inline_serializer(
    name="EventActor",
    fields={"id": serializers.UUIDField(), "role": serializers.ChoiceField(choices=["customer", "coach", "staff"])},
    allow_null=True,
    help_text="Who made the change; null for the system (the periodic job).",
)

SessionData = inline_serializer(
    name="SessionEventData",
    fields={
        "session": SessionSerializer(help_text="The session as the API renders it, after the change."),
        "actor": Actor,
        "previous": serializers.DictField(help_text="The changed fields' values before the change."),
    },
)
RecordingData = inline_serializer(
    name="RecordingEventData",
    fields={"session_id": serializers.UUIDField(), "recording": RecordingSerializer()},
)
RatingData = inline_serializer(
    name="RatingEventData",
    fields={"rating": PublicRatingSerializer(), "coach_id": serializers.UUIDField()},
)
CoachData = inline_serializer(name="CoachEventData", fields={"coach_id": serializers.UUIDField()})

TYPES = {
    "session.booked": (SessionData, "A customer booked a session (scheduled or instant)."),
    "session.rescheduled": (SessionData, "A pending session moved to another slot; `previous` has the old times."),
    "session.started": (SessionData, "The first participant started the call."),
    "session.end_requested": (SessionData, "A participant asked to end; the other confirms or declines."),
    "session.end_declined": (SessionData, "The other participant declined the request to end."),
    "session.completed": (SessionData, "The session ended (both agreed, staff, or the periodic job)."),
    "session.cancelled": (SessionData, "Cancelled before the start, by a participant, staff or the system."),
    "recording.available": (RecordingData, "A recording can be streamed."),
    "recording.expired": (RecordingData, "A recording's retention ended; its files are deleted."),
    "rating.published": (RatingData, "A rating was approved and is public."),
    "coach.verified": (CoachData, "Staff verified a coach."),
}


def _envelope(event_type: str, data) -> serializers.Serializer:
    name = "".join(part.capitalize() for part in event_type.replace(".", "_").split("_")) + "Event"
    return inline_serializer(
        name=name,
        fields={
            "id": serializers.UUIDField(help_text="The event id, also sent as `webhook-id`."),
            "type": serializers.ChoiceField(choices=[event_type]),
            "created_at": serializers.DateTimeField(),
            "data": data,
        },
    )


def _webhook(event_type: str) -> OpenApiWebhook:
    data, summary = TYPES[event_type]
    return OpenApiWebhook(
        name=event_type,
        decorator=extend_schema(
            summary=summary,
            description=HEADERS,
            tags=["webhooks"],
            request=_envelope(event_type, data),
            responses={200: OpenApiResponse(description="Any 2xx: received (the body is ignored).")},
        ),
    )


# One name per webhook: SPECTACULAR_SETTINGS["WEBHOOKS"] lists import paths (see WEBHOOK_PATHS).
session_booked = _webhook("session.booked")
session_rescheduled = _webhook("session.rescheduled")
session_started = _webhook("session.started")
session_end_requested = _webhook("session.end_requested")
session_end_declined = _webhook("session.end_declined")
session_completed = _webhook("session.completed")
session_cancelled = _webhook("session.cancelled")
recording_available = _webhook("recording.available")
recording_expired = _webhook("recording.expired")
rating_published = _webhook("rating.published")
coach_verified = _webhook("coach.verified")

WEBHOOK_PATHS = [f"webhooks.schema.{t.replace('.', '_')}" for t in TYPES]
