from __future__ import annotations

import binascii
from base64 import b64decode
from urllib import parse

from rest_framework import pagination
from rest_framework.exceptions import NotFound

from config.api.errors import ValidationFailed


def _is_positive_int(raw: str) -> bool:
    # ASCII digits only ("²" is a digit to str.isdigit), and short enough for int() to take.
    return raw.isascii() and raw.isdigit() and len(raw) <= 18 and int(raw) > 0


def _check_page_size(paginator, request) -> None:
    """``page_size`` is a whole number from 1 (above the maximum it is capped); anything else is a 400
    rather than a silent default the client did not ask for."""
    raw = request.query_params.get(paginator.page_size_query_param)
    if raw is not None and not _is_positive_int(raw):
        raise ValidationFailed(
            fields={paginator.page_size_query_param: [f"Use a whole number from 1 to {paginator.max_page_size}."]}
        )


class ValuesPage:
    """What a list paginates when it shows ``values()`` rows with columns of joined tables: the page's
    rows come from ``queryset.values(*columns)``, the count from ``queryset`` itself. Counted through
    the values query, PostgreSQL joined every related table for every row first (``GET sessions``:
    2.0 ms instead of 0.5 ms for 2,000 sessions), though an inner join along a required foreign key
    cannot change the count. Only for such columns: a nullable relation's rows are kept by a LEFT
    JOIN either way."""

    def __init__(self, queryset, *columns: str) -> None:
        self.queryset = queryset
        self.rows = queryset.values(*columns)
        self.ordered = self.rows.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self) -> int:
        return self.count()


class PageNumberPagination(pagination.PageNumberPagination):
    """``{"count", "next", "previous", "results"}`` with ``page`` and ``page_size`` (at most 100).

    ``page=abc`` or ``page_size=abc`` is bad input (400 ``validation_error``); a ``page_size`` above 100
    is capped; a page past the end is 404 ``not_found``.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not _is_positive_int(raw):
            raise ValidationFailed(fields={self.page_query_param: ["Use a page number from 1."]})
        _check_page_size(self, request)
        return super().paginate_queryset(queryset, request, view)


class CursorPagination(pagination.CursorPagination):
    """Cursor pages; a cursor that was not handed out by the API is bad input (400), never a
    silent first page. Subclasses say what a valid position looks like (``position_is_valid``)."""

    def paginate_queryset(self, queryset, request, view=None):
        if self.page_size_query_param:
            _check_page_size(self, request)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            cursor = super().decode_cursor(request)
            # DRF reads what it knows and ignores the rest; a cursor we wrote has nothing else.
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=bool(querystring))
        except (NotFound, ValueError, binascii.Error):
            cursor = tokens = None
        if (
            cursor is None
            or set(tokens) - {"o", "r", "p"}
            or any(len(values) != 1 for values in tokens.values())
            or (cursor.position is not None and not self.position_is_valid(cursor.position))
        ):
            raise ValidationFailed(fields={self.cursor_query_param: ["This cursor is not valid."]})
        return cursor

    def position_is_valid(self, position: str) -> bool:
        return True
