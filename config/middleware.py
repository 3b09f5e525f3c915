"""A dependency that is down answers 503, never a 500, outside DRF's views too.

DRF's views go through the API's exception handler (``config.api.exceptions``); this covers the rest:
Django views (the admin, the schema and docs pages) through ``process_exception``, and errors raised
by other middleware (sessions, authentication) through ``config.api.views.server_error``, which
Django calls for those.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse

from config.api.exceptions import error_body
from config.dependencies import dependency_error_name, is_dependency_error

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def dependency_unavailable_response(request, exc: BaseException) -> HttpResponse:
    name = dependency_error_name(exc)
    logger.warning("%s unavailable (%s %s): %s: %s", name, request.method, request.path, type(exc).__name__, exc)
    message = f"The {name} is unavailable right now. Try again shortly."
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("dependency_unavailable", message), status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DependencyErrorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_dependency_error(exception):
            return dependency_unavailable_response(request, exception)
        return None
