"""JSON answers for URLs no view matched, in the API's error shape."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error

from config.api.exceptions import error_body


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return html_server_error(request)


def api_not_found(request, *args, **kwargs):
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
