from __future__ import annotations

from django.contrib import admin

from privacy.models import DataExport, ErasureRecord, PendingDeletion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # audit rows and export bookkeeping are kept; the jobs delete the files


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "status", "created_at", "ready_at", "expires_at", "size_bytes"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "id"]
    list_select_related = ["user"]
    # No link to the file: staff do not download people's exports.
    fields = [
        "id",
        "user",
        "status",
        "created_at",
        "ready_at",
        "expires_at",
        "deleted_at",
        "size_bytes",
        "failure_reason",
    ]
    readonly_fields = fields


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ["user_ref", "source", "requested_by", "started_at", "completed_at"]
    list_select_related = ["requested_by"]  # one query for the page, not one per row
    list_filter = ["source", "started_at"]
    search_fields = ["user_ref"]
    fields = ["user_ref", "user", "source", "requested_by", "started_at", "completed_at", "summary"]
    readonly_fields = fields


@admin.register(PendingDeletion)
class PendingDeletionAdmin(ReadOnlyAdmin):
    list_display = ["kind", "storage_alias", "name", "attempts", "next_attempt_at", "done_at", "last_error"]
    list_filter = ["kind", "done_at"]
    fields = list_display + ["erasure", "created_at"]
    readonly_fields = fields
