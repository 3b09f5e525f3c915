from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.models import CoachProfile, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_staff", "is_active", "date_joined"]
    list_filter = ["role", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "role"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "role", "password1", "password2"]}),
    ]


@admin.register(CoachProfile)
class CoachProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "is_verified", "availability", "hourly_rate", "currency", "rating_average", "rating_count"]
    list_filter = ["is_verified", "availability", "currency"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    readonly_fields = [
        "is_verified",
        "verified_at",
        "verified_by",
        "rating_average",
        "rating_count",
        "rating_criteria",
        "updated_at",
    ]
    actions = ["verify"]

    @admin.action(description="Verify the selected coaches")
    def verify(self, request, queryset):
        count = 0
        for profile in queryset.select_related("user"):
            count += services.coach_verify(coach=profile.user, verified_by=request.user)
        self.message_user(request, f"{count} coach(es) verified.", messages.SUCCESS)
