"""The moderation list's filters."""

from __future__ import annotations

from django.contrib import admin

from ratings.models import Rating


class QueueFilter(admin.SimpleListFilter):
    """Waiting ratings unless asked otherwise: the list opens on the work to do."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("waiting", "Waiting (pending or flagged)"),
            ("decided", "Decided (approved or rejected)"),
            ("all", "All"),
        ]

    def value(self):
        return super().value() or "waiting"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if request.method == "POST" and self.parameter_name not in self.used_parameters:
            return queryset  # an action acts on exactly the ticked rows, not the default view's
        if self.value() == "waiting":
            return queryset.filter(status__in=Rating.WAITING_STATUSES)
        if self.value() == "decided":
            return queryset.exclude(status__in=Rating.WAITING_STATUSES)
        return queryset
