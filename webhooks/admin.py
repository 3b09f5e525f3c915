"""Staff's webhook console: endpoints (the secret shown once, at creation and at each rotation),
deliveries with every attempt, the failed ones and disabled endpoints one filter away, "redeliver".

Every write goes through ``webhooks.services``. Secrets are rendered into the answer of the request
that made them (never into messages, which travel in a cookie) with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from backoffice.audit import staff_audit
from config.api.errors import ValidationFailed
from events.services import EVENT_TYPES
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.CharField(label="URL", max_length=2000, widget=forms.URLInput(attrs={"size": 80}))
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every type, including types added later.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "is_active"]

    def clean(self):
        cleaned = super().clean()
        for name, check in (("url", services.webhook_url_check), ("event_types", services.webhook_event_types_check)):
            if name in cleaned:
                try:
                    cleaned[name] = check(cleaned[name])
                except ValidationFailed as exc:
                    for message in (exc.fields or {}).get(name, [exc.message]):
                        self.add_error(name, message)
        return cleaned


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("disabled", "Disabled automatically"), ("off", "Switched off")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(is_active=True)
        if self.value() == "disabled":
            return queryset.filter(is_active=False, disabled_at__isnull=False)
        if self.value() == "off":
            return queryset.filter(is_active=False, disabled_at__isnull=True)
        return queryset


def _secrets_page(request, model_admin, title: str, secrets: list, rotated: bool) -> TemplateResponse:
    response = TemplateResponse(
        request,
        "webhooks/admin/secret.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": title,
            "secrets": secrets,
            "rotated": rotated,
            "overlap": f"{services.ROTATION_OVERLAP.total_seconds() / 3600:g} hours",
        },
    )
    add_never_cache_headers(response)
    return response


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "is_active", "types", "disabled_at", "failing_since", "last_success_at", "created_at"]
    list_filter = [ActiveFilter]
    search_fields = ["url", "description", "=id"]
    readonly_fields = ["id", "created_at", "disabled_at", "disabled_reason", "failing_since", "last_success_at"]
    actions = ["rotate_secret", "enable", "disable"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "event_types", "is_active"]
        return fields + self.readonly_fields if obj is not None else fields

    @admin.display(description="events")
    def types(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.event_types) or "all"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "url": data["url"],
            "event_types": data["event_types"],
            "description": data.get("description", ""),
            "is_active": data.get("is_active", True),
        }
        if change:
            services.webhook_endpoint_update(endpoint=obj, **fields)
            return
        endpoint, secret = services.webhook_endpoint_create(**fields)
        obj.pk = endpoint.pk
        obj.refresh_from_db()
        request._webhook_new_secret = secret  # rendered by response_add, this once

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_webhook_new_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _secrets_page(request, self, "New endpoint", [(obj, secret)], rotated=False)

    @admin.action(description="Rotate the secret (shows the new one once)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        pairs = [(e, services.webhook_endpoint_rotate_secret(endpoint=e)) for e in queryset]
        for endpoint, _secret in pairs:
            staff_audit(request, endpoint, "Secret rotated by staff (the old one is still accepted for a while).")
        return _secrets_page(request, self, "New secrets", pairs, rotated=True)

    @admin.action(description="Enable (clears the failure record)", permissions=["change"])
    def enable(self, request, queryset):
        count = 0
        for endpoint in queryset:
            if services.webhook_endpoint_enable(endpoint=endpoint):
                staff_audit(request, endpoint, "Enabled by staff (failure record cleared).")
                count += 1
        self.message_user(request, f"{count} endpoint(s) enabled.", messages.SUCCESS)

    @admin.action(description="Switch off", permissions=["change"])
    def disable(self, request, queryset):
        count = 0
        for endpoint in queryset:
            if services.webhook_endpoint_disable(endpoint=endpoint, reason=""):
                staff_audit(request, endpoint, "Switched off by staff.")
                count += 1
        self.message_user(request, f"{count} endpoint(s) switched off.", messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "at", "status_code", "duration_ms", "error", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "pk"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [("failed", "Failed (gave up)"), ("retrying", "Retrying (failed at least once)")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(status=WebhookDelivery.Status.FAILED)
        if self.value() == "retrying":
            return queryset.filter(status=WebhookDelivery.Status.PENDING, attempts__gt=0)
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event_type", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = [OutcomeFilter, "status", "event__type", "endpoint"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["=event__id", "=event__session_id", "endpoint__url"]
    date_hierarchy = "created_at"
    inlines = [AttemptInline]
    actions = ["redeliver"]
    fields = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "payload",
    ]
    readonly_fields = fields

    @admin.display(description="event", ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type

    @admin.display(description="body sent")
    def payload(self, delivery: WebhookDelivery) -> str:
        return services.delivery_body(delivery.event)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Redeliver (a new round of attempts, from now)", permissions=["change"])
    def redeliver(self, request, queryset):
        deliveries = list(queryset)
        count = services.webhook_deliveries_redeliver(delivery_ids=[d.pk for d in deliveries])
        for delivery in deliveries:
            staff_audit(request, delivery, "Redelivery asked by staff (a new round of attempts).")
        skipped = queryset.count() - count
        note = f" ({skipped} being sent right now left alone)" if skipped > 0 else ""
        self.message_user(request, f"{count} deliveries queued again{note}.", messages.SUCCESS)
