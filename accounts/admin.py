from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q

from accounts import services
from accounts.models import CoachProfile, User
from accounts.serializers import CoachProfileUpdateSerializer
from backoffice.audit import staff_audit
from config.admin import ServiceActionMixin
from config.api.errors import ApplicationError


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


class CoachProfileForm(forms.ModelForm):
    """Staff edits obey the API's rules: the same serializer checks and normalises the fields
    (ISO 4217 currency, lower-case tag lists), and an unverified coach cannot be put online."""

    class Meta:
        model = CoachProfile
        fields = ["user", "bio", "hourly_rate", "currency", "categories", "languages", "availability"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:  # only coach accounts can hold a coach profile
            # A coach account without a profile; or the profile's own user, whatever staff made its role.
            free = Q(role=User.Role.COACH, coach_profile__isnull=True) | Q(pk=self.instance.user_id)
            self.fields["user"].queryset = User.objects.filter(free)

    def clean(self):
        cleaned = super().clean()
        names = [name for name in CoachProfileUpdateSerializer().fields if name in cleaned]
        serializer = CoachProfileUpdateSerializer(data={name: cleaned[name] for name in names}, partial=True)
        if not serializer.is_valid():
            for name, problems in serializer.errors.items():
                self.add_error(name if name in self.fields else None, [str(problem) for problem in problems])
            return cleaned
        cleaned.update(serializer.validated_data)
        verified = self.instance.is_verified if self.instance.pk else False
        if cleaned.get("availability") == CoachProfile.Availability.ONLINE and not verified:
            self.add_error("availability", "An unverified coach cannot be online.")
        return cleaned


@admin.register(CoachProfile)
class CoachProfileAdmin(ServiceActionMixin, admin.ModelAdmin):
    form = CoachProfileForm
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
    actions = ["verify", "unverify"]

    def _each(self, request, queryset, change, *, verb: str) -> None:
        count = 0
        for profile in queryset.select_related("user"):
            try:
                changed = change(profile.user)
            except ApplicationError as exc:
                self.message_user(request, f"{profile.user.email}: {exc.message}", messages.WARNING)
                continue
            if changed:
                count += 1
                staff_audit(request, profile, f"{verb.capitalize()} by staff.")
        self.message_user(request, f"{count} coach(es) {verb}.", messages.SUCCESS)

    @admin.action(description="Verify the selected coaches", permissions=["change"])
    def verify(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda coach: services.coach_verify(coach=coach, actor=request.user),
            verb="verified",
        )

    @admin.action(description="Unverify the selected coaches (offline, hidden from customers)", permissions=["change"])
    def unverify(self, request, queryset):
        self._each(request, queryset, lambda coach: services.coach_unverify(coach=coach), verb="unverified")
