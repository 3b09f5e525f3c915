from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import NotFound

from config.api.errors import ValidationFailed


class PageNumberPagination(pagination.PageNumberPagination):
    """``{"count", "next", "previous", "results"}`` with ``page`` and ``page_size`` (at most 100).

    ``page=abc`` is bad input (400 ``validation_error``); a page past the end is 404 ``not_found``.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not (raw.isdigit() and int(raw) > 0):
            raise ValidationFailed(fields={self.page_query_param: ["Use a page number from 1."]})
        return super().paginate_queryset(queryset, request, view)


class CursorPagination(pagination.CursorPagination):
    """Cursor pages; a cursor that was not handed out by the API is bad input (400)."""

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationFailed(fields={self.cursor_query_param: ["This cursor is not valid."]}) from None
