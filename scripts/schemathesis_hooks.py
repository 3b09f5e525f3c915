"""schemathesis hooks for scripts/schemathesis_ci.sh (named in schemathesis.toml).

``schema_valid_data_accepted`` is schemathesis' own ``positive_data_acceptance`` (data valid by the schema
must not be refused: no 400, 413, 415, ...), except for the refusals listed here, each of which depends
on something a schema cannot hold: the database (does this slot exist? is this e-mail address taken?), a
secret (the password, an e-mailed token, a cursor the API wrote), the clock, the caller's role in the
session, or a comparison between two fields. Each exception names the operation and the fields it may
refuse; any other refusal of schema-valid data fails the run, so a rule the schema could say but does
not (an enum, a length, a pattern) is found. The script runs this check instead of the built-in one.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime

import schemathesis
from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator, UserAttributeSimilarityValidator
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

if not settings.configured:
    # Django's validators below (the server's own) need settings only for their messages' language.
    settings.configure(USE_I18N=False)

# 400s with their own code are decided by the state of things, not the request's shape (SPEC 3): the
# slot starts too soon or is too far ahead, it is shorter than asked, free sessions are switched off.
STATE_CODES = {"booking_too_late", "booking_too_far_ahead", "duration_exceeds_appointment", "free_sessions_disabled"}

_ROLE = "the caller's role in the session decides whose part or which criteria"
# Per operation: the fields whose 400 validation_error no schema can foresee, and why.
BEYOND_THE_SCHEMA: dict[str, dict[str, str]] = {
    "POST /api/v1/auth/verify-email": {"token": "only a token the API e-mailed (unused, unexpired) is valid"},
    "POST /api/v1/auth/password-reset/confirm": {"token": "only a token the API e-mailed (unused, unexpired) is valid"},
    "POST /api/v1/auth/password": {"current_password": "the account's password is a secret"},
    "DELETE /api/v1/me": {"password": "the account's password is a secret"},
    "GET /api/v1/sessions/{session_id}/messages": {"cursor": "only a cursor the API wrote is valid"},
    "POST /api/v1/sessions": {
        "appointment_id": "the slot must exist, be published and bookable",
        "coach_id": "the coach must exist",
    },
    "PATCH /api/v1/sessions/{session_id}": {"appointment_id": "a slot of the session's coach must exist"},
    "POST /api/v1/sessions/{session_id}/postpone-requests": {
        "appointment_id": "a slot of the session's coach, other than its own, must exist"
    },
    "POST /api/v1/coach/appointments": {"start": "the slot must start after now"},
    "POST /api/v1/coach/time-off": {"end": "after start, within 366 days of it and after now"},
    "PUT /api/v1/coach/schedule": {
        "rules": "a rule holds one slot at least and rules of a weekday do not overlap",
        "rules.*.end": "the end comes after the start",
    },
    "PUT /api/v1/sessions/{session_id}/report": {"summary": _ROLE, "recommendations": _ROLE, "notes": _ROLE},
    "POST /api/v1/sessions/{session_id}/rating": {"scores.*": _ROLE},
}
# JSON Schema counts 3.0 as an integer; a rating's numbers are JSON integers written without a fraction
# (StrictIntegerField refuses 3.0 rather than guess), which no schema can ask for.
STRICT_INTEGERS = {"POST /api/v1/sessions/{session_id}/rating"}
# The type of a chat file is read from its bytes: no schema of a binary part can say which bytes.
MEDIA_FROM_BYTES = {"POST /api/v1/sessions/{session_id}/messages"}


class _Person:
    """The account a password is compared with, as ``user_register`` builds it before saving."""

    class _meta:
        @staticmethod
        def get_field(name):
            raise FieldDoesNotExist(name)

    def __init__(self, body: dict) -> None:
        self.email = str(body.get("email", "")).strip().lower()
        self.first_name = str(body.get("first_name", "")).strip()
        self.last_name = str(body.get("last_name", "")).strip()


def _password_refused_beyond_the_pattern(password: str, body: dict) -> bool:
    """The policy's rules the schema states in words only: a common password, one too similar to the
    e-mail address or a name, digits of another script than 0-9."""
    if password.isdigit():
        return True
    for validator in (CommonPasswordValidator(), UserAttributeSimilarityValidator()):
        try:
            validator.validate(password, user=_Person(body))
        except ValidationError:
            return True
    return False


def _outside_the_years_in_utc(value) -> bool:
    # The schema bounds the local date (config/api/fields.py); the API bounds the date in UTC.
    try:
        moment = datetime.fromisoformat(str(value).replace("z", "Z"))
        return not 1970 <= moment.astimezone(UTC).year <= 2999
    except (ValueError, OverflowError):
        return False


def _sent(body: dict, field: str):
    """The value the request sent for an error's field name (``scores.knowledge`` is nested)."""
    value = body
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _field_beyond_the_schema(operation: str, field: str, case) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    value = _sent(body, field)
    if value is None:
        value = (case.query or {}).get(field)
    if any(fnmatch.fnmatchcase(field, name) for name in BEYOND_THE_SCHEMA.get(operation, {})):
        return True
    if operation in STRICT_INTEGERS and isinstance(value, float):
        return True
    if operation == "POST /api/v1/auth/register":
        if field == "email":  # an address Django's validator accepts: refused because it is taken
            try:
                validate_email(str(value).strip())
                return True
            except ValidationError:
                return False
        if field == "password":
            return _password_refused_beyond_the_pattern(str(value), body)
    return isinstance(value, str) and _outside_the_years_in_utc(value)


def _refused_beyond_the_schema(case, response) -> bool:
    operation = case.operation.label
    if response.status_code == 415 and operation in MEDIA_FROM_BYTES and "multipart" in (case.media_type or ""):
        return True
    if response.status_code != 400:
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    if error.get("code") in STATE_CODES:
        return True
    fields = error.get("fields") or {}
    return (
        error.get("code") == "validation_error"
        and bool(fields)
        and all(_field_beyond_the_schema(operation, name, case) for name in fields)
    )


@schemathesis.check
def schema_valid_data_accepted(ctx, response, case):
    """``positive_data_acceptance`` but for the refusals named above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _refused_beyond_the_schema(case, response):
            return None
        raise
