"""JSON answers for URLs no view matched, in the API's error shape."""

from __future__ import annotations

import sys

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request as html_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error

from config.api.exceptions import error_body
from config.dependencies import is_dependency_error
from config.middleware import dependency_unavailable_response


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return page_not_found(request, exception)


def server_error(request):
    # Django calls this from inside its ``except`` block: the exception is still at hand.
    exc = sys.exc_info()[1]
    if exc is not None and is_dependency_error(exc):
        return dependency_unavailable_response(request, exc)
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
    return html_server_error(request)


@csrf_exempt  # any method: a POST to an unknown API path is a JSON 404, not a CSRF page
def api_not_found(request, *args, **kwargs):
    return JsonResponse(error_body("not_found", _("No such endpoint.")), status=404)


def bad_request(request, exception=None):
    """Django's own 400s (for example a request body over DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("validation_error", _("The request could not be read.")), status=400)
    return html_bad_request(request, exception)
