"""What the request schemas say beyond what drf-spectacular reads off the fields.

schemathesis' ``positive_data_acceptance`` sends data that the schema calls valid and expects it to be
accepted, so the schema states what the API's parsing really refuses: DRF trims most text and then refuses
a blank one or a NUL character, the datetimes have a year range, a DELETE may carry a body, and some rules
span several fields (``request_rules``). The patterns are written for every regex dialect a client may use
(ECMA 262, Python, Rust): classes are spelt out, never ``\\s`` or ``\\d`` alone, whose meaning differs.
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_media_type_object, get_class

# What Python's str.isspace() calls whitespace, the test of str.strip() with which DRF trims text (and the
# services judge "blank"): Unicode's White_Space plus the separators \x1c-\x1f. ECMA's \s has \ufeff and
# lacks \x1c-\x1f, so it is spelt out.
SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_ANY = r"[^\x00]"  # DRF refuses a NUL character in any text field
_INK = rf"[^\x00{SPACE}]"


def text_schema(*, trimmed: bool, least: int) -> dict:
    """The keywords of a text DRF accepts: no NUL and, when the value is ``trimmed`` before its length
    is checked, at least ``least`` characters between its first and its last non-space one. Without such
    a bound it is ``not`` a pattern rather than a pattern: drf-spectacular gives a field that may be blank
    a ``oneOf`` with the empty string as soon as it has a pattern, and its default ("") would then fail
    the first branch."""
    if not trimmed or least == 0:
        return {"not": {"pattern": r"\x00"}}
    if least == 1:
        return {"pattern": rf"^{_ANY}*{_INK}{_ANY}*$"}
    return {"pattern": rf"^[{SPACE}]*{_INK}{_ANY}{{{least - 2},}}{_INK}[{SPACE}]*$"}


NOT_BLANK = text_schema(trimmed=True, least=1)["pattern"]

# Within Django's EmailValidator: a dot-atom local part, ASCII host labels, a top-level label of two
# letters or more. Left out, as no client needs them: quoted local parts, [address] literals, IDN labels.
# (Django's own regex, with its overlapping label classes, backtracks too much to generate from.)
_ATOM = r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}$"


class ContractAutoSchema(AutoSchema):
    """drf-spectacular's schema, with request bodies documented on DELETE too (``DELETE me`` takes
    ``{password}``): drf-spectacular documents them only for POST, PUT and PATCH."""

    def get_request_serializer(self):
        if self.method == "DELETE":
            return None  # not guessed from the view: only an explicit extend_schema(request=...) has one
        return super().get_request_serializer()

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        serializer = self.get_request_serializer()
        if serializer is None:
            return None
        schema, required = self._get_request_for_media_type(serializer, direction)
        return {"content": {"application/json": build_media_type_object(schema)}, "required": required}

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        rules = _RULES.get(get_class(serializer))
        if rules is not None and {"anyOf", "oneOf"} & set(rules()):
            # Its rules require some property (PATCH sessions/{id}: topic or appointment_id): a request
            # without a body is refused like an empty object, so the body is required even on a PATCH.
            required = True
        return schema, required


class _TextFieldContract(OpenApiSerializerFieldExtension):
    """Every text field of a request: the pattern of what DRF's CharField accepts (EmailField: Django's
    address rules). Fields with their own ``extend_schema_field`` never get here."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    @classmethod
    def _matches(cls, target) -> bool:
        # Not a nullable field: drf-spectacular applies a field's meta again after an extension, and the
        # "null" of OpenAPI 3.1's type list would be there twice. (No request text field is nullable.)
        return super()._matches(target) and not getattr(target, "allow_null", False)

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if direction != "request" or field.read_only or schema.get("type") != "string" or "enum" in schema:
            return schema
        if schema.get("format") == "email":
            schema["pattern"] = EMAIL_PATTERN
        elif "pattern" not in schema:
            least = 0 if field.allow_blank else max(field.min_length or 0, 1)
            schema.update(text_schema(trimmed=field.trim_whitespace, least=least))
        return schema


def _merge(schema: dict, rules: dict) -> dict:
    for key, value in rules.items():
        if key == "properties":
            for name, patch in value.items():
                target = schema.setdefault("properties", {}).setdefault(name, {})
                for attr, attr_value in patch.items():
                    if attr_value is None:
                        target.pop(attr, None)
                    else:
                        target[attr] = attr_value
        else:
            schema[key] = value
    return schema


# Serializer class -> its rules (a function giving them), as request_rules registered them.
_RULES: dict[type, Callable[[], dict]] = {}


class _RequestRules(OpenApiSerializerExtension):
    target_class = None  # one subclass per decorated serializer names it
    rules: Callable[[], dict]

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return _merge(schema, self.rules()) if direction == "request" else schema


def request_rules(rules: dict | Callable[[], dict]):
    """Class decorator for a request serializer: ``rules`` (or a function giving them, for values read
    from the settings when the schema is built) are added to its request schema: ``oneOf``/``anyOf`` with
    ``required`` sets for rules spanning fields, and ``properties`` patches (``enum``, ``pattern``, ...;
    ``None`` removes a keyword). Only the schema changes: validation stays the serializer's and the services'."""

    def decorate(serializer_class):
        get_rules = rules if callable(rules) else (lambda: rules)
        _RULES[serializer_class] = get_rules
        type(
            f"{serializer_class.__name__}Rules",
            (_RequestRules,),
            {"target_class": serializer_class, "rules": staticmethod(get_rules)},
        )
        return serializer_class

    return decorate
