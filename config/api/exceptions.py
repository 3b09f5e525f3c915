"""One exception handler: every error leaves the API in the SPEC's single shape."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.api.body_limit import MIB, data_max_bytes
from config.api.errors import ApplicationError, DependencyUnavailable
from config.api.language import language_for
from config.api.messages import code_message, error_message, translated
from config.dependencies import CACHE_ERRORS, DATABASE_ERRORS, dependency_error_name

logger = logging.getLogger(__name__)

# DRF's own errors and the SPEC codes they answer with (their statuses are the classes').
DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "validation_error",
    exceptions.ValidationError: "validation_error",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _flatten_fields(detail) -> dict:
    """DRF's nested ``ValidationError.detail`` as ``{field: [messages]}``."""
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub_key, sub_value in _flatten_fields(value).items():
                    out[f"{key}.{sub_key}"] = sub_value
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub_key, sub_value in _flatten_fields(item).items():
                        out[f"{key}[{index}].{sub_key}"] = sub_value
            elif isinstance(value, list):
                out[key] = [str(v) for v in value]
            else:
                out[key] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    # Notifications issue: the language of the message (Accept-Language, else the user's, else
    # English); DRF may not have authenticated anyone yet, so only an already known user counts.
    request = context.get("request")
    user = request.__dict__.get("_user") if request is not None else None
    language = language_for(request, user) if request is not None else "en"
    with translation.override(language):
        response = _handle(exc, context)
    if response is not None:
        response["Content-Language"] = language
    return response


def _translated_fields(fields: dict | None) -> dict | None:
    if not fields:
        return fields
    return {name: [translated(str(m)) or str(m) for m in messages] for name, messages in fields.items()}


def _handle(exc, context):
    if isinstance(exc, DATABASE_ERRORS + CACHE_ERRORS):
        logger.warning("%s unavailable: %s: %s", dependency_error_name(exc), type(exc).__name__, exc)
        exc = DependencyUnavailable(f"The {dependency_error_name(exc)} is unavailable right now. Try again shortly.")
    if isinstance(exc, ApplicationError):
        response = Response(
            error_body(exc.code, error_message(exc), _translated_fields(exc.fields)), status=exc.status_code
        )
        if exc.status_code in (429, 503) and getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response

    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(
                "file_too_large",
                _("The request body is too large (JSON and form bodies: at most %(mib)s MiB).")
                % {"mib": data_max_bytes() // MIB},
            ),
            status=413,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("validation_error", _("The request could not be read.")), status=400)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("validation_error", code_message("validation_error"), fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500

    code = "error"
    for exc_type, exc_code in DRF_CODES.items():
        if isinstance(exc, exc_type):
            code = exc_code
            break
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(code, code_message("validation_error"), _flatten_fields(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        message = translated(str(detail)) if not isinstance(detail, (list, dict)) else None
        if message is None:
            message = code_message(code)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            message = _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": int(exc.wait) + 1}
        response.data = error_body(code, message)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Bearer"
    return response
