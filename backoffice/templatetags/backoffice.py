from __future__ import annotations

from django import template

from backoffice.dashboard import dashboard_panels

register = template.Library()


@register.inclusion_tag("backoffice/dashboard.html", takes_context=True)
def staff_dashboard(context):
    request = context["request"]
    return {"panels": dashboard_panels(request)}
