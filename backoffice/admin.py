"""The staff console's branding, the session and user pages that read across apps, job heartbeats."""

from __future__ import annotations

from django.contrib import admin

from accounts.models import User
from backoffice.models import JobHeartbeat
from backoffice.session_admin import StaffSessionAdmin
from backoffice.user_admin import StaffUserAdmin
from sessions_app.models import Session

admin.site.site_header = "Coaching platform — staff console"
admin.site.site_title = "Coaching platform staff console"
admin.site.index_title = "Today at a glance"
# The app list sidebar took 280 px of every list: at 1440 px the moderation columns did not fit.
# The home page and the breadcrumbs lead everywhere it did.
admin.site.enable_nav_sidebar = False

# The apps' own admins stay the base (their fields, filters, actions); these add what reads other apps.
for model, model_admin in ((Session, StaffSessionAdmin), (User, StaffUserAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


@admin.register(JobHeartbeat)
class JobHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_success_at", "last_result"]
    readonly_fields = ["name", "last_success_at", "last_result"]

    def has_add_permission(self, request) -> bool:
        return False  # written by the jobs themselves

    def has_change_permission(self, request, obj=None) -> bool:
        return False
