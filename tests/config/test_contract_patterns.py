"""The schema's patterns say what the API's parsing accepts (config/api/contract.py, config/api/fields.py,
accounts/validators.py): checked in two regex dialects, Python's (jsonschema) and Rust's (jsonschema_rs,
which schemathesis validates with), against the serializer fields and validators themselves."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import jsonschema
import jsonschema_rs
import pytest
from django.contrib.auth.password_validation import MinimumLengthValidator, NumericPasswordValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from accounts.serializers import CoachFilterSerializer, CoachProfileUpdateSerializer, PasswordChangeSerializer
from accounts.validators import NotBlankOrOneCharacterValidator, password_schema
from config.api.contract import EMAIL_PATTERN, text_schema
from config.api.fields import DATE_TIME_PATTERN, StrictDateTimeField

# Characters where the dialects or the validators could part ways.
TRICKY = [" ", "\t", "\n", "\r", "\x0b", "\x1c", "\x1f", "\x85", "\xa0", "\u2007", "\u200b", "\u3000", "\ufeff"]
TRICKY += ["\x00", "a", "a", "Z", "0", "7", "\u0663", "\u00b2", "\U0001d7d8", "é", "\U0001f600"]
# What a UTF-8 JSON body can carry: no lone surrogates.
texts = st.text(st.one_of(st.sampled_from(TRICKY), st.characters(codec="utf-8")), max_size=14)


def schema_accepts(schema: dict, value) -> bool:
    python = jsonschema.Draft202012Validator(schema).is_valid(value)
    rust = jsonschema_rs.validator_for(schema, pattern_options=jsonschema_rs.FancyRegexOptions()).is_valid(value)
    assert python == rust, f"the dialects disagree on {value!r}"
    return python


def drf_accepts(field: serializers.Field, value) -> bool:
    try:
        field.run_validation(value)
    except ValidationError:
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts)
def test_the_password_pattern_is_the_policy_a_pattern_can_state(password):
    # The validators the pattern stands for; common passwords and similarity are stated in words.
    field = PasswordChangeSerializer().fields["new_password"]
    refused = set() if drf_accepts(field, password) else {"drf"}
    for validator in (MinimumLengthValidator(), NumericPasswordValidator(), NotBlankOrOneCharacterValidator()):
        try:
            validator.validate(password)
        except DjangoValidationError:
            refused.add(type(validator))
    if not password.isascii():
        # Digits of another script are digits to str.isdigit; the pattern knows 0-9 (the description says it).
        refused.discard(NumericPasswordValidator)
    schema = {"type": "string", "maxLength": field.max_length, **password_schema()}
    assert schema_accepts(schema, password) == (not refused)


@pytest.mark.parametrize(
    "field",
    [
        serializers.CharField(),
        serializers.CharField(allow_blank=True),
        serializers.CharField(min_length=4),
        serializers.CharField(trim_whitespace=False),
    ],
    ids=["trimmed", "blank allowed", "trimmed, at least 4", "not trimmed"],
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=texts)
def test_a_text_pattern_accepts_what_drf_accepts(field, value):
    least = 0 if field.allow_blank else max(field.min_length or 0, 1)
    schema = {"type": "string", **text_schema(trimmed=field.trim_whitespace, least=least)}
    if not field.allow_blank:
        schema["minLength"] = 1  # drf-spectacular's
    assert schema_accepts(schema, value) == drf_accepts(field, value)


def _utc_year(value: str) -> int | None:
    try:
        return datetime.fromisoformat(value.replace("z", "Z")).astimezone(UTC).year
    except (ValueError, OverflowError):
        return None


rfc3339 = st.builds(
    "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
    st.sampled_from([1, 1969, 1970, 1971, 2026, 2998, 2999, 3000, 3001, 9999]),
    st.integers(1, 12),
    st.sampled_from([1, 15, 28, 29, 30, 31]),
    st.sampled_from("Tt"),
    st.integers(0, 24),
    st.integers(0, 59),
    st.integers(0, 60),
    st.sampled_from(["", ".5", ".123456789"]),
    st.sampled_from(["Z", "z", "", "+00:00", "-00:00", "+05:30", "-23:59", "+24:00", "+14:00"]),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rfc3339)
def test_a_datetime_the_pattern_accepts_is_accepted_within_the_years(value):
    field = StrictDateTimeField()
    matches = schema_accepts({"type": "string", "pattern": DATE_TIME_PATTERN}, value)
    if drf_accepts(field, value):
        assert matches, value  # nothing the API takes in RFC 3339 form is outside the pattern
    elif matches:
        # What "format: date-time" refuses (31 April) or the UTC year range: what the description says.
        year = _utc_year(value)
        assert year is None or not 1970 <= year <= 2999, value


@pytest.mark.parametrize(
    ("serializer", "name"), [(CoachProfileUpdateSerializer, "hourly_rate"), (CoachFilterSerializer, "min_rating")]
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(st.sampled_from("0123456789.-"), min_size=1, max_size=12))
def test_a_decimal_pattern_accepts_what_the_decimal_field_accepts(serializer, name, value, schema_document):
    # Minus zero ("-0.0") is accepted (it is not below 0) and left out of the patterns: no client sends it.
    if value.startswith("-") and drf_accepts(serializer().fields[name], value):
        assert set(value) <= set("-0.")
        return
    component = "PatchedCoachProfileUpdateRequest" if name == "hourly_rate" else None
    if component:
        pattern = schema_document["components"]["schemas"][component]["properties"][name]["pattern"]
    else:
        parameters = schema_document["paths"]["/api/v1/coaches"]["get"]["parameters"]
        pattern = next(p for p in parameters if p["name"] == name)["schema"]["pattern"]
    assert schema_accepts({"type": "string", "pattern": pattern}, value) == drf_accepts(
        serializer().fields[name], value
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda email: len(email) <= 254))
def test_every_address_the_email_pattern_accepts_is_a_valid_address(email):
    validate_email(email)
    assert schema_accepts({"type": "string", "pattern": EMAIL_PATTERN}, email)


@pytest.mark.parametrize(
    "email", ["a@b.c", "a@localhost", "a..b@example.com", ".a@example.com", "a@-x.com", "a@x-.com", "a b@x.com"]
)
def test_the_email_pattern_refuses_what_django_refuses_or_clients_do_not_send(email):
    assert not schema_accepts({"type": "string", "pattern": EMAIL_PATTERN}, email)


def test_the_text_alphabet_of_the_patterns_is_pythons_whitespace():
    # SPACE spells str.isspace() out; a character outside it in either direction would show up here.
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    schema = {"type": "string", **text_schema(trimmed=True, least=1)}
    for char in spaces | set(string.printable) | {"\ufeff", "\u200b", "\u180e"}:
        assert schema_accepts(schema, char) == (char not in spaces), repr(char)
