"""OpenAPI helpers: the shared error shape and per-endpoint error lists."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from config.api.errors import ApplicationError
from config.api.exceptions import DRF_CODES

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )
    },
)


def _error_classes(base: type = ApplicationError):
    for sub in base.__subclasses__():
        yield sub
        yield from _error_classes(sub)


def status_for(code: str) -> int:
    """The HTTP status of an error code, read from the error classes that answer with it: the domain's
    ``ApplicationError`` subclasses (their modules are imported by the views that name them) and DRF's."""
    statuses = {cls.status_code for cls in _error_classes() if getattr(cls, "code", None) == code}
    statuses |= {exc_type.status_code for exc_type, exc_code in DRF_CODES.items() if exc_code == code}
    if len(statuses) != 1:
        raise LookupError(f"error code {code!r} has {len(statuses)} statuses: {sorted(statuses)}")
    return statuses.pop()


def errors(*codes: str) -> dict[int, OpenApiResponse]:
    """``responses=`` entries for the given error codes, grouped by HTTP status."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(status_for(code), []).append(code)
    return {
        status: OpenApiResponse(ErrorSerializer, description="Error codes: " + ", ".join(f"`{c}`" for c in cs))
        for status, cs in by_status.items()
    }


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "config.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Token from POST /api/v1/auth/login."}


def paths_without_trailing_slash(endpoints, **kwargs):
    """drf-spectacular hook: document paths as the SPEC writes them (both forms are served)."""
    return [
        (path.rstrip("/") if path != "/" else path, regex, method, callback)
        for path, regex, method, callback in endpoints
    ]


_PAGING_PARAMETERS = {"page", "page_size", "cursor"}
_PAGES = {"page", "page_size"}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _add_error(operation: dict, status: str, code: str, why: str) -> None:
    responses = operation.setdefault("responses", {})
    if status in responses:
        description = responses[status].get("description", "")
        if f"`{code}`" not in description:
            responses[status]["description"] = f"{description}, `{code}` ({why})".lstrip(", ")
        return
    responses[status] = {
        "description": f"Error codes: `{code}` ({why})",
        "content": {"application/json": {"schema": _ERROR_REF}},
    }


# The paginators read at most 18 digits (config.api.pagination._is_positive_int): a larger number is a 400.
_PAGING_MAXIMUM = 10**18 - 1


def _bound_paging(operation: dict) -> None:
    """What the paginators accept: ``page`` and ``page_size`` are whole numbers from 1 with at most 18
    digits (a ``page_size`` above 100 is capped, not refused), ``cursor`` is opaque text handed out by
    the API: one it did not write is a 400, which no schema can tell from the text (an empty one is
    the first page)."""
    for parameter in operation.get("parameters", []):
        schema = parameter.setdefault("schema", {})
        if parameter.get("name") in ("page", "page_size"):
            schema.update(type="integer", minimum=1, maximum=_PAGING_MAXIMUM)
        elif parameter.get("name") == "cursor":
            schema.update(type="string")
            parameter["description"] = (
                "Copied from a `next`/`previous` URL of this API (empty: the first page); any other text is "
                "400 `validation_error`."
            )


def _empty_is_absent(operation: dict) -> None:
    """``?category=`` is no filter: DRF reads the empty value of an optional field in a query string as
    the field left out (``Field.get_value``), as do the cursor and ``order`` readers. Only ``page`` and
    ``page_size`` refuse it (400)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and not parameter.get("required") and parameter["name"] not in _PAGES:
            parameter["allowEmptyValue"] = True


def document_common_errors(result, generator, request, public):
    """drf-spectacular hook: the errors every endpoint of a kind can give, added where the views
    cannot be expected to list them: 400 for a bad page/page_size/cursor on every list (and 404 for a
    page past the end), 413 for a body over the limit on every write, 429 for the per-user request
    throttle and 503 for a dependency that is down everywhere."""
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _empty_is_absent(operation)
            names = {p.get("name") for p in operation.get("parameters", [])}
            if names & _PAGING_PARAMETERS:
                _add_error(operation, "400", "validation_error", "a bad page, page_size or cursor")
                _bound_paging(operation)
            if "page" in names:
                _add_error(operation, "404", "not_found", "a page past the end")
            if method in ("post", "put", "patch"):
                _add_error(operation, "413", "file_too_large", "body over the limit")
            _add_error(operation, "429", "throttled", "too many requests; see Retry-After")
            _add_error(operation, "503", "dependency_unavailable", "the database or cache is down; retry")
    return result


def describe_notification_preferences(result, generator, request, public):
    """drf-spectacular hook: ``PUT me/notification-preferences`` takes, per channel, an object of kind:
    bool (``notifications.serializers.PreferencesSerializer`` has plain DictFields): an unknown kind is
    a 400, and ``account_email`` cannot be switched off."""
    from notifications.kinds import MANDATORY_EMAIL, email_kinds, push_kinds

    body = result["paths"]["/api/v1/me/notification-preferences"]["put"]["requestBody"]["content"]
    name = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = result["components"]["schemas"][name]["properties"]
    for channel, kinds in (("email", email_kinds()), ("push", push_kinds())):
        switches = {kind: {"type": "boolean"} for kind in kinds}
        for kind in MANDATORY_EMAIL & set(switches) if channel == "email" else ():
            switches[kind] = {"const": True, "description": "Account e-mails cannot be switched off."}
        properties[channel] = {
            "type": "object",
            "properties": switches,
            "additionalProperties": False,
            "description": "Kinds not named keep their value; an unknown kind is 400 `validation_error`.",
        }
    return result
