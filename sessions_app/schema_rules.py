"""What the request schemas of sessions_app's serializers say beyond their fields (``request_rules``):
rules that span fields, and the values the services accept. Kept apart from serializers.py for its size."""

from __future__ import annotations

from django.conf import settings

from sessions_app.models import Session, SessionLog

# The booking types of an instant session: DIRECT is the source's name for it (SPEC 2).
INSTANT_TYPES = [Session.Type.INSTANT, "DIRECT"]


def booking() -> dict:
    """``POST sessions``: the type decides which id is needed (``SessionBookSerializer.validate``) and the
    instant session's longest duration (``session_book_instant``)."""
    return {
        "description": (
            'A scheduled session books a published slot: `{"type": "SCHEDULED", "appointment_id"}`, '
            "`duration_minutes` at most the slot's (default: the slot's). An instant one starts now with a coach: "
            '`{"type": "INSTANT", "coach_id", "duration_minutes"}` (`DIRECT` is an alias of `INSTANT`), at most '
            f"{max(settings.APPOINTMENT_DURATIONS)} minutes. The other id is ignored."
        ),
        "oneOf": [
            {
                "title": "Scheduled",
                "properties": {"type": {"const": Session.Type.SCHEDULED}},
                "required": ["type", "appointment_id"],
            },
            {
                "title": "Instant",
                "properties": {
                    "type": {"type": "string", "enum": INSTANT_TYPES},
                    "duration_minutes": {"maximum": max(settings.APPOINTMENT_DURATIONS)},
                },
                "required": ["type", "coach_id", "duration_minutes"],
            },
        ],
    }


SESSION_UPDATE = {
    "description": "`topic`, or `appointment_id` to move a pending scheduled session, or both; not neither.",
    "anyOf": [{"required": ["topic"]}, {"required": ["appointment_id"]}],
}

REPORT_UPDATE = {
    "description": (
        "Each participant writes their own part: the coach `summary` and `recommendations`, the customer `notes`. "
        "The other's part is 400 `validation_error` on its fields; a body holding both parts is never accepted."
    ),
    "not": {"required": ["notes"], "anyOf": [{"required": ["summary"]}, {"required": ["recommendations"]}]},
}

LOG_CREATE = {
    "properties": {
        "action": {
            "enum": list(SessionLog.CLIENT_ACTIONS),
            "minLength": None,
            "maxLength": None,
            "pattern": None,
            "description": "A client-side event, upper case as the SPEC spells it; the others are the system's (400).",
        }
    }
}

SESSION_FILTER = {
    "properties": {
        "status": {
            "type": "array",
            "items": {"type": "string", "enum": list(Session.Status.values)},
            "minLength": None,
            "pattern": None,
            "description": "One status, or several: the parameter repeated or the values separated by commas.",
        }
    }
}


def appointment_create() -> dict:
    return {
        "properties": {
            "duration_minutes": {"enum": list(settings.APPOINTMENT_DURATIONS), "minimum": None, "maximum": None}
        }
    }
