"""What every app's admin shares: running a service for each selected row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.db.models import Model

from config.api.errors import ApplicationError


class ServiceActionMixin:
    """For a ``ModelAdmin`` whose actions call a service on each selected row, so that staff moves
    obey the same rules as the API's (a refused row is reported, the others go through)."""

    def run_for_each(
        self,
        request,
        rows: Iterable[Model],
        service: Callable[[Model], Any],
        *,
        label: Callable[[Model], str],
        done: str,
        history: Callable[[Any], str] | None = None,
    ) -> int:
        """Call ``service(row)`` for each row; the number of rows it changed is reported with ``done``
        (``"{count} coach(es) verified."``), every refusal (an ``ApplicationError``) as a warning
        prefixed with ``label(row)``. A service answering ``False`` had nothing to do: not counted.
        ``history(result)`` is written to the changed object's admin History (the service's result
        when it returns the object, else the row)."""
        count, refused = 0, []
        for row in rows:
            try:
                result = service(row)
            except ApplicationError as exc:
                refused.append(f"{label(row)}: {exc.message}")
                continue
            if result is False:
                continue
            count += 1
            if history is not None:
                changed = result if isinstance(result, Model) else row
                self.log_change(request, changed, history(changed))
        if count or not refused:
            self.message_user(request, done.format(count=count), messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)
        return count
