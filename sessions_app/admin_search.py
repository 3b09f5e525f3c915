"""Staff find rows of a session by its number everywhere: ``SESS-000026``, ``sess-26`` or ``26``."""

from __future__ import annotations


class SessionNumberSearchMixin:
    """For a ``ModelAdmin`` of rows that belong to a session: a search that reads as a session
    number finds that session's rows; anything else goes to the admin's ``search_fields``."""

    session_number_lookup = "session__number"

    def get_search_results(self, request, queryset, search_term):
        # Imported here: sessions_app.selectors needs the services package loaded first (it imports
        # their policy constants, and the services import the serializers, which import the selectors).
        from sessions_app.selectors import session_number_from

        if (number := session_number_from(search_term)) is not None:
            return queryset.filter(**{self.session_number_lookup: number}), False
        return super().get_search_results(request, queryset, search_term)


def people_search(*prefixes: str) -> list[str]:
    """``search_fields`` for the e-mail and names of the users behind ``prefixes`` ("coach", "session__customer")."""
    return [f"{prefix}__{field}" for prefix in prefixes for field in ("email", "first_name", "last_name")]
